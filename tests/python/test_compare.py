"""cip compare-warehouses: equal warehouses pass, each kind of difference is reported."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from cip.cli import main
from cip.compare import compare_warehouses


def make_warehouse(path: Path, statements: list[str]) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        for statement in statements:
            con.execute(statement)
    return path


BASE = [
    "create table marts.gri as select * from (values ('A', 0.25::double, 3), ('B', 1e6::double, 4), "
    "('C', null::double, 5)) as t(tin, gri, lines)",
    "create table marts.levels as select * from (values ('low', 1), ('high', 2)) as t(level, n)",
]


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return make_warehouse(tmp_path / "a.duckdb", BASE)


def test_same_tables_in_another_row_order_within_tolerance_are_equal(base: Path, tmp_path: Path, capsys):
    other = make_warehouse(tmp_path / "b.duckdb", [
        # other row order, float noise well under 1e-9 relative
        "create table marts.gri as select * from (values ('C', null::double, 5), ('B', 1e6::double + 1e-5, 4), "
        "('A', 0.25::double + 1e-12, 3)) as t(tin, gri, lines)",
        BASE[1],
    ])
    compared, differences = compare_warehouses(base, other, ["marts"], 1e-9)
    assert compared == ["marts.gri", "marts.levels"]
    assert differences == []
    assert main(["compare-warehouses", str(base), str(other)]) == 0
    assert "2 tables compared in marts: 0 different" in capsys.readouterr().out


@pytest.mark.parametrize("changed, expected", [
    ("create table marts.gri as select * from (values ('A', 0.25::double, 3), ('B', 1e6::double, 4)) "
     "as t(tin, gri, lines)", "row count 3 vs 2"),
    ("create table marts.gri as select * from (values ('A', 0.2500001::double, 3), ('B', 1e6::double, 4), "
     "('C', null::double, 5)) as t(tin, gri, lines)", "column gri: 0.25 vs 0.2500001"),
    ("create table marts.gri as select * from (values ('A', 0.25::double, 3), ('B', 1e6::double, 4), "
     "('C', 0::double, 5)) as t(tin, gri, lines)", "column gri: None vs 0.0"),
    ("create table marts.gri as select * from (values ('A', 0.25::double, 3), ('B', 1e6::double, 9), "
     "('C', null::double, 5)) as t(tin, gri, lines)", "column lines: 4 vs 9"),
    ("create table marts.gri as select tin, gri from (values ('A', 0.25::double)) as t(tin, gri)",
     "columns differ"),
])
def test_a_difference_is_reported(base: Path, tmp_path: Path, changed: str, expected: str):
    other = make_warehouse(tmp_path / "b.duckdb", [changed, BASE[1]])
    _, differences = compare_warehouses(base, other, ["marts"], 1e-9)
    assert [d.table for d in differences] == ["marts.gri"]
    assert expected in " ".join(differences[0].problems)
    assert main(["compare-warehouses", str(base), str(other)]) == 1


def test_a_table_on_one_side_only_is_a_difference(base: Path, tmp_path: Path):
    other = make_warehouse(tmp_path / "b.duckdb", [BASE[0]])
    _, differences = compare_warehouses(base, other, ["marts"], 1e-9)
    assert [(d.table, d.problems) for d in differences] == [("marts.levels", ["only in the first warehouse"])]


def test_a_missing_file_is_a_clear_error(base: Path, tmp_path: Path, capsys):
    assert main(["compare-warehouses", str(base), str(tmp_path / "absent.duckdb")]) == 2
    assert "no warehouse file at" in capsys.readouterr().out


def test_an_ignored_column_is_left_out_on_either_side(base: Path, tmp_path: Path):
    """--ignore-column drops a bookkeeping column (e.g. _load_seq) present on one side or with
    other values; every other column is still compared."""
    stamped = ("create table marts.gri as select *, 7 as _load_seq from (values ('A', 0.25::double, 3), "
               "('B', 1e6::double, {lines}), ('C', null::double, 5)) as t(tin, gri, lines)")
    other = make_warehouse(tmp_path / "b.duckdb", [stamped.format(lines=4), BASE[1]])
    assert [d.table for d in compare_warehouses(base, other, ["marts"], 1e-9)[1]] == ["marts.gri"]
    assert compare_warehouses(base, other, ["marts"], 1e-9, ignore=frozenset({"_load_seq"}))[1] == []
    assert main(["compare-warehouses", str(base), str(other), "--ignore-column", "_load_seq"]) == 0
    changed = make_warehouse(tmp_path / "c.duckdb", [stamped.format(lines=9), BASE[1]])
    _, differences = compare_warehouses(base, changed, ["marts"], 1e-9, ignore=frozenset({"_load_seq"}))
    assert "column lines: 4 vs 9" in " ".join(differences[0].problems)
