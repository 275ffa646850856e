"""The cip command line."""

from __future__ import annotations

import subprocess
import sys

from cip.cli import build_parser
from cip.contract import load_contract, render_markdown
from cip.paths import project_root


def test_help_lists_commands():
    help_text = build_parser().format_help()
    for command in ("generate", "build", "demo", "contract"):
        assert command in help_text


def test_contract_document_is_current():
    """docs/source_contract.md is generated from the source yml: regenerate with `cip contract --write`."""
    expected = render_markdown(load_contract())
    assert (project_root() / "docs" / "source_contract.md").read_text() == expected


def test_contract_covers_every_source_table():
    tables = load_contract()
    assert {"declarations", "control_results", "advance_rulings", "taxpayers", "tax_returns", "tax_audits",
            "hs_nomenclature", "country_risk", "sensitive_goods", "exchange_rates"} <= set(tables)
    assert not tables["declarations"].optional and tables["tax_returns"].optional


def test_cli_runs_as_a_program():
    result = subprocess.run([sys.executable, "-m", "cip.cli", "contract"], capture_output=True, text=True,
                            cwd=project_root())
    assert result.returncode == 0 and "# The source contract" in result.stdout


def test_build_help_says_it_swaps_in_a_tested_copy():
    help_text = " ".join(build_parser().parse_args(["build", "--db", "x"]).handler.__module__.split())
    assert help_text == "cip.build"
    from cip.build import HELP_BUILD
    assert "swap it in when every test passed" in HELP_BUILD


def test_build_leaves_unit_tests_out_unless_asked():
    """A production `cip build` runs the data tests but not dbt's unit tests (CI runs them:
    `make test-build` passes --with-unit-tests)."""
    from cip.build import build_command

    default = build_command(build_parser().parse_args(["build", "--select", "marts"]))
    assert default[:3] == ["build", "--exclude-resource-type", "unit_test"]
    assert default[3:] == ["--select", "marts"]
    with_unit = build_command(build_parser().parse_args(["build", "--with-unit-tests"]))
    assert with_unit == ["build"]
    makefile = (project_root() / "Makefile").read_text()
    assert "cip build --with-unit-tests" in makefile


def test_summary_lists_indicators_that_separate_no_operator(tmp_path, capsys):
    # a threshold on another scale than its raw value (30 for a share) flags nobody: the build's
    # summary names the indicator with its threshold and raw-value range
    import duckdb

    from cip.summary import print_summary

    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts")
        con.execute("""create table marts.indicator_status as select * from (values
            ('TX_SHARE', 'flags no operator: no raw value passes the threshold (compare raw_value_max)', 30.0, 0.0, 0.9),
            ('TX_EMPTY', 'no operator has a raw value in the window', 0.3, null, null),
            ('TX_FINE', null, 0.3, 0.0, 0.9))
            as t(indicator_code, flag_note, threshold, raw_value_min, raw_value_max)""")
    print_summary(db)
    out = capsys.readouterr().out
    assert "TX_SHARE                     threshold 30, raw values 0 to 0.9: flags no operator" in out
    assert "TX_EMPTY                     threshold 0.3, no raw value: no operator has a raw value" in out
    assert "TX_FINE" not in out
