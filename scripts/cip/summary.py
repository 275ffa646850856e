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
        try:
            notes = con.execute(
                "select indicator_code, flag_note, threshold, raw_value_min, raw_value_max from marts.indicator_status "
                "where flag_note is not null order by 1").fetchall()
        except duckdb.Error:  # a partial build, or a warehouse built before the note existed
            notes = []
        if notes:
            # an active indicator that flags nobody or everybody separates no operator: often a threshold
            # on another scale than its raw value (seeds/config/indicator_catalogue.csv)
            print("\nIndicators that separate no operator (marts.indicator_status.flag_note; check the threshold "
                  "in seeds/config/indicator_catalogue.csv):")
            for code, note, threshold, low, high in notes:
                span = "no raw value" if low is None else f"raw values {float(low):g} to {float(high):g}"
                print(f"  {code:28} threshold {float(threshold):g}, {span}: {note}")
