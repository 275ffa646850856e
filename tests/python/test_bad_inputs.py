"""The bad-input catalogue (issue 16): every bad input gets the right outcome.

Either the row is quarantined with its reason (staging.stg_quarantine__rejected_rows), or
it is staged correctly after a documented normalisation, or the run stops with a message
naming the file, column or var and how to fix it. Every build that succeeds must still
reconcile raw = staged + rejected + superseded (staging.stg_source_inventory).

One small generated set is shared: row-level cases are planted together on distinct rows
of one copy (one build), file- and var-level cases each get their own copy. Builds run
only the staging models, their tests and the evaluation window.
"""

from __future__ import annotations

import argparse
import decimal
import gzip
import os
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from cip.build import failure_cause
from cip.check import compute, load_contract, load_vars, read_raw, stage
from cip.dbt import dbt_executable
from cip.generate import generate
from cip.paths import project_root

pytestmark = pytest.mark.warehouse

ROOT = project_root()
# cautious: a test runs only when all its parents are built here (a test that also reads a mart is not a staging test)
STAGING = ["build", "--indirect-selection", "cautious", "--select", "path:models/staging", "path:models/utilities",
           "path:tests/dbt/staging", "int_evaluation_window"]


_SHARED: dict[str, Path] = {}


def _dbt(args: list[str], data: Path, work: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """dbt with the case's data and warehouse. Every run sees the same data path (a symlink
    whose name holds a quote, so every case also proves paths are quoted) and the same
    warehouse path, so dbt parses the project once and partially after (the profile and
    the vars stay the same); the warehouse file is moved in and out of `work`."""
    shared = _SHARED["root"]
    link, db = shared / "o'brien data", shared / "warehouse.duckdb"
    if link.is_symlink():
        link.unlink()
    link.symlink_to(data.resolve(), target_is_directory=True)
    work.mkdir(parents=True, exist_ok=True)
    for stale in (db, shared / "warehouse.duckdb.wal"):
        stale.unlink(missing_ok=True)
    if (work / "warehouse.duckdb").exists():
        shutil.copy(work / "warehouse.duckdb", db)
    environ = dict(os.environ)
    environ.update({
        "CIP_DATA_DIR": str(link), "CIP_DB_PATH": str(db),
        "DBT_TARGET_PATH": str(shared / "target"), "DBT_LOG_PATH": str(shared / "logs"),
        "DBT_PROFILES_DIR": str(ROOT), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    })
    environ.update(env or {})
    try:
        return subprocess.run([dbt_executable(), *args], cwd=ROOT, env=environ, capture_output=True, text=True)
    finally:
        if db.exists():
            shutil.move(db, work / "warehouse.duckdb")


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("_truth"))
    return dst


def _query(work: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).df()


def _assert_reconciles(work: Path) -> None:
    inventory = _query(work, "select * from staging.stg_source_inventory")
    broken = inventory[inventory["raw_rows"] != inventory["staged_rows"] + inventory["rejected_rows"]
                       + inventory["superseded_rows"]]
    assert broken.empty, broken.to_string()


def _build_ok(data: Path, work: Path, env: dict | None = None) -> None:
    result = _dbt(STAGING, data, work, env)
    assert result.returncode == 0, result.stdout[-4000:]
    _assert_reconciles(work)


def _fails_with(result: subprocess.CompletedProcess, *fragments: str) -> str:
    assert result.returncode != 0, "the run should have stopped"
    text = result.stdout + result.stderr
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text[-3000:]}"
    return text


def _rejects(work: Path, table: str) -> dict[str, str]:
    frame = _query(work, "select row_key, reject_reasons from staging.stg_quarantine__rejected_rows "
                         f"where table_name = '{table}'")
    return dict(zip(frame["row_key"], frame["reject_reasons"]))


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict:
    """The shared generated set, built once clean."""
    root = tmp_path_factory.mktemp("bad-inputs")
    _SHARED["root"] = root
    data = root / "base"
    generate(data, declarations=3000, seed=5, progress=False)
    work = root / "clean"
    _build_ok(data, work)
    staged = _query(work, "select declaration_id, item_no, hs_code, tin, declaration_date "
                          "from staging.stg_customs__declarations")
    window = _query(work, "select * from intermediate.int_evaluation_window").iloc[0]
    return {"root": root, "data": data, "work": work, "staged": staged, "as_of": window["as_of_date"]}


def _single_lines(frame: pd.DataFrame) -> pd.Index:
    """Rows whose line (declaration_id, item_no) has that one row, in file order."""
    counts = frame.groupby(["declaration_id", "item_no"])["item_no"].transform("size")
    return frame.index[(counts == 1) & (frame["version"] == 1)]


def _key(frame: pd.DataFrame, row: int) -> str:
    item = float(frame.at[row, "item_no"])
    return f"{frame.at[row, 'declaration_id']}|{int(item) if item.is_integer() else '<null>'}"


def _write(frame: pd.DataFrame, path: Path, nan_cells: dict[str, list] | None = None) -> None:
    """to_parquet, but the planted cells of nan_cells keep a real NaN (pandas writes NaN as null)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for column, rows in (nan_cells or {}).items():
        values = frame[column].to_numpy(dtype="float64")
        mask = np.isnan(values)
        mask[[frame.index.get_loc(r) for r in rows]] = False
        position = table.schema.get_field_index(column)
        table = table.set_column(position, column, pa.array(values, mask=mask))
    pq.write_table(table, path)


# --------------------------------------------------------------------------- row-level cases, one build

@pytest.fixture(scope="module")
def rows(base) -> dict:
    data = _copy(base["data"], base["root"] / "rows")
    decl = pd.read_parquet(data / "declarations.parquet")
    decl["declaration_date"] = decl["declaration_date"].astype(str)
    nomenclature = pd.read_parquet(data / "hs_nomenclature.parquet")
    controls = pd.read_parquet(data / "control_results.parquet")
    controls["control_date"] = controls["control_date"].astype(str)
    codes = set(nomenclature["hs_code"])
    free = list(_single_lines(decl))
    examined = set(zip(controls["declaration_id"], controls["item_no"]))
    free = [i for i in free if (decl.at[i, "declaration_id"], float(decl.at[i, "item_no"])) not in examined]
    cases: dict[str, int] = {}

    def take(name: str) -> int:
        row = free.pop(7)
        cases[name] = row
        return row

    lines_of = decl.groupby("declaration_id")["item_no"].transform("size")

    def take_alone(name: str) -> int:
        """A line whose declaration has no other line: a changed header value (date, flow,
        broker) cannot disagree with a sibling."""
        row = next(i for i in free[7:] if lines_of[i] == 1)
        free.remove(row)
        cases[name] = row
        return row

    # lines of one declaration disagreeing on a header column: every line quarantined
    free_set = set(free)
    whole = [d for d, group in decl.groupby("declaration_id") if len(group) >= 3 and set(group.index) <= free_set]
    other_tin = decl.loc[~decl["declaration_id"].isin(whole[:2]), "tin"].iloc[0]
    for name, declaration, column, value in (("header_tin", whole[0], "tin", other_tin),
                                             ("header_broker", whole[1], "declarant_id", "BRK_ONE_LINE")):
        group = list(decl.index[decl["declaration_id"] == declaration])
        for row in group:
            free.remove(row)
        cases[name] = group[0]
        cases[name + "_sibling"] = group[-1]
        decl.at[group[1], column] = value
        if column == "declarant_id":
            decl.loc[[row for row in group if row != group[1]], column] = None

    # a code that lost its leading zero, unambiguous: restored
    zero_rows = [i for i in free if decl.at[i, "hs_code"].startswith("0") and decl.at[i, "hs_code"][1:] not in codes]
    restored = zero_rows[0]
    free.remove(restored)
    cases["hs_zero_lost"] = restored
    decl.at[restored, "hs_code"] = decl.at[restored, "hs_code"][1:]
    # ambiguous: the unpadded code also exists in the nomenclature -> kept as delivered
    ambiguous = zero_rows[1]
    free.remove(ambiguous)
    cases["hs_zero_ambiguous"] = ambiguous
    ambiguous_code = decl.at[ambiguous, "hs_code"]
    extra = nomenclature[nomenclature["hs_code"] == ambiguous_code].copy()
    extra["hs_code"] = ambiguous_code[1:]
    nomenclature = pd.concat([nomenclature, extra], ignore_index=True)
    decl.at[ambiguous, "hs_code"] = ambiguous_code[1:]
    # unknown either way: quarantined
    decl.at[take("hs_unknown"), "hs_code"] = "9999999"
    spaced = take("hs_spaces")
    decl.at[spaced, "hs_code"] = " " + decl.at[spaced, "hs_code"] + " "

    decl.at[take("exemption_empty"), "exemption_code"] = ""
    decl.at[take_alone("declarant_blank"), "declarant_id"] = "   "
    tin_row = take("tin_lower")
    decl.at[tin_row, "tin"] = "  " + decl.at[tin_row, "tin"].lower() + "\t"
    decl.at[take_alone("flow_lower"), "flow"] = "i "
    decl.at[take("mode_upper"), "transport_mode"] = " SEA"
    decl.at[take("currency_lower"), "currency"] = "usd"
    decl.at[take("value_nan"), "customs_value"] = float("nan")
    decl.at[take("value_inf"), "customs_value"] = float("inf")
    decl.at[take("value_neg_inf"), "duty_paid"] = float("-inf")
    decl.at[take("mass_huge"), "net_mass_kg"] = 1e308
    decl.at[take("future_date"), "declaration_date"] = "2099-01-05"
    decl.at[take("ancient_date"), "declaration_date"] = "1899-12-30"
    decl.at[take("date_garbage"), "declaration_date"] = "31/12/2025"
    decl.at[take_alone("date_offset"), "declaration_date"] = "2025-06-30T22:30:00-05:00"   # 2025-07-01 in UTC
    decl.at[take("required_blank"), "origin_country"] = " "
    decl.at[take("version_zero"), "version"] = 0
    # an id or code holding an invisible or control character would stage as a second id
    zero_width = take("id_zero_width")
    decl.at[zero_width, "declaration_id"] = decl.at[zero_width, "declaration_id"] + "\u200b"
    control_char = take("supplier_control_char")
    decl.at[control_char, "supplier_id"] = "SUP\x07" + str(decl.at[control_char, "supplier_id"])
    # an export's spelling of "missing" (var null_markers): null, not a broker named NULL
    decl.at[take_alone("declarant_null_marker"), "declarant_id"] = "NULL"
    decl.at[take("supplier_na_marker"), "supplier_id"] = " N/A "
    decl.at[take("tin_null_marker"), "tin"] = "NULL"
    # one stray line dated after the real end of the data (but before the load date)
    stray = take_alone("stray_late_line")
    decl.at[stray, "declaration_date"] = "2026-03-10"
    decl.at[stray, "currency"] = "USD"
    # fractional item numbers: the column becomes a double, whole values still load
    decl["item_no"] = decl["item_no"].astype("float64")
    decl.at[take("item_fraction"), "item_no"] = 1.5
    _write(decl, data / "declarations.parquet", {"customs_value": [cases["value_nan"]]})
    nomenclature.to_parquet(data / "hs_nomenclature.parquet", index=False)

    rates = pd.read_parquet(data / "exchange_rates.parquet")
    march = rates[rates["month_start"] == rates["month_start"].max()].copy()
    march["month_start"] = pd.Timestamp("2026-03-01").date()
    rates = pd.concat([rates, march], ignore_index=True)
    nan_rate = rates.index[(rates["currency"] == "ZAR")][3]
    rates.at[nan_rate, "usd_per_unit"] = float("nan")
    _write(rates, data / "exchange_rates.parquet", {"usd_per_unit": [nan_rate]})

    # controls
    template = controls[controls["control_type"] == "examination"].iloc[0]
    pca = controls[controls["control_type"] == "pca"].iloc[0]

    def control(control_id: str, **values) -> dict:
        row = (pca if values.pop("kind", "examination") == "pca" else template).to_dict()
        row.update(control_id=control_id, **values)
        return row

    quarantined_line = cases["value_nan"]
    extra_controls = pd.DataFrame([
        control("CBAD000001", declaration_id="D_DOES_NOT_EXIST", item_no=1.0),
        control("CBAD000002", kind="pca", declaration_id=None, item_no=None, tin="T000000000"),
        control("CBAD000003", control_date="2099-02-01"),
        control("CBAD000004", declaration_id=decl.at[quarantined_line, "declaration_id"],
                item_no=float(decl.at[quarantined_line, "item_no"]), tin=decl.at[quarantined_line, "tin"],
                control_date="2025-12-31"),
        control("CBAD000005", tin=template["tin"].lower()),
        control("CBAD000006", tin="T111111111"),
        control("CBAD000007", item_no=2.5),
        control("CBAD000008", amount_reassessed=float("nan")),
    ])
    controls = pd.concat([controls, extra_controls], ignore_index=True)
    _write(controls, data / "control_results.parquet", {"amount_reassessed": [controls.index[-1]]})

    work = base["root"] / "rows-work"
    _build_ok(data, work)
    return {"work": work, "data": data, "decl": decl, "cases": cases, "ambiguous_code": ambiguous_code,
            "rejects": _rejects(work, "declarations"), "control_rejects": _rejects(work, "control_results"),
            "rate_rejects": _rejects(work, "exchange_rates"),
            "staged": _query(work, "select * from staging.stg_customs__declarations"),
            "controls": _query(work, "select * from staging.stg_customs__control_results"),
            "window": _query(work, "select * from intermediate.int_evaluation_window").iloc[0]}


def _reason(rows: dict, case: str) -> str:
    key = _key(rows["decl"], rows["cases"][case])
    assert key in rows["rejects"], f"{case}: {key} not quarantined"
    return rows["rejects"][key]


def _staged(rows: dict, case: str) -> pd.Series:
    decl, row = rows["decl"], rows["cases"][case]
    staged = rows["staged"]
    match = staged[(staged["declaration_id"] == decl.at[row, "declaration_id"])
                   & (staged["item_no"] == int(float(decl.at[row, "item_no"])))]
    assert len(match) == 1, f"{case}: not staged"
    return match.iloc[0]


@pytest.mark.parametrize("case, reason", [
    ("value_nan", "customs_value is NaN"),
    ("value_inf", "customs_value is infinite"),
    ("value_neg_inf", "duty_paid is infinite"),
    ("mass_huge", "net_mass_kg out of range"),
    ("future_date", "declaration_date after the load date"),
    ("ancient_date", "declaration_date before the earliest date"),
    ("date_garbage", "declaration_date unreadable as date (day/month/year, whose order is ambiguous?"),
    ("required_blank", "origin_country missing"),
    ("version_zero", "version not positive"),
    ("item_fraction", "item_no not a whole number"),
    ("hs_unknown", "hs_code not in nomenclature"),
    ("id_zero_width", "declaration_id holds a control or invisible character"),
    ("supplier_control_char", "supplier_id holds a control or invisible character"),
    ("tin_null_marker", "tin missing"),
    ("header_tin", "declaration lines disagree on tin ("),
    ("header_tin_sibling", "declaration lines disagree on tin ("),
    ("header_broker", "declaration lines disagree on declarant_id (none, BRK_ONE_LINE)"),
    ("header_broker_sibling", "declaration lines disagree on declarant_id (none, BRK_ONE_LINE)"),
])
def test_row_quarantined_with_reason(rows, case, reason):
    assert reason in _reason(rows, case)


def test_empty_and_blank_text_is_null(rows):
    assert not _staged(rows, "exemption_empty")["is_exempt"]
    assert pd.isna(_staged(rows, "declarant_blank")["declarant_id"])
    assert not (rows["staged"]["declarant_id"] == "").any()
    assert not (rows["staged"]["exemption_code"] == "").any()


def test_null_markers_are_null(rows):
    """'NULL' or 'N/A' written for a missing broker or supplier stages as null (no broker), not as
    a code every such line would share."""
    assert pd.isna(_staged(rows, "declarant_null_marker")["declarant_id"])
    assert pd.isna(_staged(rows, "supplier_na_marker")["supplier_id"])
    assert not rows["staged"]["declarant_id"].isin(["NULL", "N/A"]).any()


def test_codes_trimmed_and_case_normalised(rows, base):
    decl = rows["decl"]
    assert _staged(rows, "tin_lower")["tin"] == decl.at[rows["cases"]["tin_lower"], "tin"].strip().upper()
    assert _staged(rows, "flow_lower")["flow"] == "I"
    assert _staged(rows, "mode_upper")["transport_mode"] == "sea"
    assert _staged(rows, "currency_lower")["currency"] == "USD"
    assert _staged(rows, "hs_spaces")["hs_code"] == decl.at[rows["cases"]["hs_spaces"], "hs_code"].strip()


def test_hs_code_leading_zero_restored_only_when_unambiguous(rows):
    restored = _staged(rows, "hs_zero_lost")
    assert restored["hs_code"].startswith("0") and len(restored["hs_code"]) == 8
    assert restored["hs_chapter"] == restored["hs_code"][:2]
    kept = _staged(rows, "hs_zero_ambiguous")
    assert kept["hs_code"] == rows["ambiguous_code"][1:], "both codes exist: the delivered one is kept"


def test_timestamp_with_offset_staged_as_utc_date(rows):
    assert str(_staged(rows, "date_offset")["declaration_date"])[:10] == "2025-07-01"


def test_stray_late_line_does_not_move_as_of_date(rows, base):
    assert str(_staged(rows, "stray_late_line")["declaration_date"])[:10] == "2026-03-10"
    assert rows["window"]["as_of_date"] == base["as_of"]


def test_nan_exchange_rate_quarantined_and_its_lines_too(rows):
    assert any("usd_per_unit is NaN" in reason for reason in rows["rate_rejects"].values())
    assert any("no exchange rate for the month" in reason for reason in rows["rejects"].values())
    assert np.isfinite(rows["staged"]["customs_value_usd"]).all()


@pytest.mark.parametrize("control_id, reason", [
    ("CBAD000001", "declaration_id not a known declaration"),
    ("CBAD000002", "tin not a known operator"),
    ("CBAD000003", "control_date after the load date"),
    ("CBAD000004", "quarantined"),
    ("CBAD000006", "tin differs from the declaration's tin"),
    ("CBAD000007", "item_no not a whole number"),
    ("CBAD000008", "amount_reassessed is NaN"),
])
def test_control_quarantined_with_reason(rows, control_id, reason):
    assert control_id in rows["control_rejects"], f"{control_id} staged"
    assert reason in rows["control_rejects"][control_id]


def test_control_with_lower_case_tin_staged(rows):
    staged = rows["controls"].set_index("control_id")
    assert "CBAD000005" in staged.index
    assert staged.at["CBAD000005", "tin"] == staged.at["CBAD000005", "tin"].upper()


def _same_as_check(data: Path, work: Path) -> None:
    """`cip check` stages the same declaration lines and controls as the warehouse."""
    staged = stage(data, load_vars())
    warehouse = _query(work, "select declaration_id, item_no, hs_code, tin, declaration_date "
                             "from staging.stg_customs__declarations")
    ours = staged.declarations[["declaration_id", "item_no", "hs_code", "tin", "declaration_date"]]
    assert len(ours) == len(warehouse)
    merged = warehouse.merge(ours.assign(item_no=ours["item_no"].astype("int64")), on=["declaration_id", "item_no"],
                             how="inner", suffixes=("", "_check"))
    assert len(merged) == len(warehouse)
    for column in ("hs_code", "tin"):
        assert (merged[column] == merged[column + "_check"]).all(), column
    assert (pd.to_datetime(merged["declaration_date"]) == pd.to_datetime(merged["declaration_date_check"])).all()
    controls = _query(work, "select control_id from staging.stg_customs__control_results")
    assert set(controls["control_id"]) == set(staged.controls["control_id"])


def test_check_applies_the_staging_rules(rows):
    _same_as_check(rows["data"], rows["work"])


def test_check_runs_without_the_tax_sources(base, tmp_path):
    data = _copy(base["data"], tmp_path / "data")
    for name in ("taxpayers", "tax_returns", "tax_audits"):
        (data / f"{name}.parquet").unlink()
    result = compute(data, load_vars())
    assert len(result.operators) > 0


# --------------------------------------------------------------------------- whole-file variants that must load

def test_typed_variants_load_like_the_clean_set(base):
    """Names in other case, an extra _source_file column, item_no as double, hs_code as a
    number (leading zeros lost), dates as timestamps with time zone, built under a far
    time zone: the same lines are staged with the same codes and dates."""
    data = _copy(base["data"], base["root"] / "typed")
    decl = pd.read_parquet(data / "declarations.parquet")
    decl["item_no"] = decl["item_no"].astype("float64")
    decl["hs_code"] = decl["hs_code"].astype("int64")
    # noon in Tokyo is 03:00 UTC the same day, and 22:00 the day before in New York
    dates = pd.to_datetime(decl["declaration_date"])
    decl["declaration_date"] = (dates + pd.Timedelta(hours=12)).dt.tz_localize("Asia/Tokyo")
    decl["_source_file"] = "spreadsheet.xlsx"
    decl = decl.rename(columns={"customs_value": "Customs_Value", "TIN": "tin"}).rename(columns={"tin": "TIN"})
    decl.to_parquet(data / "declarations.parquet", index=False)
    work = base["root"] / "typed-work"
    _build_ok(data, work, env={"TZ": "America/New_York"})
    staged = _query(work, "select declaration_id, item_no, hs_code, tin, declaration_date "
                          "from staging.stg_customs__declarations")
    merged = base["staged"].merge(staged, on=["declaration_id", "item_no"], how="outer", suffixes=("", "_typed"),
                                  indicator=True)
    assert (merged["_merge"] == "both").all(), merged["_merge"].value_counts()
    assert (merged["hs_code"] == merged["hs_code_typed"]).all()
    assert (merged["tin"] == merged["tin_typed"]).all()
    assert (merged["declaration_date"] == merged["declaration_date_typed"]).all()
    _same_as_check(data, work)


def test_column_types_drifting_across_daily_files_load_like_the_clean_set(base):
    """Daily files of one folder whose columns changed type between exports (item_no as text,
    the date as a timestamp in one file and as text in another, a value as a decimal or as
    text, a boolean as text) and whose names changed case or gained spaces: the same lines
    are staged with the same values."""
    data = _copy(base["data"], base["root"] / "drift")
    decl = pq.read_table(data / "declarations.parquet")
    (data / "declarations.parquet").unlink()
    (data / "declarations").mkdir()
    size = decl.num_rows // 4

    def replaced(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
        return table.set_column(table.schema.get_field_index(name), name, values)

    def as_text(table: pa.Table, name: str) -> pa.Array:
        return pa.array([None if v is None else str(v) for v in table.column(name).to_pylist()], pa.string())

    first = decl.slice(0, size)
    second = decl.slice(size, size)
    second = replaced(second, "item_no", as_text(second, "item_no"))
    second = replaced(second, "declaration_date", second.column("declaration_date").cast(pa.timestamp("us")))
    second = replaced(second, "customs_value", pa.array(
        [None if v is None else decimal.Decimal(f"{v:.6f}") for v in second.column("customs_value").to_pylist()],
        pa.decimal128(24, 6)))
    third = decl.slice(2 * size, size)
    third = replaced(third, "declaration_date", as_text(third, "declaration_date"))
    third = replaced(third, "customs_value", as_text(third, "customs_value"))
    third = replaced(third, "is_aeo", as_text(third, "is_aeo"))
    fourth = decl.slice(3 * size)
    fourth = fourth.rename_columns([{"declaration_id": "Declaration_ID ", "tin": " TIN", "hs_code": "HS  Code"}.get(n, n)
                                    for n in fourth.column_names])
    for number, table in enumerate([first, second, third, fourth], start=1):
        pq.write_table(table, data / "declarations" / f"part-{number}.parquet")
    work = base["root"] / "drift-work"
    _build_ok(data, work)
    columns = "declaration_id, item_no, hs_code, tin, declaration_date, customs_value, is_aeo"
    clean = _query(base["work"], f"select {columns} from staging.stg_customs__declarations")
    staged = _query(work, f"select {columns} from staging.stg_customs__declarations")
    merged = clean.merge(staged, on=["declaration_id", "item_no"], how="outer", suffixes=("", "_drift"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged["_merge"].value_counts()
    for column in ("hs_code", "tin", "declaration_date", "is_aeo"):
        same = (merged[column] == merged[column + "_drift"]) | (merged[column].isna() & merged[column + "_drift"].isna())
        assert same.all(), column
    assert np.allclose(merged["customs_value"], merged["customs_value_drift"], rtol=0, atol=1e-6)
    _same_as_check(data, work)


def _declarations_in_two_parts(data: Path, second=lambda table: table) -> pa.Table:
    """Moves declarations.parquet into declarations/part-1 and part-2 (halves; `second` may change
    the second half) and returns the whole table."""
    decl = pq.read_table(data / "declarations.parquet")
    (data / "declarations.parquet").unlink()
    (data / "declarations").mkdir()
    half = decl.num_rows // 2
    pq.write_table(decl.slice(0, half), data / "declarations" / "part-1.parquet")
    pq.write_table(second(decl.slice(half)), data / "declarations" / "part-2.parquet")
    return decl


def test_same_daily_file_twice_and_a_line_changed_in_another_file(base, tmp_path):
    """A daily file delivered again under another name, and a later file repeating five lines with
    other values: the staged lines are those of the clean set (the first file in path order wins),
    every later copy is quarantined with its reason, and the inventory reconciles."""
    data = _copy(base["data"], tmp_path / "data")
    decl = _declarations_in_two_parts(data)
    half = decl.num_rows // 2
    shutil.copy(data / "declarations" / "part-1.parquet", data / "declarations" / "part-4-again.parquet")
    changed = decl.slice(half + 10, 5)
    position = changed.schema.get_field_index("customs_value")
    changed = changed.set_column(position, "customs_value",
                                 pa.array([v * 3 for v in changed.column("customs_value").to_pylist()]))
    pq.write_table(changed, data / "declarations" / "part-3.parquet")
    _build_ok(data, tmp_path)
    columns = "declaration_id, item_no, line_version, customs_value"
    clean = _query(base["work"], f"select {columns} from staging.stg_customs__declarations order by 1, 2")
    staged = _query(tmp_path, f"select {columns} from staging.stg_customs__declarations order by 1, 2")
    pd.testing.assert_frame_equal(clean, staged)
    rejected = _query(tmp_path, "select source_file, reject_reasons from staging.stg_quarantine__rejected_rows "
                                "where table_name = 'declarations'")
    by_file = rejected.groupby("source_file").size().to_dict()
    assert by_file == {"declarations/part-3.parquet": 5, "declarations/part-4-again.parquet": half}, by_file
    assert rejected["reject_reasons"].str.startswith("duplicate declaration line").all()


def test_daily_line_disagreeing_with_a_stored_line_quarantines_the_declaration(base, tmp_path):
    """A daily file adds a line to a declaration already loaded, under another operator: the
    incremental run reads the stored lines of that declaration back and quarantines them all
    (it would count for two operators), and the inventory still reconciles."""
    data = _copy(base["data"], tmp_path / "data")
    decl = _declarations_in_two_parts(data).to_pandas()
    _build_ok(data, tmp_path)
    counts = decl.groupby("declaration_id")["item_no"].transform("size")
    target = decl.loc[(counts >= 2) & (decl.index < decl.shape[0] // 2), "declaration_id"].iloc[0]
    stored = decl[decl["declaration_id"] == target]
    added = stored.iloc[[0]].copy()
    added["item_no"] = stored["item_no"].max() + 1
    added["tin"] = decl.loc[decl["tin"] != stored["tin"].iloc[0], "tin"].iloc[0]
    added.to_parquet(data / "declarations" / "part-3.parquet", index=False)
    _build_ok(data, tmp_path)
    lines = _query(tmp_path, "select item_no, _row_status, _reject_reasons, _load_seq from "
                             f"staging.base_customs__declarations where declaration_id = '{target}'")
    assert len(lines) == len(stored) + 1
    assert (lines["_row_status"] == "rejected").all(), lines.to_string()
    assert lines["_reject_reasons"].str.startswith("declaration lines disagree on tin (").all()
    assert (lines["_load_seq"] == 2).all(), "the stored lines were rewritten by the new load"
    staged = _query(tmp_path, "select count(*) as n from staging.stg_customs__declarations "
                              f"where declaration_id = '{target}'")
    assert staged["n"].iloc[0] == 0


def test_tin_that_lost_its_leading_zeros_restored_against_the_register(base, tmp_path):
    """An operator registered as 000123456789 whose TIN a spreadsheet turned into 123456789 (still
    9-12 alphanumerics) on some rows of every source with a TIN: restored to the register TIN,
    and recorded in tin_as_delivered. When two register TINs strip to the same digits
    (00876543210 and 0876543210 -> 876543210, which fits tin_pattern), the row is quarantined
    naming both. `cip check` stages the same."""
    data = _copy(base["data"], tmp_path / "data")
    decl = pd.read_parquet(data / "declarations.parquet")
    taxpayers = pd.read_parquet(data / "taxpayers.parquet")
    busiest = decl["tin"].value_counts().index[:2]
    renamed = {busiest[0]: "000123456789", busiest[1]: "00876543210"}
    decl["tin"] = decl["tin"].replace(renamed)
    taxpayers["tin"] = taxpayers["tin"].replace(renamed)
    twin = taxpayers[taxpayers["tin"] == "00876543210"].assign(tin="0876543210")
    taxpayers = pd.concat([taxpayers, twin], ignore_index=True)
    for tin, lost in (("000123456789", "123456789"), ("00876543210", "876543210")):
        lost_on = decl.loc[decl["tin"] == tin, "declaration_id"].unique()[:2]
        decl.loc[decl["declaration_id"].isin(lost_on), "tin"] = lost
    decl.to_parquet(data / "declarations.parquet", index=False)
    taxpayers.to_parquet(data / "taxpayers.parquet", index=False)
    stripped = {}
    for table in ("control_results", "tax_returns", "tax_audits", "treatments_applied", "advance_rulings"):
        frame = pd.read_parquet(data / f"{table}.parquet")
        frame["tin"] = frame["tin"].replace(renamed)
        chosen = frame.index[frame["tin"] == "000123456789"][-2:]   # the last: not the controls of lost_on
        frame.loc[chosen, "tin"] = "123456789"
        stripped[table] = len(chosen)
        frame.to_parquet(data / f"{table}.parquet", index=False)
    assert stripped["tax_returns"] == 2 and stripped["control_results"] == 2
    _build_ok(data, tmp_path)
    lines = _query(tmp_path, "select tin, tin_as_delivered, _row_status, _reject_reasons from staging.base_customs__declarations "
                             "where tin_as_delivered is not null or tin in ('123456789', '876543210')")
    restored = lines[lines["tin_as_delivered"].notna()]
    assert len(restored) > 0 and (restored["tin"] == "000123456789").all()
    assert (restored["tin_as_delivered"] == "123456789").all()
    assert (restored["_row_status"] != "rejected").all()
    assert "123456789" not in set(lines["tin"])
    # ambiguous, though it fits tin_pattern: quarantined, naming the two register TINs
    ambiguous = lines[lines["tin"] == "876543210"]
    assert len(ambiguous) > 0 and (ambiguous["_row_status"] == "rejected").all()
    assert ambiguous["_reject_reasons"].str.contains(
        "tin lost its leading zeros? it matches 2 register values (00876543210, 0876543210)", regex=False).all()
    for table, model in (("control_results", "base_customs__control_results"), ("tax_returns", "base_tax__tax_returns"),
                         ("tax_audits", "base_tax__tax_audits"), ("treatments_applied", "base_customs__treatments_applied"),
                         ("advance_rulings", "base_customs__advance_rulings")):
        rows = _query(tmp_path, f"select tin, _reject_reasons from staging.{model} where tin_as_delivered = '123456789'")
        assert len(rows) == stripped[table], table
        assert (rows["tin"] == "000123456789").all() and (rows["_reject_reasons"] == "").all(), rows.to_string()
    _same_as_check(data, tmp_path)
    returns = stage(data, load_vars()).tax_returns
    assert "123456789" not in set(returns["tin"])
    assert (returns["tin"] == "000123456789").sum() == len(pd.read_parquet(base["data"] / "tax_returns.parquet")
                                                          .query("tin == @busiest[0]"))


def test_csv_encodings_utf16_and_gzip_read_like_utf8(base):
    """Excel's "Unicode text" (UTF-16 with its byte order mark, tab-separated) and a gzip'd
    CSV read as written, accents included."""
    data = _copy(base["data"], base["root"] / "encodings")
    countries = pd.read_parquet(data / "country_risk.parquet")
    countries.loc[countries.index[0], "country_name"] = "Côte d'Ivoire"
    (data / "country_risk.parquet").unlink()
    (data / "country_risk.csv").write_bytes(countries.to_csv(sep="\t", index=False).encode("utf-16"))
    nomenclature = pd.read_parquet(data / "hs_nomenclature.parquet")
    # UTF-8 whose bytes include 0x80-0x9F, which the encoding probe once read as latin-1 and failed on
    nomenclature.loc[nomenclature.index[0], "description"] = "Пшеница \u2014 5 \u20ac \u201cbio\u201d"
    (data / "hs_nomenclature.parquet").unlink()
    (data / "hs_nomenclature.csv.gz").write_bytes(gzip.compress(nomenclature.to_csv(index=False).encode()))
    work = base["root"] / "encodings-work"
    _build_ok(data, work)
    staged = _query(work, "select country_code, country_name from staging.stg_reference__country_risk")
    assert len(staged) == len(countries)
    assert "Côte d'Ivoire" in set(staged["country_name"])
    codes = _query(work, "select hs_code, hs_description from staging.stg_reference__hs_nomenclature")
    assert set(codes["hs_code"]) == set(nomenclature["hs_code"]), "leading zeros kept"
    assert "Пшеница \u2014 5 \u20ac \u201cbio\u201d" in set(codes["hs_description"])
    assert len(_query(work, "select 1 from staging.stg_customs__declarations")) == len(base["staged"])
    _same_as_check(data, work)


def test_csv_not_utf8_stops_naming_file_and_line(base, tmp_path):
    """A Windows / ISO-8859-1 export: the run stops naming the file and the line, and `cip build`
    says the fix (save as UTF-8, or var csv_encoding: latin-1, tested with the vars below)."""
    data = _copy(base["data"], tmp_path / "data")
    countries = pd.read_parquet(data / "country_risk.parquet")
    countries.loc[countries.index[2], "country_name"] = "Curaçao"
    (data / "country_risk.parquet").unlink()
    (data / "country_risk.csv").write_bytes(countries.to_csv(index=False).encode("cp1252"))
    result = _dbt(["run", "--select", "base_reference__country_risk"], data, tmp_path)
    text = _fails_with(result, "country_risk.csv", "Line: 4", "not utf-8")
    hint = failure_cause("", {"results": [{"status": "error", "unique_id": "model.customs_cip.base_reference__country_risk",
                                           "message": text}]})
    assert "country_risk.csv is not UTF-8 (line 4)" in hint and "csv_encoding: latin-1" in hint, hint


def test_required_source_missing_names_the_files_near_its_name(base, tmp_path):
    data = _copy(base["data"], tmp_path / "data")
    (data / "country_risk.parquet").rename(data / "Country_Risk.xlsx")
    result = _dbt(["run", "--select", "base_reference__country_risk"], data, tmp_path)
    _fails_with(result, "Required source reference.country_risk not found", "it holds Country_Risk.xlsx",
                "country_risk.csv.gz")


def test_semicolon_csv(base):
    data = _copy(base["data"], base["root"] / "csv")
    decl = pd.read_parquet(data / "declarations.parquet")
    (data / "declarations.parquet").unlink()
    decl.to_csv(data / "declarations.csv", sep=";", index=False)
    work = base["root"] / "csv-work"
    _build_ok(data, work)
    staged = _query(work, "select declaration_id, item_no, hs_code from staging.stg_customs__declarations")
    assert len(staged) == len(base["staged"])
    assert set(staged["hs_code"]) == set(base["staged"]["hs_code"])
    files = _query(work, "select distinct _source_file from staging.base_customs__declarations")
    assert list(files["_source_file"]) == ["declarations.csv"], "files are recorded relative to the data folder"
    _same_as_check(data, work)


# --------------------------------------------------------------------------- CSV records that do not fit the header

TOO_MANY = "CSV record has more fields than the header"
TOO_FEW = "CSV record has fewer fields than the header"
JOINED = "CSV record holds a line break and a whole record in one value"
HEADER_AGAIN = "CSV record repeats the header line"


@pytest.fixture(scope="module")
def csv_records(base) -> dict:
    """declarations.csv as DuckDB exports it (quotes only where needed), written with a BOM and
    CRLF line ends, with planted records: a field too many (an unquoted comma), the last field
    missing, the first three commas written as ';', a quote left open on the last record but
    one (it takes the last record into its first value), a sound record whose quoted value
    holds a comma and a line break, and the header line again mid-file (two exports joined). One build."""
    data = _copy(base["data"], base["root"] / "csv-records")
    with duckdb.connect() as con:
        text = con.execute("select * from read_parquet(?)", [str(data / "declarations.parquet")]).df()
        con.execute(f"copy (select * from read_parquet('{data / 'declarations.parquet'}')) "
                    f"to '{data / 'plain.csv'}' (header)")
    (data / "declarations.parquet").unlink()
    header, *lines = (data / "plain.csv").read_text(encoding="utf-8").splitlines()
    (data / "plain.csv").unlink()
    assert len(lines) == len(text), "one line per record: the generated values hold no line break"
    free = list(_single_lines(text))
    picked = {name: free[i * 40 + 11] for i, name in enumerate(["long", "short", "semicolon", "open_quote",
                                                                 "taken", "multiline"])}
    # the broker changed on one line: a line alone in its declaration (no sibling to disagree with)
    alone = text.groupby("declaration_id")["item_no"].transform("size") == 1
    picked["multiline"] = next(i for i in free[300:] if alone[i] and i not in picked.values())
    lines[picked["long"]] += ",EXTRA"
    lines[picked["short"]] = lines[picked["short"]].rsplit(",", 1)[0]
    lines[picked["semicolon"]] = lines[picked["semicolon"]].replace(",", ";", 3)
    declarant = header.split(",").index("declarant_id")
    fields = lines[picked["multiline"]].split(",")
    fields[declarant] = '"B1, north\nwing"'
    lines[picked["multiline"]] = ",".join(fields)
    lines[picked["open_quote"]] = '"' + lines[picked["open_quote"]]
    # the record with the open quote and the one it takes in go last (no quote after them)
    tail = [lines[picked["open_quote"]], lines[picked["taken"]]]
    body = [line for i, line in enumerate(lines) if i not in (picked["open_quote"], picked["taken"])]
    body.insert(len(body) // 2, header)
    (data / "declarations.csv").write_bytes(("\ufeff" + "\r\n".join([header, *body, *tail]) + "\r\n").encode("utf-8"))
    work = base["root"] / "csv-records-work"
    _build_ok(data, work)
    keys = {name: _key(text, row) for name, row in picked.items()}
    return {"data": data, "work": work, "keys": keys, "records": len(lines) + 1,
            "rejects": _rejects(work, "declarations"),
            "staged": _query(work, "select declaration_id, item_no, declarant_id from staging.stg_customs__declarations")}


@pytest.mark.parametrize("case, reason", [("long", TOO_MANY), ("short", TOO_FEW)])
def test_csv_record_with_wrong_field_count_quarantined(csv_records, case, reason):
    key = csv_records["keys"][case]
    assert key in csv_records["rejects"], f"{case}: {key} not quarantined"
    assert csv_records["rejects"][key].startswith(reason)


def test_csv_record_with_other_delimiter_quarantined(csv_records):
    declaration_id = csv_records["keys"]["semicolon"].split("|")[0]
    found = {key: reason for key, reason in csv_records["rejects"].items() if key.startswith(declaration_id + ";")}
    assert len(found) == 1, csv_records["rejects"]
    assert next(iter(found.values())).startswith(TOO_FEW)


def test_csv_quote_left_open_quarantined_with_the_record_it_took(csv_records):
    declaration_id = csv_records["keys"]["open_quote"].split("|")[0]
    found = [reason for key, reason in csv_records["rejects"].items() if key.startswith(declaration_id)]
    assert len(found) == 1 and found[0].startswith(JOINED), csv_records["rejects"]
    inventory = _query(csv_records["work"], "select raw_rows from staging.stg_source_inventory "
                                            "where table_name = 'declarations'")
    assert inventory["raw_rows"].iloc[0] == csv_records["records"] - 1, "the taken record counts in the open one"


def test_csv_header_line_repeated_mid_file_quarantined(csv_records):
    """Two exports joined into one file: the second header line is a raw row, quarantined for
    what it is (it was quarantined as 25 unreadable values before)."""
    found = {key: reason for key, reason in csv_records["rejects"].items() if key.startswith("DECLARATION_ID|")}
    assert len(found) == 1, csv_records["rejects"]
    assert next(iter(found.values())).startswith(HEADER_AGAIN)


def test_csv_other_records_staged_unshifted(csv_records, base):
    """Every other line is staged as from the Parquet export, the quoted comma and line break
    included; none of the planted ones is."""
    keys = csv_records["keys"]
    staged = csv_records["staged"]
    planted = {tuple(keys[name].split("|")) for name in ("long", "short", "semicolon", "open_quote", "taken")}
    expected = {(d, str(i)) for d, i in zip(base["staged"]["declaration_id"], base["staged"]["item_no"])} - planted
    assert {(d, str(i)) for d, i in zip(staged["declaration_id"], staged["item_no"])} == expected
    declaration_id, item_no = keys["multiline"].split("|")
    row = staged[(staged["declaration_id"] == declaration_id) & (staged["item_no"] == int(item_no))]
    assert list(row["declarant_id"]) == ["B1, NORTH\nWING"]
    merged = staged.merge(base["staged"], on=["declaration_id", "item_no"])
    assert len(merged) == len(expected)


def test_csv_records_cip_check_agrees(csv_records):
    _same_as_check(csv_records["data"], csv_records["work"])


def test_csv_reader_in_python_gives_the_same_reasons(csv_records):
    """cip/raw_csv.py (cip load, cip check, backtest copies) marks the same records as the build."""
    from cip import raw_csv
    with duckdb.connect() as con:
        marked = con.execute(f"select declaration_id, item_no, _cip_record_error from "
                             f"{raw_csv.reader(con, csv_records['data'] / 'declarations.csv')} "
                             "where _cip_record_error is not null").fetchall()
    build = {key: reason for key, reason in csv_records["rejects"].items() if reason.startswith("CSV record")}
    assert len(marked) == len(build) == 5
    for declaration_id, item_no, reason in marked:
        matching = [r for k, r in build.items() if k.startswith(declaration_id.upper()[:11])]
        assert matching and matching[0].startswith(reason), (declaration_id, reason)


def test_unreadable_numbers_and_dates_name_the_likely_cause(base, tmp_path):
    """A spreadsheet's spellings are quarantined, never guessed ('1.234' would be a thousand in
    half the world): the reason says what the value looks like and how to write it."""
    data = _copy(base["data"], tmp_path / "data")
    rates = pd.read_parquet(data / "exchange_rates.parquet").astype({"usd_per_unit": str, "month_start": str})
    planted = {0: ("usd_per_unit", "1,25", "(a decimal comma or thousands separator? write 1234.56)"),
               1: ("usd_per_unit", "1.234,5", "(a decimal comma or thousands separator? write 1234.56)"),
               2: ("usd_per_unit", "$1.10", "(a currency sign, unit or other text beside the number?"),
               3: ("usd_per_unit", "1.10 USD", "(a currency sign, unit or other text beside the number?"),
               4: ("month_start", "45296", "month_start unreadable as date (an Excel serial date?"),
               5: ("month_start", "01/05/2024", "month_start unreadable as date (day/month/year"),
               6: ("usd_per_unit", "1e-3", None)}                # scientific notation reads
    for row, (column, value, _) in planted.items():
        rates.at[rates.index[row], column] = value
    (data / "exchange_rates.parquet").unlink()
    rates.to_csv(data / "exchange_rates.csv", index=False)
    result = _dbt(["run", "--select", "base_reference__exchange_rates"], data, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    found = _query(tmp_path, "select currency, cast(month_start as varchar) as month, usd_per_unit, _reject_reasons "
                             "from staging.base_reference__exchange_rates")
    reasons = list(found["_reject_reasons"])
    for row, (column, value, hint) in planted.items():
        if hint is None:
            assert (found["usd_per_unit"] == 0.001).any()
        else:
            assert any(hint in reason and f"{column} unreadable as" in reason for reason in reasons), (value, reasons)


def test_csv_header_only_a_line_or_nothing(base, tmp_path):
    data = _copy(base["data"], tmp_path / "data")
    (data / "hs_nomenclature.parquet").unlink()
    (data / "hs_nomenclature.csv").write_bytes(b"")
    result = _dbt(["run", "--select", "base_reference__hs_nomenclature"], data, tmp_path)
    _fails_with(result, "hs_nomenclature.csv", "has no rows")


def test_csv_column_twice_stops(base, tmp_path):
    data = _copy(base["data"], tmp_path / "data")
    (data / "taxpayers.parquet").unlink()
    (data / "taxpayers.csv").write_text("tin,registration_date,tin\nT000000001,2020-01-01,T000000001\n")
    result = _dbt(["run", "--select", "base_tax__taxpayers"], data, tmp_path)
    text = _fails_with(result, "taxpayers.csv", "column tin twice")
    assert "differ only in case" not in text


def test_required_column_missing_in_one_file_of_a_folder(base, tmp_path):
    data = _copy(base["data"], tmp_path / "data")
    _declarations_in_two_parts(data, lambda table: table.drop_columns(["hs_code"]))
    result = _dbt(["run", "--select", "base_customs__declarations"], data, tmp_path)
    text = _fails_with(result, "part-2.parquet", "hs_code", "lacks the required column")
    assert "part-1.parquet lacks" not in text


def test_optional_column_missing_in_one_file_is_reported(base, tmp_path):
    data = _copy(base["data"], tmp_path / "data")
    _declarations_in_two_parts(data, lambda table: table.drop_columns(["release_hours"]))
    result = _dbt(STAGING, data, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "optional column release_hours is absent from" in result.stdout
    _assert_reconciles(tmp_path)


def test_empty_required_file_stops_naming_it(base, tmp_path):
    data = _copy(base["data"], tmp_path / "data")
    (data / "hs_nomenclature.parquet").unlink()
    (data / "hs_nomenclature.csv").write_text("hs_code,description,is_residual,duty_rate,vat_rate,excise_rate\n")
    result = _dbt(["run", "--select", "base_reference__hs_nomenclature"], data, tmp_path)
    _fails_with(result, "hs_nomenclature.csv", "has no rows")


def test_excel_serial_dates_stop_naming_file_and_column(base, tmp_path):
    data = _copy(base["data"], tmp_path / "data")
    decl = pd.read_parquet(data / "declarations.parquet")
    serial = (pd.to_datetime(decl["declaration_date"]) - pd.Timestamp("1899-12-30")).dt.days
    decl["declaration_date"] = serial.astype("int64")
    decl.to_parquet(data / "declarations.parquet", index=False)
    result = _dbt(["run", "--select", "base_customs__declarations"], data, tmp_path)
    _fails_with(result, "declaration_date", "declarations.parquet", "Excel")


def test_reference_codes_exported_as_numbers_stop(base, tmp_path):
    data = _copy(base["data"], tmp_path / "data")
    nomenclature = pd.read_parquet(data / "hs_nomenclature.parquet")
    nomenclature["hs_code"] = nomenclature["hs_code"].astype("int64")
    nomenclature.to_parquet(data / "hs_nomenclature.parquet", index=False)
    result = _dbt(["run", "--select", "base_reference__hs_nomenclature"], data, tmp_path)
    _fails_with(result, "hs_nomenclature.parquet", "hs_code", "leading zeros")


def test_source_freshness_reads_a_quoted_path(base, tmp_path):
    result = _dbt(["source", "freshness", "--select", "source:customs.declarations"], base["data"], tmp_path)
    text = result.stdout + result.stderr
    assert "Parser Error" not in text and "syntax error" not in text, text[-2000:]
    assert "freshness of customs.declarations" in text, text[-2000:]


def test_column_twice_in_different_case_stops(base, tmp_path):
    data = _copy(base["data"], tmp_path / "data")
    table = pq.read_table(data / "taxpayers.parquet")
    table = table.append_column("TIN", table.column("tin"))
    pq.write_table(table, data / "taxpayers.parquet")
    result = _dbt(["run", "--select", "base_tax__taxpayers"], data, tmp_path)
    _fails_with(result, "taxpayers.parquet", "column tin twice")


def test_every_row_rejected_stops_with_the_reason(base, tmp_path):
    data = _copy(base["data"], tmp_path / "data")
    decl = pd.read_parquet(data / "declarations.parquet")
    decl["declaration_date"] = "not a date"
    decl.to_parquet(data / "declarations.parquet", index=False)
    result = _dbt(STAGING, data, tmp_path)
    _fails_with(result, "No staged declaration", "stg_quarantine__rejected_rows")


# --------------------------------------------------------------------------- files already loaded

def test_loaded_files_moved_copied_or_changed(base, tmp_path):
    """The clean warehouse, with the same files delivered from another folder (copied, new
    modification times): nothing is loaded twice. A file changed in place stops the run
    with the rebuild command."""
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(base["work"] / "warehouse.duckdb", work / "warehouse.duckdb")
    moved = tmp_path / "delivered"
    moved.mkdir()
    for path in base["data"].iterdir():
        if path.is_file():
            shutil.copyfile(path, moved / path.name)     # content only: new modification times
    result = _dbt(STAGING, moved, work)
    assert result.returncode == 0, result.stdout[-3000:]
    _assert_reconciles(work)
    loads = _query(work, "select _load_seq, count(*) as n from staging.base_customs__declarations group by 1")
    assert list(loads["_load_seq"]) == [1], "the copied file was loaded again"

    decl = pd.read_parquet(moved / "declarations.parquet")
    decl.loc[decl.index[:10], "customs_value"] = decl.loc[decl.index[:10], "customs_value"] * 2
    decl.to_parquet(moved / "declarations.parquet", index=False)
    result = _dbt(STAGING, moved, work)
    _fails_with(result, "declarations.parquet changed since it was loaded", "--full-refresh")

    result = _dbt(STAGING + ["--full-refresh"], moved, work)
    assert result.returncode == 0, result.stdout[-3000:]
    _assert_reconciles(work)


# --------------------------------------------------------------------------- vars (last: new vars make dbt parse again)

@pytest.mark.parametrize("var, value, expected", [
    ("as_of_date", "2025-06-30'); drop table x; --", "Var as_of_date"),
    ("as_of_date", "2025-02-30", "a valid calendar date"),
    ("window_months", "abc", "Var window_months"),
    ("load_date", "tomorrow", "Var load_date"),
])
def test_invalid_var_stops_naming_it(base, tmp_path, var, value, expected):
    result = _dbt(["compile", "--select", "int_evaluation_window", "base_customs__declarations",
                   "--vars", f"{{{var}: \"{value}\"}}"], base["data"], tmp_path)
    _fails_with(result, expected)


def _country_risk_as_csv(base, tmp_path, row: int, country_name: str, encoding: str) -> Path:
    """A copy of the data whose country_risk file is a CSV in `encoding`, one name changed."""
    data = _copy(base["data"], tmp_path / "data")
    countries = pd.read_parquet(data / "country_risk.parquet")
    countries.loc[countries.index[row], "country_name"] = country_name
    (data / "country_risk.parquet").unlink()
    (data / "country_risk.csv").write_bytes(countries.to_csv(index=False).encode(encoding))
    return data


def test_csv_encoding_var_reads_a_latin1_export(base, tmp_path):
    """A latin-1 export read with --vars '{csv_encoding: latin-1}': by the build, and alike by
    `cip check --vars` and `cip load --vars` (they read dbt_project.yml's utf-8 before)."""
    from cip import load, raw_csv

    data = _country_risk_as_csv(base, tmp_path, 2, "Curaçao", "latin-1")
    result = _dbt(["run", "--select", "base_reference__country_risk", "--vars", "{csv_encoding: latin-1}"], data, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    names = set(_query(tmp_path, "select country_name from staging.base_reference__country_risk")["country_name"])
    assert "Curaçao" in names
    config = load_vars("{csv_encoding: latin-1}")
    contract = {table.name: table for table in load_contract().values()}["country_risk"]
    assert set(read_raw(data, contract, config)["country_name"]) == names          # cip check --vars
    with duckdb.connect() as con:                                                  # cip load --vars
        loaded = con.execute(f"select country_name from {load._reader(con, [data / 'country_risk.csv'], config)}").df()
        assert set(loaded["country_name"]) == names
        with pytest.raises(duckdb.Error, match="utf-8"):   # without the vars: dbt_project.yml's utf-8
            con.execute(f"select * from {raw_csv.reader(con, data / 'country_risk.csv')}").fetchall()
    parser = argparse.ArgumentParser()
    load.add_arguments(parser)
    assert parser.parse_args(["--vars", "{csv_encoding: latin-1}"]).vars == "{csv_encoding: latin-1}"


def test_windows_1252_export_stops_naming_file_and_line(base, tmp_path):
    """A Windows export whose euro sign or curly quotes are bytes 0x80-0x9F (Windows-1252), read
    with csv_encoding latin-1: DuckDB's latin-1 decoder rejects those bytes and names no file, so
    `cip build` names the file, the line and the fix, and `cip check` / `cip load` stop alike."""
    data = _country_risk_as_csv(base, tmp_path, 4, "C\u00f4te d\u2019Ivoire \u20ac", "cp1252")
    result = _dbt(["run", "--select", "base_reference__country_risk", "--vars", "{csv_encoding: latin-1}"], data, tmp_path)
    text = _fails_with(result, "not latin-1 encoded")
    failed = {"results": [{"status": "error", "unique_id": "model.customs_cip.base_reference__country_risk",
                           "message": text}]}
    hint = failure_cause("", failed, data)
    assert "country_risk.csv line 6 holds byte 0x92, a Windows-1252 character" in hint, hint
    assert "save the file as UTF-8" in hint
    contract = {table.name: table for table in load_contract().values()}["country_risk"]
    with pytest.raises(SystemExit, match="line 6 holds byte 0x92"):
        read_raw(data, contract, load_vars("{csv_encoding: latin-1}"))
    # without the var: not UTF-8, and the hint does not send the user to latin-1
    result = _dbt(["run", "--select", "base_reference__country_risk"], data, tmp_path)
    text = _fails_with(result, "country_risk.csv")
    hint = failure_cause("", {"results": [dict(failed["results"][0], message=text)]}, data)
    assert "line 6 holds byte 0x92" in hint and "csv_encoding: latin-1" not in hint, hint


def test_config_vars_checked_before_any_model(base, tmp_path):
    """Every wrong tuning var at once, each named with its value and what it must be; the run
    stops in on-run-start, before a model is built."""
    bad = ("{weighting_technique: bogus, risk_cutoff_high: 2, window_months: -3, line_risk_rescore: all, "
           "pca_fill_with_low_risk: maybe, sensitive_adjustment_offences: [valuation, fraud]}")
    result = _dbt(["run", "--select", "int_evaluation_window", "--vars", bad], base["data"], tmp_path)
    _fails_with(result, "Invalid configuration",
                "var weighting_technique = bogus is not one of equal, expert, frequency, learned",
                "var risk_cutoff_high = 2 is not a number in [0, 1]",
                "var window_months = -3 is not an integer in [1, inf]",
                "var line_risk_rescore = all is not one of new, changed",
                "var pca_fill_with_low_risk = maybe is not true or false",
                "fraud is unknown", "docs/configuration.md")
    assert not (tmp_path / "warehouse.duckdb").exists() or _query(
        tmp_path, "select count(*) as n from information_schema.tables where table_name = 'int_evaluation_window'"
    )["n"][0] == 0


def test_config_vars_in_the_wrong_order_stop(base, tmp_path):
    result = _dbt(["run", "--select", "int_evaluation_window", "--vars",
                   "{risk_cutoff_medium: 0.5, channel_red_share: 0.6, channel_yellow_share: 0.6}"], base["data"], tmp_path)
    _fails_with(result, "var risk_cutoff_medium = 0.5 must be below var risk_cutoff_high = 0.35",
                "channel_red_share + channel_yellow_share = 1.2 exceed 1")


def test_cip_check_checks_its_vars_with_the_build_rules(base, tmp_path):
    """`cip check --vars` computes with the vars it is given: a wrong one stops it with the build's
    own message (macro validate_config_vars), before any computing."""
    from cip import check

    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(SystemExit, match="var weighting_technique = bogus is not one of equal, expert"):
        check.check(base["data"], db, "{weighting_technique: bogus}")


def test_every_var_has_a_rule():
    """A var added to dbt_project.yml without a rule in config_var_rules would go unchecked."""
    project = yaml.safe_load((ROOT / "dbt_project.yml").read_text())
    rules = (ROOT / "macros" / "contract" / "validate_vars.sql").read_text()
    ruled = set(re.findall(r"^\s+'([a-z0-9_]+)': ", rules, flags=re.M))
    assert set(project["vars"]) - ruled == set(), "vars without a rule in macros/contract/validate_vars.sql"


def test_as_of_date_var_is_used(base, tmp_path):
    data = _copy(base["data"], tmp_path / "data")
    result = _dbt(STAGING + ["--vars", "{as_of_date: 2025-06-30}"], data, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    window = _query(tmp_path, "select as_of_date from intermediate.int_evaluation_window").iloc[0]
    assert str(window["as_of_date"])[:10] == "2025-06-30"
