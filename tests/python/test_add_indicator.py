"""Adding an indicator is one catalogue row (docs/configuration.md, "Add an indicator").

A copy of the project gets a toy indicator through the documented step only: a row of
seeds/config/indicator_catalogue.csv whose raw_value_sql is written over the named
per-operator counts. The copy is built on a small data set, and the indicator must
show in every place the catalogue feeds: the flags, the matrix, the weights, the GRI
contributions, the quarterly GRI history, and `cip check` (which reads the same row).
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from cip.dbt import dbt_executable
from cip.paths import project_root

ROOT = project_root()
TOY = {
    "indicator_code": "TOY_EXPORT_SHARE",
    "category": "transactions",
    "indicator_name": "High share of export lines (test indicator)",
    "raw_value_definition": "share of the operator's lines in the window that are exports",
    "raw_value_sql": "export_lines / nullif(lines, 0)",
    "comparison": ">",
    "threshold": "0.2",
    "expert_weight": "2",
    "risk_types": "undervaluation",
    "required_sources": "customs.declarations",
    "is_enabled": "true",
}
SKIP = shutil.ignore_patterns(".venv", ".git", "data", "warehouse", "target", "logs", ".pg", "__pycache__",
                              "*.duckdb", "python")


def add_indicator(project: Path, row: dict) -> None:
    """The documented procedure: one more row in the catalogue."""
    path = project / "seeds" / "config" / "indicator_catalogue.csv"
    with path.open(newline="") as handle:
        fields = next(csv.reader(handle))
    with path.open("a", newline="") as handle:
        csv.DictWriter(handle, fieldnames=fields, lineterminator="\n").writerow(row)


@pytest.fixture(scope="module")
def toy_build(tmp_path_factory, small_data) -> tuple[Path, Path, Path]:
    project = tmp_path_factory.mktemp("toy-project") / "customs-cip"
    shutil.copytree(ROOT, project, ignore=SKIP)
    add_indicator(project, TOY)
    db = project / "warehouse" / "toy.duckdb"
    env = dict(os.environ, CIP_DATA_DIR=str(small_data), CIP_DB_PATH=str(db), DBT_PROFILES_DIR=str(project),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    db.parent.mkdir(parents=True, exist_ok=True)
    built = subprocess.run([dbt_executable(), "build"], cwd=project, env=env, capture_output=True, text=True)
    assert built.returncode == 0, built.stdout[-4000:]
    return project, small_data, db


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_toy_indicator_is_flagged(toy_build):
    _, _, db = toy_build
    status = query(db, "select is_active from marts.indicator_status where indicator_code = 'TOY_EXPORT_SHARE'")
    assert status == [(True,)]
    flagged, operators = query(db, "select sum(flag), count(*) from marts.operator_indicator_flags "
                                   "where indicator_code = 'TOY_EXPORT_SHARE'")[0]
    assert operators == query(db, "select count(*) from marts.dim_operators")[0][0]
    assert 0 < flagged < operators, "the toy threshold should split the operators"


def test_toy_indicator_in_matrix_weights_and_contributions(toy_build):
    _, _, db = toy_build
    columns = [row[0] for row in query(db, "select column_name from (describe marts.operator_indicator_matrix)")]
    assert "toy_export_share" in columns
    weights = query(db, "select gri_type from marts.indicator_weights "
                        "where indicator_code = 'TOY_EXPORT_SHARE' and technique = 'expert' order by gri_type")
    assert weights == [("global",), ("undervaluation",)]
    contributions = query(db, "select count(*) from intermediate.int_operator_gri_contributions "
                              "where indicator_code = 'TOY_EXPORT_SHARE'")[0][0]
    weight = query(db, "select final_weight from marts.indicator_weights where indicator_code = 'TOY_EXPORT_SHARE' "
                       "and is_selected_technique and gri_type = 'global'")[0][0]
    assert contributions > 0 or weight == 0


def test_toy_indicator_in_quarterly_history(toy_build):
    _, _, db = toy_build
    dates = query(db, "select count(distinct as_of_date), sum(flag) from intermediate.int_operator_indicator_values_dated "
                      "where indicator_code = 'TOY_EXPORT_SHARE'")[0]
    assert dates[0] > 1 and dates[1] > 0


def test_cip_check_knows_the_toy_indicator(toy_build):
    project, data, db = toy_build
    env = dict(os.environ, PYTHONPATH=str(project / "scripts"))
    code = ("import sys; from cip import check, paths; assert str(paths.project_root()) == sys.argv[3]; "
            "sys.exit(check.check(__import__('pathlib').Path(sys.argv[1]), __import__('pathlib').Path(sys.argv[2])))")
    checked = subprocess.run([sys.executable, "-c", code, str(data), str(db), str(project)], env=env,
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    assert "17 active indicators" in checked.stdout
