"""A short account of what a build produced, read from the warehouse file."""

from __future__ import annotations

from pathlib import Path

import duckdb


def print_summary(db: Path) -> None:
    db = Path(db).resolve()
    print(f"\nWarehouse: {db}")
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name, table_type from information_schema.tables "
            "where table_schema in ('staging', 'intermediate', 'marts') order by 1, 2").fetchall()
        by_schema: dict[str, int] = {}
        for schema, _, _ in tables:
            by_schema[schema] = by_schema.get(schema, 0) + 1
        print("Relations built: " + ", ".join(f"{n} in {s}" for s, n in by_schema.items()))
        try:
            inventory = con.execute(
                "select source_name || '.' || table_name, is_available, raw_rows, staged_rows, "
                "rejected_rows, superseded_rows from staging.stg_source_inventory order by 1").fetchall()
        except duckdb.Error:  # a partial build (--select) without the inventory
            inventory = []
        if inventory:
            print(f"\n{'source':34} {'raw':>12} {'staged':>12} {'rejected':>9} {'superseded':>10}")
        for name, available, raw, staged, rejected, superseded in inventory:
            if not available:
                print(f"{name:34} {'(absent: dependent indicators disabled)':>46}")
            else:
                print(f"{name:34} {raw:>12,} {staged:>12,} {rejected:>9,} {superseded:>10,}")
        marts = [name for schema, name, _ in tables if schema == "marts"]
        if marts:
            print("\nMarts:")
            for name in marts:
                rows = con.execute(f'select count(*) from marts."{name}"').fetchone()[0]
                print(f"  {name:40} {rows:>10,} rows")
