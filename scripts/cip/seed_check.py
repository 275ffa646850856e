"""The configuration seeds checked row by row before `cip build` starts dbt.

An administration edits seeds/*/*.csv by hand. dbt tests the loaded seeds too, but a failed
dbt test says only "Got 1 result" for a test name. Here the same declared rules of
seeds/*/_*__seeds.yml (column types, unique, not_null, accepted_values, relationships,
unique_combination_of_columns) are applied to the CSV files, and each broken rule is named
with the file, the line, the column, the value and the fix. Rules written in SQL
(expression_is_true, the singular tests under tests/dbt) stay with dbt.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import yaml

from cip.paths import project_root

TRUE_FALSE = {"true", "false", "t", "f", "yes", "no", "1", "0"}


def _read(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def _value(row: dict, column: str) -> str | None:
    text = (row.get(column) or "").strip()
    return text or None


def _tests(node: dict) -> list[tuple[str, dict]]:
    """(name, arguments) of the data_tests of a seed or column."""
    found = []
    for test in node.get("data_tests") or node.get("tests") or []:
        if isinstance(test, str):
            found.append((test, {}))
        else:
            name, body = next(iter(test.items()))
            body = body or {}
            found.append((name, {**body, **(body.get("arguments") or {})}))
    return found


def _kind(declared: str) -> str:
    declared = str(declared).lower()
    for kind in ("double", "integer", "boolean", "date"):
        if kind in declared:
            return kind
    return "text"


def _type_problem(value: str, kind: str) -> str:
    if kind == "double":
        try:
            number = float(value)
        except ValueError:
            return "is not a number"
        return "" if number == number and abs(number) != float("inf") else "is not a finite number"
    if kind == "integer":
        return "" if re.fullmatch(r"[+-]?\d+", value) else "is not an integer"
    if kind == "boolean":
        return "" if value.lower() in TRUE_FALSE else "is not true or false"
    if kind == "date":
        return "" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else "is not a date YYYY-MM-DD"
    return ""


def check_seeds(root: Path | None = None) -> list[str]:
    """Every broken rule, one message each (empty when the seeds are sound)."""
    root = root or project_root()
    seeds: dict[str, tuple[Path, dict]] = {}
    for spec in sorted((root / "seeds").glob("*/_*__seeds.yml")):
        for seed in yaml.safe_load(spec.read_text()).get("seeds") or []:
            seeds[seed["name"]] = (spec, seed)
    rows_of: dict[str, list[dict]] = {}
    for name, (spec, _) in seeds.items():
        path = spec.parent / f"{name}.csv"
        if path.exists():
            rows_of[name] = _read(path)
    problems: list[str] = []
    for name, (spec, seed) in seeds.items():
        if name not in rows_of:
            continue
        path = (spec.parent / f"{name}.csv").relative_to(root)
        rows = rows_of[name]
        where = f"(rule in {spec.relative_to(root)})"
        types = (seed.get("config") or {}).get("column_types") or {}
        header = set(rows[0]) if rows else set()
        for column, declared in types.items():
            if rows and column not in header:
                problems.append(f"{path}: column {column} is missing from the header: add it back {where}")
                continue
            kind = _kind(declared)
            for line, row in enumerate(rows, start=2):
                value = _value(row, column)
                problem = _type_problem(value, kind) if value is not None else ""
                if problem:
                    problems.append(f"{path} line {line}: {column} = '{value}' {problem}: write a {kind} {where}")
        checks = [(None, test, args) for test, args in _tests(seed)]
        for column in seed.get("columns") or []:
            checks += [(column["name"], test, args) for test, args in _tests(column)]
        for column, test, args in checks:
            if test == "unique_combination_of_columns" or test == "unique":
                key = args.get("combination_of_columns") or [column]
                first: dict[tuple, int] = {}
                for line, row in enumerate(rows, start=2):
                    value = tuple(_value(row, c) for c in key)
                    if None in value:
                        continue
                    if value in first:
                        problems.append(f"{path} line {line}: {', '.join(key)} = {', '.join(value)} repeats line "
                                        f"{first[value]}: keep one row per {', '.join(key)} {where}")
                    first.setdefault(value, line)
            elif test == "not_null":
                for line, row in enumerate(rows, start=2):
                    if _value(row, column) is None:
                        problems.append(f"{path} line {line}: {column} is empty: fill it {where}")
            elif test == "accepted_values":
                allowed = [str(v) for v in args.get("values") or []]
                for line, row in enumerate(rows, start=2):
                    value = _value(row, column)
                    if value is not None and value not in allowed:
                        problems.append(f"{path} line {line}: {column} = '{value}' is not one of "
                                        f"{', '.join(allowed)} {where}")
            elif test == "expression_is_true":
                # the simple comparisons of a column with a number; other SQL stays with dbt
                simple = re.fullmatch(r"\s*(\w+)\s*(>=|<=|>|<)\s*(-?[\d.]+)\s*", str(args.get("expression") or ""))
                if not simple:
                    continue
                name, operator, bound = simple.group(1), simple.group(2), float(simple.group(3))
                holds = {">=": float.__ge__, "<=": float.__le__, ">": float.__gt__, "<": float.__lt__}[operator]
                for line, row in enumerate(rows, start=2):
                    value = _value(row, name)
                    try:
                        number = float(value) if value is not None else None
                    except ValueError:
                        continue      # named by the type rule
                    if number is not None and not holds(number, bound):
                        problems.append(f"{path} line {line}: {name} = {value} breaks {name} {operator} "
                                        f"{simple.group(3)} {where}")
            elif test == "relationships":
                target = re.search(r"ref\(['\"](\w+)['\"]\)", str(args.get("to") or ""))
                if not target or target.group(1) not in rows_of:
                    continue
                field = args.get("field") or column
                known = {_value(row, field) for row in rows_of[target.group(1)]}
                for line, row in enumerate(rows, start=2):
                    value = _value(row, column)
                    if value is not None and value not in known:
                        problems.append(f"{path} line {line}: {column} = '{value}' is not a {field} of seed "
                                        f"{target.group(1)}: correct it or add that row there {where}")
    return problems
