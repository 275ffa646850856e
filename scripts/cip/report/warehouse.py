"""Data access: the read-only warehouse connection, the marts a section needs, the as-of facts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Sequence

import duckdb


class MissingMart(Exception):
    """A section needs a relation that is not in the warehouse yet."""

    def __init__(self, relations: Sequence[str]):
        super().__init__(", ".join(relations))
        self.relations = list(relations)


class Warehouse:
    """A read-only view of the DuckDB warehouse with the few helpers the report needs."""

    def __init__(self, connection: duckdb.DuckDBPyConnection):
        self.connection = connection
        rows = connection.execute("select table_schema, table_name from information_schema.tables").fetchall()
        self.relations = {f"{schema}.{name}".lower() for schema, name in rows}
        self._columns: dict[str, list[str]] = {}
        self._indicator_names: dict[str, str] | None = None

    def has(self, relation: str) -> bool:
        return relation.lower() in self.relations

    def require(self, *relations: str) -> None:
        missing = [relation for relation in relations if not self.has(relation)]
        if missing:
            raise MissingMart(missing)

    def columns(self, relation: str) -> list[str]:
        if relation not in self._columns:
            schema, name = relation.split(".", 1)
            rows = self.connection.execute(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position", [schema, name]).fetchall()
            self._columns[relation] = [row[0] for row in rows]
        return self._columns[relation]

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        cursor = self.connection.execute(sql, list(params or []))
        names = [description[0] for description in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        row = self.connection.execute(sql, list(params or [])).fetchone()
        return row[0] if row else None

    def indicator_names(self) -> dict[str, str]:
        """indicator_code -> indicator_name from the catalogue seed (empty when absent)."""
        if self._indicator_names is None:
            self._indicator_names = {}
            if self.has("config.indicator_catalogue"):
                self._indicator_names = {row["indicator_code"]: row["indicator_name"] for row in self.rows(
                    "select indicator_code, indicator_name from config.indicator_catalogue")}
        return self._indicator_names

    def name_indicators(self, text: Any) -> str:
        """Every indicator code in text replaced by its name ('CR_REPEAT_OFFENDER (0.12)' -> name (0.12))."""
        if text is None:
            return "–"
        names = self.indicator_names()
        return re.sub(r"\b[A-Z]{2}_[A-Z0-9_]+\b", lambda match: names.get(match.group(0), match.group(0)), str(text))


def connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    if not Path(path).exists():
        raise FileNotFoundError(f"no warehouse at {path}: run `cip build` first")
    return duckdb.connect(str(path), read_only=True)


def as_of_facts(warehouse: Warehouse) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    if warehouse.has("marts.evaluation_window"):
        rows = warehouse.rows("select * from marts.evaluation_window")
        if rows:
            facts.update(rows[0])
    if "as_of_date" not in facts and warehouse.has("marts.operator_gri"):
        facts["as_of_date"] = warehouse.scalar("select max(as_of_date) from marts.operator_gri")
    return facts
