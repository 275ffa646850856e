"""Lint-time stand-in for dbt's `target`: the DuckDB target."""

type = "duckdb"
name = "duckdb"
schema = "main"
