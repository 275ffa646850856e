"""`cip publish` (Parquet + README for BI tools, read-only) and `cip explain` (one GRI traced).

Both read the warehouse at CIP_TEST_DB (built by `make test-build`); tests skip with a
message when it is absent.
"""

from __future__ import annotations

import argparse
import json
import re
import os
from pathlib import Path

import duckdb
import pyarrow.parquet as parquet
import pytest

from cip import explain, publish

ROOT = Path(__file__).resolve().parents[2]
TEST_DB = Path(os.environ.get("CIP_TEST_DB", ROOT / "warehouse" / "test.duckdb"))
if not TEST_DB.is_absolute():
    TEST_DB = ROOT / TEST_DB


@pytest.fixture(scope="module")
def warehouse() -> Path:
    if not TEST_DB.exists():
        pytest.skip(f"no test warehouse at {TEST_DB}: run `make test-build` (or set CIP_TEST_DB)")
    return TEST_DB


def parse(module, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    return parser.parse_args(argv)


# ----------------------------------------------------------------------------- publish

def test_read_only_connection_works_while_nobody_builds(warehouse):
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert connection.execute("select count(*) from marts.dim_operators").fetchone()[0] > 0
        with pytest.raises(duckdb.Error):
            connection.execute("create table marts.should_not_exist as select 1 as x")
        # a second reader at the same time is fine (BI tools and the report read together)
        second = duckdb.connect(str(warehouse), read_only=True)
        assert second.execute("select count(*) from marts.size_distribution").fetchone()[0] >= 1
        second.close()
    finally:
        connection.close()


def test_publish_writes_every_mart_with_a_readme(warehouse, tmp_path, capsys):
    out = tmp_path / "publish"
    code = publish.run(parse(publish, ["--db", str(warehouse), "--out", str(out)]))
    assert code == 0
    assert "marts" in capsys.readouterr().out
    connection = duckdb.connect(str(warehouse), read_only=True)
    tables = publish.mart_tables(connection)
    assert {"dim_operators", "size_distribution", "segment_summary"} <= set(tables)
    readme = (out / "README.md").read_text()
    for table in tables:
        path = out / f"{table}.parquet"
        assert path.exists(), table
        # same rows and same columns as the warehouse
        expected_rows = connection.execute(f'select count(*) from marts."{table}"').fetchone()[0]
        columns = [row[0] for row in connection.execute(
            "select column_name from information_schema.columns where table_schema = 'marts' "
            "and table_name = ? order by ordinal_position", [table]).fetchall()]
        metadata = parquet.read_metadata(path)
        assert metadata.num_rows == expected_rows, table
        assert metadata.schema.to_arrow_schema().names == columns, table
        assert f"## {table}" in readme
        for column in columns:
            assert f"| `{column}` |" in readme, (table, column)
    # the figures survive the trip: total trade value equals the warehouse's
    published = duckdb.connect().execute(
        f"select sum(trade_value_usd) from read_parquet('{out / 'dim_operators.parquet'}')").fetchone()[0]
    assert published == pytest.approx(
        connection.execute("select sum(trade_value_usd) from marts.dim_operators").fetchone()[0])
    connection.close()


def test_readme_descriptions_come_from_the_manifest_else_yml(warehouse, tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"nodes": {
        "model.customs_cip.size_distribution": {
            "resource_type": "model", "name": "size_distribution", "schema": "marts", "fqn": ["customs_cip", "marts"],
            "description": "M1 sizes from the manifest.",
            "columns": {"operators": {"description": "Operators in the size segment."}},
        }}}))
    docs, origin = publish.load_docs(manifest)
    assert "manifest" in origin
    assert docs["size_distribution"].description == "M1 sizes from the manifest."
    assert docs["size_distribution"].columns["operators"] == "Operators in the size segment."
    out = tmp_path / "pub"
    publish.publish(warehouse, out, manifest)
    readme = (out / "README.md").read_text()
    assert "M1 sizes from the manifest." in readme
    assert "| `operators` | INTEGER | Operators in the size segment. | – |" in readme
    # without a manifest the yml files are read directly
    yml_docs, yml_origin = publish.load_docs(tmp_path / "absent.json")
    assert "yml" in yml_origin
    for name, doc in yml_docs.items():
        assert doc.source.startswith("yml (models/"), name


def test_readme_is_for_bi_users(warehouse, tmp_path):
    """No absolute local path; var names out of the prose, in a settings column; M ids kept."""
    out = tmp_path / "pub"
    publish.publish(warehouse, out)
    readme = (out / "README.md").read_text()
    assert str(tmp_path) not in readme and str(publish.project_root()) not in readme
    assert not re.search(r"(^|[\s`(])/(home|tmp|work|root|Users)/", readme)
    prose = [line.split(" | ")[2] for line in readme.splitlines() if line.startswith("| `") and line.count(" | ") >= 3]
    assert prose and not any(re.search(r"\bvar [a-z_]+", text) for text in prose)
    assert "| `risk_cutoff_high` = 0.35 |" in readme or "`risk_cutoff_high` = 0.35" in readme
    assert "(M6)" in readme
    text, names = publish.plain_description("Current medium cut-off, var risk_cutoff_medium (M6).")
    assert text == "Current medium cut-off (M6)." and names == ["risk_cutoff_medium"]


def test_publish_removes_parquet_of_marts_that_are_gone(warehouse, tmp_path):
    out = tmp_path / "pub"
    publish.publish(warehouse, out)
    stale = out / "a_mart_dropped_since.parquet"
    stale.write_bytes(b"old")
    foreign = tmp_path / "other"
    foreign.mkdir()
    (foreign / "keep.parquet").write_bytes(b"not ours")
    publish.publish(warehouse, out)
    assert not stale.exists()
    publish.publish(warehouse, foreign)
    assert (foreign / "keep.parquet").exists()  # a folder we did not write before is left alone


def test_publish_without_warehouse_fails_clearly(tmp_path, capsys):
    assert publish.run(parse(publish, ["--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "p")])) == 1
    assert "no warehouse" in capsys.readouterr().out


# ----------------------------------------------------------------------------- explain

def _operators(warehouse: Path) -> list[str]:
    connection = duckdb.connect(str(warehouse), read_only=True)
    rows = connection.execute("""
        (select tin from marts.dim_operators where risk_level = 'high' order by gri desc, tin limit 3)
        union all
        (select tin from marts.dim_operators where gri = 0 order by tin limit 1)
        union all
        (select tin from marts.dim_operators where controls_in_window > 0 order by trade_value_usd desc limit 2)
    """).fetchall()
    connection.close()
    return [row[0] for row in rows]


def test_explain_recomputes_the_published_gri(warehouse):
    connection = duckdb.connect(str(warehouse), read_only=True)
    for tin in _operators(warehouse):
        explanation = explain.explain(connection, tin)
        assert explanation.matches, (tin, explanation.gri_recomputed, explanation.gri_published)
        # independent arithmetic: weights of the flagged indicators under the selected technique
        expected = connection.execute("""
            select coalesce(sum(weights.final_weight), 0)
            from marts.operator_indicator_flags as flags
            inner join marts.indicator_weights as weights
                on flags.indicator_code = weights.indicator_code
            where flags.tin = ? and flags.flag = 1 and weights.gri_type = 'global' and weights.is_selected_technique
        """, [tin]).fetchone()[0]
        assert explanation.gri_recomputed == pytest.approx(expected, abs=1e-6)
        flags = connection.execute(
            "select count(*) from marts.operator_indicator_flags where tin = ?", [tin]).fetchone()[0]
        assert len(explanation.indicators) == flags
        # the declarations behind it reconcile with dim_operators
        assert explanation.declarations["lines"] == explanation.operator["declaration_lines"]
        assert explanation.declarations["customs_value_usd"] == pytest.approx(
            explanation.operator["trade_value_usd"], rel=1e-9)
        controls = sum(row["controls"] for row in explanation.controls_by_outcome)
        assert controls == explanation.operator["controls_in_window"]
    connection.close()


def test_explain_cli_prints_the_trace(warehouse, capsys):
    tin = _operators(warehouse)[0]
    code = explain.run(parse(explain, [tin, "--db", str(warehouse)]))
    text = capsys.readouterr().out
    assert code == 0
    assert f"Operator {tin}" in text
    assert "GRI = sum over indicators of weight x flag" in text
    assert "-> MATCH" in text
    assert "[marts.operator_indicator_flags x marts.indicator_weights]" in text
    assert "[staging.stg_customs__control_results]" in text
    # each indicator's rule next to its raw value, and every currency labelled
    assert re.search(r"[01] \(raw (>|>=) [0-9.]+\)", text)
    assert "value (USD)" in text and "reassessed (LCU)" in text and "national currency" in text


def test_explain_unknown_operator(warehouse, capsys):
    assert explain.run(parse(explain, ["NOT-A-TIN-000", "--db", str(warehouse)])) == 1
    assert "not in marts.dim_operators" in capsys.readouterr().out


def test_demo_data_end_last_month_and_cli_wires_the_demo():
    import datetime as dt

    from cip import cli, demo

    assert demo.demo_start(dt.date(2025, 12, 31)) == dt.date(2024, 1, 1)       # 24 months ending Dec 2025
    assert demo.demo_start(today=dt.date(2026, 12, 6)) == dt.date(2024, 12, 1)  # ends Nov 2026, last month
    assert cli.SUBCOMMANDS["demo"] == "cip.demo"
    kept = []
    stream = type("S", (), {"write": lambda self, text: kept.append(text), "flush": lambda self: None})()
    noise = demo._Filter(stream)
    noise.write("15:00:01  12 of 400 OK created sql table model marts.x\n[cip] build  ..  10%\ncip: in place\n")
    assert kept == ["[cip] build  ..  10%\n", "cip: in place\n"]


def test_yml_descriptions_render_shared_docs_blocks():
    """Without a manifest, a column described by "{{ doc('tin') }}" reads as its docs block."""
    models_dir = publish.project_root() / "models"
    blocks = publish.docs_blocks(models_dir)
    yml_docs = publish.docs_from_yml(models_dir)
    assert blocks["tin"].startswith("Taxpayer identification number")
    assert yml_docs["dim_operators"].columns["tin"] == blocks["tin"]
    assert not [f"{name}.{column}" for name, doc in yml_docs.items()
                for column, text in doc.columns.items() if "{{" in text]
