"""The installed `faxgate` console script, as an acceptance check would drive it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FAXGATE = Path(sys.executable).with_name("faxgate")


def faxgate(*args: str):
    return subprocess.run([str(FAXGATE), *args], capture_output=True, text=True, timeout=60)


def test_dial_explain_json_371():
    result = faxgate("dial", "explain", "03-5432-1111", "--json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["reaches"] == "+81335432111" and data["leftover"] == "1" and data["intended"] == "+81354321111"
    assert data["blocked"] is True and data["outside_line"] == "0"
    assert "missing_outside_line" in data["problems"]


def test_dial_explain_flags_override_the_profile():
    direct = json.loads(faxgate("dial", "explain", "03-5432-1111", "--outside-line", "", "--json").stdout)
    assert (direct["outside_line"], direct["reaches"], direct["problems"], direct["blocked"]) == ("", "+81354321111", [], False)
    yokohama = json.loads(faxgate("dial", "explain", "0-5432-111", "--area-code", "045", "--json").stdout)
    assert yokohama["reaches"] == "+81455432111"


@pytest.mark.parametrize("dial", ["03-5432-111x", "+81354321111"])
def test_dial_explain_refuses_undialable_characters_with_exit_2(dial):
    result = faxgate("dial", "explain", dial, "--json")
    assert result.returncode == 2
    assert "ダイヤルできない" in result.stderr and result.stdout == ""


def test_dial_explain_human_output():
    result = faxgate("dial", "explain", "0117-555-1234")
    assert result.returncode == 0
    assert "特番サービス" in result.stdout and "使用禁止" in result.stdout


def test_bad_config_is_reported_without_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[pbx]\noutside_lin = '0'\n", encoding="utf-8")
    result = faxgate("--config", str(bad), "dial", "explain", "0-03-5432-1111")
    assert result.returncode == 1
    assert "outside_lin" in result.stderr and "Traceback" not in result.stderr
