"""The backtest's own warehouse: a filtered copy of the raw data, a dbt build as of the
date into its own DuckDB file, the outcomes read from the original raw files, and an
audit that the warehouse saw nothing it should not have.

Leak-free by construction:
  - control_results keeps only the rows closed on or before the as-of date D (rows whose
    date cannot be read are kept as they are, so staging still quarantines them);
  - declarations keep the lines dated on or before D + horizon (the lines after D are
    the ones scored: their features can only use the outcomes known by D);
  - every other table is linked as it is;
  - dbt builds with --vars {as_of_date: D, data_dir: <the copy>} into the backtest's file.
The outcomes (controls closed in (D, D + horizon]) come from the ORIGINAL raw
control_results, clean rows only, by the same contract rules as staging.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import duckdb
import pandas as pd

from cip import raw_csv
from cip.check import _null_or, _pattern, checked_source, load_contract, raw_files, registers_of
from cip.dbt import run_dbt

# the models the backtest reads, and everything upstream of them
SELECT = ("+declaration_risk", "+operator_gri_by_technique", "+operator_line_risk", "+evaluation_window")
# raw table -> (date column, which bound applies)
FILTERED = {"control_results": ("control_date", "as_of"), "declarations": ("declaration_date", "end")}


def horizon_end(as_of: pd.Timestamp, months: int) -> pd.Timestamp:
    return (pd.Timestamp(as_of) + pd.DateOffset(months=int(months))).normalize()


def _sql_text(value) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def filtered_copy(data: Path, dest: Path, as_of: pd.Timestamp, end: pd.Timestamp) -> dict:
    """Copy the raw data folder `data` into `dest` for a build as of `as_of`:
    control_results to `as_of`, declarations to `end`, the rest as symbolic links.
    Returns, per filtered table, the rows read, kept and left out."""
    data, dest = Path(data).resolve(), Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    bounds = {"as_of": pd.Timestamp(as_of).date(), "end": pd.Timestamp(end).date()}
    copied: dict[str, dict] = {}
    con = duckdb.connect()
    try:
        for table, (column, bound) in FILTERED.items():
            files = raw_files(data, table)
            if len({raw_csv.is_csv(p) for p in files}) > 1:
                raise SystemExit(f"cip backtest: {table} has both Parquet and CSV files in {data}: keep one format")
            totals = {"rows": 0, "kept": 0, "left_out": 0, "cutoff": str(bounds[bound]), "column": column}
            for path in files:
                path = Path(path)
                relative = path.relative_to(data)
                keep = (f"try_cast({column} as date) is null "
                        f"or try_cast({column} as date) <= {_sql_text(bounds[bound])}::date")
                if raw_csv.is_csv(path):
                    # all-varchar Parquet: staging casts as for CSV; a record that does not fit the
                    # header keeps its _cip_record_error (quarantined by the build) and is always kept
                    reader = f"(select * exclude (_cip_raw_file) from {raw_csv.reader(con, path)})"
                    relative = relative.parent / (relative.name.split(".")[0] + ".parquet")
                    keep = f"{raw_csv.RECORD_ERROR_COLUMN} is not null or {keep}"
                else:
                    reader = f"read_parquet({_sql_text(path)})"
                target = dest / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                rows = con.execute(f"select count(*) from {reader}").fetchone()[0]
                con.execute(f"copy (select * from {reader} where {keep}) to {_sql_text(target)} (format parquet)")
                kept = con.execute(f"select count(*) from read_parquet({_sql_text(target)})").fetchone()[0]
                totals["rows"] += rows
                totals["kept"] += kept
                totals["left_out"] += rows - kept
            copied[table] = totals
    finally:
        con.close()
    filtered_names = {Path(p).relative_to(data).parts[0] for t in FILTERED for p in raw_files(data, t)}
    for entry in sorted(data.iterdir()):
        if entry.name not in filtered_names:
            (dest / entry.name).symlink_to(entry.resolve(), target_is_directory=entry.is_dir())
    return copied


def build(copy: Path, db: Path, as_of: pd.Timestamp, work: Path, select=SELECT, quiet: bool = False,
          tests: bool = True) -> int:
    """dbt build as of the date into `db`, reading the raw files of `copy` only.
    dbt's target and log folders go to `work` so parallel builds in the project do not clash.
    tests=False leaves data and unit tests out (models and seeds only)."""
    variables = json.dumps({"as_of_date": str(pd.Timestamp(as_of).date()), "data_dir": str(Path(copy).resolve())})
    args = ["build", "--vars", variables, "--target-path", str(Path(work) / "target"),
            "--log-path", str(Path(work) / "logs")]
    if select:
        args += ["--select", *select, "--indirect-selection", "buildable"]
    if not tests:
        args += ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
    return run_dbt(args, data=Path(copy), db=Path(db), quiet=quiet)


def warehouse_as_of(db: Path) -> pd.Timestamp:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return pd.Timestamp(con.execute("select as_of_date from marts.evaluation_window").fetchone()[0])
    finally:
        con.close()


def leak_audit(db: Path, as_of: pd.Timestamp, end: pd.Timestamp) -> dict:
    """Rows dated too late in the backtest warehouse: for every table or view with a
    control_date column, controls closed after `as_of`; with a declaration_date column,
    lines dated after `end`. Both must be zero."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where column_name in ('control_date', 'declaration_date') order by 1, 2, 3").fetchall()
        out = {"controls_after_as_of": {}, "declarations_after_end": {}}
        for schema, table, column in columns:
            bound, key = (as_of, "controls_after_as_of") if column == "control_date" else (end, "declarations_after_end")
            count = con.execute(f'select count(*) from "{schema}"."{table}" where try_cast("{column}" as date) > ?',
                                [pd.Timestamp(bound).date()]).fetchone()[0]
            out[key][f"{schema}.{table}"] = int(count)
    finally:
        con.close()
    out["tables_checked"] = len(columns)
    out["leaks"] = sum(out["controls_after_as_of"].values()) + sum(out["declarations_after_end"].values())
    return out


def later_controls(data: Path, config: dict, as_of: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Clean control results of the ORIGINAL raw data (same rules as staging) closed in
    (as_of, end], with is_irregular, amount_reassessed (null = 0) and selection_method
    (null or absent = 'unknown')."""
    tin_re = config["tin_pattern"]
    contracts = load_contract()
    try:   # the register TINs are restored against (meta restore_leading_zeros)
        taxpayers = checked_source(Path(data), contracts, "tax", "taxpayers", lambda f: _pattern(f["tin"], tin_re))
    except SystemExit:   # a register breaking the contract: the backtest's own build stops on it, naming it
        taxpayers = None
    controls = checked_source(Path(data), contracts, "customs", "control_results",
                              lambda f: _pattern(f["tin"], tin_re)
                              & ~_null_or((f["control_type"] == "examination") & f["declaration_id"].isna())
                              & ~_null_or((f["outcome"] == "irregularity") & f["offence_type"].isna())
                              & ~_null_or((f["amount_reassessed"] < 0) | (f["amount_collected"] < 0)),
                              registers=registers_of(taxpayers))
    if controls is None:
        raise SystemExit(f"cip backtest: no control_results in {data}: nothing to score against")
    dates = pd.to_datetime(controls["control_date"])
    controls = controls[(dates > pd.Timestamp(as_of)) & (dates <= pd.Timestamp(end))].copy()
    controls["is_irregular"] = (controls["outcome"] == "irregularity").to_numpy(bool)
    controls["amount_reassessed"] = pd.to_numeric(controls["amount_reassessed"], errors="coerce").fillna(0.0)
    method = controls["selection_method"] if "selection_method" in controls else pd.Series(None, index=controls.index)
    controls["selection_method"] = method.astype("object").where(method.notna(), "unknown").astype(str)
    return controls.reset_index(drop=True)


def table_exists(con, schema: str, table: str) -> bool:
    return con.execute("select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                       [schema, table]).fetchone()[0] > 0


def columns_of(con, schema: str, table: str) -> list[str]:
    return [r[0] for r in con.execute("select column_name from information_schema.columns "
                                      "where table_schema = ? and table_name = ? order by ordinal_position",
                                      [schema, table]).fetchall()]


def warn(message: str) -> None:
    print(f"cip backtest: {message}", file=sys.stderr)
