"""The layering rules in pyproject.toml ([tool.importlinter]) hold: the doors above the use cases,
the use cases above the rules, directory/ and policies/ without the gateway, and SQL only behind
gateway.storage. Checked here so that the README's test command enforces them."""

from __future__ import annotations

import tomllib

from importlinter import cli

from tests.support.paths import REPO

PYPROJECT = REPO / "pyproject.toml"


def test_the_contracts_state_the_issues_rules():
    """What the next test enforces is the design, not whatever is left in pyproject.toml."""
    contracts = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    [layers] = [contract["layers"] for contract in contracts if contract["type"] == "layers"]
    order = [next(i for i, layer in enumerate(layers) if name in layer.split(" | "))
             for name in ("gateway.entrypoints", "gateway.services", "gateway.core")]
    assert order == sorted(order) and len(set(order)) == 3, layers
    forbidden = {(frozenset(c["source_modules"]) >= {"directory", "policies"}, module)
                 for c in contracts if c["type"] == "forbidden" for module in c["forbidden_modules"]}
    assert {(True, "gateway"), (True, "sqlalchemy")} <= forbidden


def test_every_import_linter_contract_is_kept(capsys):
    broken = cli.lint_imports(config_filenames=(str(PYPROJECT),), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert broken == 0, report
