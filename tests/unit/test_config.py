from __future__ import annotations

import pytest

from gateway.config import ConfigError, load_config


def test_defaults_need_no_file(monkeypatch):
    monkeypatch.delenv("FAXGATE_CONFIG", raising=False)
    config = load_config(None)
    assert config.database.url == "sqlite:///./faxgate.db"
    assert (config.pbx.outside_line, config.pbx.area_code) == ("0", "03")
    assert (config.smtp.host, config.smtp.port, config.smtp.domain) == ("127.0.0.1", 2525, "fax.example.jp")
    assert (config.http.port, config.relay.url, config.relay.number_format) == (8025, "smtp://127.0.0.1:2526", "e164")


def test_file_and_environment(tmp_path, monkeypatch):
    path = tmp_path / "c.toml"
    path.write_text(
        '[pbx]\noutside_line = ""\narea_code = "0466"\n'
        '[[pbx.did_ranges]]\nprefix = "+81466221"\nextension_prefix = "2"\n'
        '[relay]\nnumber_format = "dial_string"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("FAXGATE_CONFIG", str(path))
    config = load_config()
    profile = config.pbx_profile()
    assert (profile.outside_line, profile.area_code, profile.local_number_length) == ("", "0466", 6)
    assert profile.did_ranges[0].prefix == "+81466221"
    assert config.relay.number_format == "dial_string"


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("[pbx]\noutside_lin = '0'\n", "unknown key 'outside_lin'"),
        ("[pbxx]\n", "unknown section [pbxx]"),
        ("[smtp]\nport = '25'\n", "port must be int"),
        ("[relay]\nnumber_format = 'raw'\n", "number_format must be one of"),
        ("[pbx]\narea_code = '3'\n", "area_code"),
        ("[pbx\n", "not valid TOML"),
    ],
)
def test_bad_files_name_the_problem(tmp_path, text, fragment):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=None) as error:
        load_config(path)
    assert fragment in str(error.value) and str(path) in str(error.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "none.toml")


def test_the_stale_limit_is_the_policys_alone(tmp_path):
    """One limit for the screening and the directory audit: the old [directory] key is refused with
    where it went, not silently kept as a second limit."""
    path = tmp_path / "faxgate.toml"
    path.write_text("[directory]\nstale_days = 90\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[screening\] stale_days"):
        load_config(path)
