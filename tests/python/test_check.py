"""cip check: the independent Python recomputation agrees with a correct build and
catches a tampered warehouse."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from cip import check


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """(data folder, warehouse): `make test`'s build when CIP_TEST_DATA/CIP_TEST_DB are
    set, else a small generated data set built here."""
    data, db = os.environ.get("CIP_TEST_DATA"), os.environ.get("CIP_TEST_DB")
    if data and db and Path(db).exists():
        return Path(data).resolve(), Path(db).resolve()
    from cip.dbt import run_dbt
    from cip.generate import generate

    folder = tmp_path_factory.mktemp("check")
    data_path, db_path = folder / "data", folder / "warehouse.duckdb"
    generate(data_path, declarations=20_000, seed=5, corrupt_rate=0.002, progress=False)
    assert run_dbt(["build"], data=data_path, db=db_path, quiet=True) == 0
    return data_path, db_path


def _run(data: Path, db: Path, **kwargs) -> tuple[int, str]:
    out = io.StringIO()
    mismatches = check.check(data, db, out=out, **kwargs)
    return mismatches, out.getvalue()


@pytest.mark.warehouse
def test_check_passes_on_a_correct_build(built):
    data, db = built
    mismatches, text = _run(data, db)
    assert mismatches == 0, text
    assert "PASS" in text
    assert "operator_indicator_flags" in text


@pytest.mark.warehouse
@pytest.mark.parametrize("item, sql", [
    ("operator_indicator_flags",
     "update marts.operator_indicator_flags set flag = 1 - flag where (tin, indicator_code) = "
     "(select (tin, indicator_code) from marts.operator_indicator_flags order by tin, indicator_code limit 1)"),
    ("dim_operators.gri",
     "update marts.dim_operators set gri = gri + 0.01 where tin = (select min(tin) from marts.dim_operators)"),
    ("indicator_weights",
     "update marts.indicator_weights set final_weight = final_weight * 1.001 + 0.0001 "
     "where technique = 'learned' and gri_type = 'global' and indicator_code = "
     "(select min(indicator_code) from marts.indicator_weights)"),
])
def test_check_fails_on_a_tampered_warehouse(built, tmp_path, item, sql):
    data, db = built
    copy = tmp_path / "tampered.duckdb"
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(sql)
    mismatches, text = _run(data, copy)
    assert mismatches >= 1, text
    line = next(row for row in text.splitlines() if row.strip().startswith(item + " "))
    assert "MISMATCH" in line, text
    assert "FAIL" in text


def test_check_cli_exit_code(built, tmp_path):
    data, db = built
    copy = tmp_path / "tampered.duckdb"
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("delete from marts.dim_operators where tin = (select max(tin) from marts.dim_operators)")
    import argparse

    parser = argparse.ArgumentParser()
    check.add_arguments(parser)
    assert check.run(parser.parse_args(["--data", str(data), "--db", str(copy)])) == 1
    assert check.run(parser.parse_args(["--data", str(data), "--db", str(db)])) == 0


def test_raw_values_are_typed_like_duckdb_try_cast():
    dates = check._to_type(pd.Series(["2024-01-05", "2024-1-5", "2024-13-45", None, "05/01/2024"]), "date")
    assert list(dates.dt.strftime("%Y-%m-%d").fillna("null")) == ["2024-01-05", "2024-01-05", "null", "null", "null"]
    numbers = check._to_type(pd.Series(["1.5", "x", None]), "double")
    assert numbers.iloc[0] == 1.5 and np.isnan(numbers.iloc[1]) and np.isnan(numbers.iloc[2])
    flags = check._to_type(pd.Series(["true", "F", "maybe"]), "boolean")
    assert [None if pd.isna(v) else v for v in flags] == [True, False, None]


def test_first_of_key_keeps_the_first_row_of_each_key():
    frame = pd.DataFrame({"k": ["a", "b", "a", None, None], "_source_file": ["f1", "f1", "f1", "f1", "f2"]})
    assert list(check.first_of_key(frame, ["k"])) == [True, True, False, True, False]


def test_indicator_rules_come_from_the_catalogue():
    """cip check evaluates each catalogue row's raw_value_sql over its own counts and flags it
    with the row's comparison and threshold; a count it does not recompute stops it loudly."""
    ops = pd.DataFrame({"lines": [10.0, 4.0, 0.0], "export_lines": [6.0, 1.0, 0.0]},
                       index=pd.Index(["T1", "T2", "T3"], name="tin"))
    catalogue = pd.DataFrame([{"indicator_code": "TOY", "raw_value_sql": "export_lines / nullif(lines, 0)",
                               "comparison": ">", "threshold": 0.25, "is_active": True}])
    flags = check.indicator_flags(ops, catalogue).set_index("tin")
    assert flags["flag"].to_dict() == {"T1": 1, "T2": 0, "T3": 0}
    assert flags.loc["T2", "raw_value"] == 0.25 and pd.isna(flags.loc["T3", "raw_value"])
    unknown = catalogue.assign(indicator_code="NEW", raw_value_sql="widgets / nullif(lines, 0)")
    with pytest.raises(SystemExit, match="NEW"):
        check.indicator_flags(ops, unknown)
    odd = catalogue.assign(comparison="<")
    with pytest.raises(SystemExit, match="comparison"):
        check.indicator_flags(ops, odd)
