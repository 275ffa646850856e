"""Compare the tables of two DuckDB warehouses: row counts exactly, values within a tolerance.

For a refactoring that must not change outputs (the marts of a build before and after it):
`cip compare-warehouses before.duckdb after.duckdb` compares every table of the marts schema
(or of the schemas given with --schema). Each table's rows are put in the same order on both
sides (its non-float columns first, then its float columns rounded well above the tolerance),
then compared row by row: non-float values must be equal, floats within
tolerance x max(1, |a|, |b|). Exit code 0 when every table is equal, 1 otherwise.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

HELP = "Compare the tables of two warehouse files (row counts exactly, floats within a tolerance)."

FLOAT_TYPES = {"DOUBLE", "FLOAT", "REAL"}
# floats are rounded to this many decimals for ordering only (far above the tolerance's noise)
ORDER_DECIMALS = 6


@dataclass
class TableDifference:
    table: str
    problems: list[str] = field(default_factory=list)


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
        [catalog, schema, table]).fetchall()


def _tables(con: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> set[str]:
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = ? and table_schema = ? and table_type in ('BASE TABLE', 'VIEW')",
        [catalog, schema]).fetchall()
    return {name for (name,) in rows}


def _ordered_rows(con: duckdb.DuckDBPyConnection, relation: str, columns: list[tuple[str, str]]) -> list[tuple]:
    keys = [f'"{name}"' for name, kind in columns if kind not in FLOAT_TYPES]
    keys += [f'round("{name}", {ORDER_DECIMALS})' for name, kind in columns if kind in FLOAT_TYPES]
    select = ", ".join(f'"{name}"' for name, _ in columns)
    order = ", ".join(f"{key} nulls last" for key in keys)
    return con.execute(f"select {select} from {relation} order by {order}").fetchall()


def _close(a: object, b: object, tolerance: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        if math.isinf(a) or math.isinf(b):
            return a == b
        return abs(a - b) <= tolerance * max(1.0, abs(a), abs(b))
    return a == b


def compare_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, tolerance: float,
                  max_examples: int = 3, ignore: frozenset[str] = frozenset()) -> TableDifference:
    """Compare one table present in both attached warehouses (`a` and `b`), without the columns
    named in `ignore` (on either side)."""
    result = TableDifference(f"{schema}.{table}")
    columns_a = [column for column in _columns(con, "a", schema, table) if column[0] not in ignore]
    columns_b = [column for column in _columns(con, "b", schema, table) if column[0] not in ignore]
    if [name for name, _ in columns_a] != [name for name, _ in columns_b]:
        result.problems.append(
            f"columns differ: {[n for n, _ in columns_a]} vs {[n for n, _ in columns_b]}")
        return result
    count_a = con.execute(f'select count(*) from a."{schema}"."{table}"').fetchone()[0]
    count_b = con.execute(f'select count(*) from b."{schema}"."{table}"').fetchone()[0]
    if count_a != count_b:
        result.problems.append(f"row count {count_a} vs {count_b}")
        return result
    # the same column types on both sides decide the ordering (a float on one side only: compare as float)
    columns = [(name, kind_a if kind_a == kind_b else "DOUBLE")
               for (name, kind_a), (_, kind_b) in zip(columns_a, columns_b)]
    rows_a = _ordered_rows(con, f'a."{schema}"."{table}"', columns)
    rows_b = _ordered_rows(con, f'b."{schema}"."{table}"', columns)
    for number, (row_a, row_b) in enumerate(zip(rows_a, rows_b), start=1):
        for (name, _), value_a, value_b in zip(columns, row_a, row_b):
            if not _close(value_a, value_b, tolerance):
                result.problems.append(f"row {number} (ordered) column {name}: {value_a!r} vs {value_b!r}")
                break
        if len(result.problems) >= max_examples:
            result.problems.append("... (first differences only)")
            break
    return result


def compare_warehouses(path_a: Path, path_b: Path, schemas: list[str], tolerance: float,
                       ignore: frozenset[str] = frozenset()) -> tuple[list[str], list[TableDifference]]:
    """Return (tables compared, differences) over the given schemas of two warehouse files."""
    for path in (path_a, path_b):
        if not Path(path).is_file():
            raise FileNotFoundError(f"no warehouse file at {path}")
    compared: list[str] = []
    differences: list[TableDifference] = []
    with duckdb.connect() as con:
        con.execute(f"attach '{Path(path_a).resolve()}' as a (read_only)")
        con.execute(f"attach '{Path(path_b).resolve()}' as b (read_only)")
        for schema in schemas:
            tables_a, tables_b = _tables(con, "a", schema), _tables(con, "b", schema)
            if not tables_a and not tables_b:
                differences.append(TableDifference(schema, [f"schema {schema} has no table in either warehouse"]))
                continue
            for table in sorted(tables_a ^ tables_b):
                side = "first" if table in tables_a else "second"
                differences.append(TableDifference(f"{schema}.{table}", [f"only in the {side} warehouse"]))
            for table in sorted(tables_a & tables_b):
                compared.append(f"{schema}.{table}")
                difference = compare_table(con, schema, table, tolerance, ignore=ignore)
                if difference.problems:
                    differences.append(difference)
    return compared, differences


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("first", type=Path, help="DuckDB warehouse file (e.g. a build of main)")
    parser.add_argument("second", type=Path, help="DuckDB warehouse file (e.g. a build of the change)")
    parser.add_argument("--schema", action="append", default=None,
                        help="schema to compare (repeatable; default: marts)")
    parser.add_argument("--tolerance", type=float, default=1e-9,
                        help="relative tolerance of float values, against max(1, |a|, |b|) (default 1e-9)")
    parser.add_argument("--ignore-column", action="append", default=[], metavar="NAME",
                        help="leave this column out wherever it appears (repeatable), e.g. _load_seq, the load a "
                             "stored row was computed with, which differs between an incremental build and a "
                             "full refresh by design")


def run(args: argparse.Namespace) -> int:
    schemas = args.schema or ["marts"]
    try:
        compared, differences = compare_warehouses(args.first, args.second, schemas, args.tolerance,
                                                   frozenset(args.ignore_column))
    except (FileNotFoundError, duckdb.Error) as error:
        print(f"cip compare-warehouses: {error}")
        return 2
    for difference in differences:
        print(f"DIFFERENT {difference.table}")
        for problem in difference.problems:
            print(f"    {problem}")
    print(f"{len(compared)} tables compared in {', '.join(schemas)}: "
          f"{len(differences)} different (tolerance {args.tolerance:g})")
    return 1 if differences else 0
