"""`cip query-plans`: no line-level CTE is materialised whole unless excepted with its reason.

Both paths of the incremental models are compiled against a copy of the test warehouse
(CIP_TEST_DB, built by `make test-build`): the full path with `--full-refresh`, the daily path
without; the plans are asked of the test warehouse, nothing runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from cip import query_plans
from cip.dbt import dbt_executable
from cip.paths import project_root

ROOT = project_root()
TEST_DB = Path(os.environ.get("CIP_TEST_DB", ROOT / "warehouse" / "test.duckdb"))
if not TEST_DB.is_absolute():
    TEST_DB = ROOT / TEST_DB


def plan_of(connection: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    (_, text), = connection.execute("explain (format json) " + sql).fetchall()
    return json.loads(text)


def test_finds_a_line_cte_read_twice_and_not_an_aggregated_or_single_read_one():
    connection = duckdb.connect()
    connection.execute("create schema staging")
    connection.execute("create table staging.stg_customs__declarations as "
                       "select range as declaration_id, 1 as item_no, range % 7 as tin from range(1000)")
    line_tables = query_plans.line_level_tables(connection)
    assert line_tables == {"stg_customs__declarations"}

    read_twice = """
        with lines as (select declaration_id, tin from staging.stg_customs__declarations where tin > 0)
        select count(*) from lines union all select sum(tin) from lines"""
    found = query_plans.materialised_line_ctes(plan_of(connection, read_twice), line_tables, "m")
    assert [(f.model, f.cte, f.tables) for f in found] == [("m", "lines", ("stg_customs__declarations",))]
    assert found[0].columns >= 2

    aggregated = """
        with per_tin as (select tin, count(*) as n from staging.stg_customs__declarations group by tin)
        select sum(n) from per_tin union all select max(n) from per_tin"""
    read_once = """
        with lines as (select declaration_id, tin from staging.stg_customs__declarations)
        select count(*) from lines"""
    for sql in (aggregated, read_once):
        assert query_plans.materialised_line_ctes(plan_of(connection, sql), line_tables, "m") == []


@pytest.fixture(scope="module")
def manifests(tmp_path_factory) -> list[Path]:
    """Both paths of every model, compiled against a copy of the built warehouse (same file name,
    so the same catalog name as the test warehouse the plans are asked of): `--full-refresh`
    renders the incremental models' full path, a plain compile their daily path."""
    if not TEST_DB.exists():
        pytest.skip(f"no test warehouse at {TEST_DB}: run `make test-build` (or set CIP_TEST_DB)")
    work = tmp_path_factory.mktemp("query-plans")
    shutil.copy(TEST_DB, work / TEST_DB.name)
    compiled_manifests = []
    for path, flags in (("full", ["--full-refresh"]), ("daily", [])):
        env = dict(os.environ, CIP_DB_PATH=str(work / TEST_DB.name), DBT_TARGET_PATH=str(work / path),
                   DBT_LOG_PATH=str(work / "logs"), DBT_PROFILES_DIR=str(ROOT),
                   CIP_DATA_DIR=os.environ.get("CIP_TEST_DATA", str(ROOT / "data" / "test")))
        compiled = subprocess.run([dbt_executable(), "compile", *flags, "--select", "resource_type:model", "--quiet"],
                                  cwd=ROOT, env=env, capture_output=True, text=True)
        assert compiled.returncode == 0, compiled.stdout[-3000:] + compiled.stderr[-3000:]
        compiled_manifests.append(work / path / "manifest.json")
    return compiled_manifests


def test_no_new_line_level_cte_is_materialised(manifests, capsys):
    parser = argparse.ArgumentParser()
    query_plans.add_arguments(parser)
    argv = ["--db", str(TEST_DB)] + [part for manifest in manifests for part in ("--manifest", str(manifest))]
    code = query_plans.run(parser.parse_args(argv))
    out = capsys.readouterr().out
    assert code == 0, out
    # both paths were planned: the history's examined lines exist on the full path only (a daily
    # run of it adds no rows), the features' lines to compute on the daily path only
    assert "int_line_entity_history: CTE `examined_lines`" in out
    assert "CTE `lines_to_compute`" in out
