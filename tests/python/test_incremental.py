"""Incremental and full-refresh builds give identical marts (issue 7, docs/incremental.md).

A small generated data set is built once; a daily file is then added (one day of new
lines, late corrections of earlier lines -- one of them moved to another month --, a
duplicate of a loaded line and a line breaking the contract) and the warehouse is
rebuilt incrementally. The same final files are built from scratch into another
DuckDB file. Every marts table (declaration_risk and the targeting marts included), the
declaration-level fact, the monthly aggregates, the source inventory and the targeting
chain (entity histories, features, trained models, learned scores) must be identical
(doubles compared to 1e-9 relative). The incremental run uses the exact retrain and
rescore settings (line_risk_retrain on_change, line_risk_rescore changed); a second copy is
rebuilt with the defaults (model frozen between retrains, new lines scored only), which
must keep the stored model and score only the lines of the daily file (issue 13); there the
entity history and the features are computed for the daily file's lines only, and those
must equal the full refresh's rows exactly while every other line keeps its stored row. A
third copy is rebuilt with a training cut-off that moves with the daily file (a retrain is
due), which must recompute every line's features as a full refresh does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from cip import bench
from cip.generate import generate
from cip.paths import project_root

pytestmark = pytest.mark.warehouse

EXTRA_TABLES = [("staging", "stg_customs__declarations"), ("staging", "stg_source_inventory"),
                ("staging", "stg_quarantine__rejected_rows"), ("intermediate", "int_operator_monthly_activity"),
                ("intermediate", "int_line_entity_history"), ("intermediate", "int_declaration_line_feature_counts"),
                ("intermediate", "int_declaration_line_features"), ("intermediate", "int_line_risk_models_trained"),
                ("intermediate", "int_declaration_line_scores"), ("intermediate", "int_line_unit_value_months"),
                ("intermediate", "int_line_party_pricing_months")]
# stamped with the load each row was computed with (a daily path's watermark); a full refresh
# numbers its only load 1, so the stamp differs by construction
STAMPED = {"int_declaration_line_feature_counts", "int_line_unit_value_months"}
# the stored monthly sums recomputed for the touched groups only (issue 13, daily rebuild); the
# parties' pricing (a table, read by the daily path too) is compared in EXTRA_TABLES and below
MONTHLY_SUMS = ["int_line_unit_value_months"]
# the retrain and rescore settings under which an incremental run equals a full refresh
EXACT = '{"line_risk_retrain": "on_change", "line_risk_rescore": "changed"}'
# default modes, with a training cut-off that follows the as-of date (a daily file moves it)
RETRAIN_DUE = '{"line_risk_training_cutoff": "as_of"}'


def _dbt(args: list[str], data: Path, db: Path, target: Path) -> None:
    env = dict(os.environ, CIP_DATA_DIR=str(data), CIP_DB_PATH=str(db), DBT_TARGET_PATH=str(target),
               DBT_LOG_PATH=str(target / "logs"), DBT_PROFILES_DIR=str(project_root()),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    dbt = Path(sys.executable).parent / "dbt"
    completed = subprocess.run([str(dbt), *args], cwd=project_root(), env=env, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout[-4000:]


def _build(data: Path, db: Path, target: Path, full_refresh: bool = False, exact: bool = False) -> None:
    # seeds and models; tests are not needed to compare the results and would double the time
    args = ["build", "--exclude-resource-type", "test", "unit_test"]
    _dbt(args + (["--full-refresh"] if full_refresh else []) + (["--vars", EXACT] if exact else []), data, db, target)


def _add_next_month_rates(data: Path) -> None:
    """Exchange rates for the month after the last one, loaded before the first build, as a
    customs administration has them on the first day of a month: without them the daily file's
    new day (the first day of the next month) would be rejected in staging, and no new line
    would reach the targeting chain."""
    last = pd.read_parquet(data / "exchange_rates.parquet")["month_start"].max()
    assert bench.carry_exchange_rates(data, (pd.Timestamp(last) + pd.DateOffset(months=1)).date())


def _add_daily_file(data: Path) -> dict:
    daily = bench.write_daily_file(data, corrections=6, lines_per_day=80)
    path = Path(daily["file"])
    frame = pd.read_parquet(path)
    base = pd.read_parquet(data / "declarations.parquet")
    corrections = frame.index[frame["version"] > 1]
    # a correction that moves its line to another month
    moved = corrections[0]
    old_date = pd.Timestamp(frame.at[moved, "declaration_date"])
    frame.at[moved, "declaration_date"] = str((old_date - pd.DateOffset(months=2)).date())
    # a duplicate of a loaded line (same id, item, version): rejected, the loaded row stays
    duplicate = base[base["version"].fillna(1) == 1].iloc[[3]]
    # a line breaking the contract: rejected into the quarantine
    broken = frame[frame["version"] == 1].iloc[[0]].copy()
    broken["declaration_id"] = "BROKEN-" + broken["declaration_id"]
    broken["customs_value"] = -5.0
    frame = pd.concat([frame, duplicate, broken], ignore_index=True)
    frame.to_parquet(path, index=False)
    return {"path": path, "rows": len(frame), "moved_from": old_date.to_period("M"),
            "duplicate_key": tuple(duplicate[["declaration_id", "item_no"]].iloc[0])}


def _table(db: Path, schema: str, table: str) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        frame = con.execute(f'select * from "{schema}"."{table}"').df()
    finally:
        con.close()
    return frame


def _tables(db: Path, schema: str) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("select table_name from information_schema.tables where table_schema = ? "
                           "and table_type = 'BASE TABLE' order by 1", [schema]).fetchall()
    finally:
        con.close()
    return [row[0] for row in rows]


def _same(left: pd.DataFrame, right: pd.DataFrame, name: str) -> None:
    if name in STAMPED:
        left, right = left.drop(columns="_load_seq"), right.drop(columns="_load_seq")
    assert list(left.columns) == list(right.columns), name
    assert len(left) == len(right), f"{name}: {len(left)} rows incremental vs {len(right)} full refresh"
    floats = [c for c in left.columns if pd.api.types.is_float_dtype(left[c])]
    keys = [c for c in left.columns if c not in floats]
    left = left.sort_values(keys, na_position="first").reset_index(drop=True) if keys else left
    right = right.sort_values(keys, na_position="first").reset_index(drop=True) if keys else right
    if keys:
        pd.testing.assert_frame_equal(left[keys], right[keys], check_dtype=True, obj=name)
    for column in floats:
        a, b = left[column].to_numpy(), right[column].to_numpy()
        assert np.allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True), f"{name}.{column} differs"


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    work = tmp_path_factory.mktemp("incremental")
    data = work / "data"
    generate(data, declarations=20_000, seed=13, corrupt_rate=0.002, progress=False)
    _add_next_month_rates(data)
    incremental_db, full_db, frozen_db = work / "incremental.duckdb", work / "full.duckdb", work / "frozen.duckdb"
    retrain_db = work / "retrain.duckdb"
    _build(data, incremental_db, work / "target-incremental")
    before = _table(incremental_db, "staging", "stg_customs__declarations")
    shutil.copy(incremental_db, frozen_db)
    shutil.copy(incremental_db, retrain_db)
    shutil.copy(incremental_db, work / "incremental-before.duckdb")
    daily = _add_daily_file(data)
    _build(data, incremental_db, work / "target-incremental", exact=True)
    _build(data, full_db, work / "target-full", full_refresh=True)
    _build(data, frozen_db, work / "target-frozen")
    # the as-of date moves to the daily file's day: with cut-off as_of the stored model's cut-off
    # is stale, so a retrain is due, in the default retrain and rescore modes
    _dbt(["build", "--exclude-resource-type", "test", "unit_test", "--vars", RETRAIN_DUE], data, retrain_db,
         work / "target-retrain")
    return {"incremental": incremental_db, "full": full_db, "daily": daily, "before": before, "data": data,
            "frozen": frozen_db, "frozen_before": work / "incremental-before.duckdb", "retrain": retrain_db}


def test_every_marts_table_identical(builds):
    incremental_tables = _tables(builds["incremental"], "marts")
    assert incremental_tables == _tables(builds["full"], "marts")
    assert len(incremental_tables) >= 10
    for table in incremental_tables:
        _same(_table(builds["incremental"], "marts", table), _table(builds["full"], "marts", table), table)


def test_targeting_chain_scored_incrementally(builds):
    """The exact settings rescore only what changed; the defaults keep the stored model and the
    stored scores and score the lines of the daily file (new and corrected) only."""
    before = _table(builds["frozen_before"], "intermediate", "int_declaration_line_scores")
    exact = _table(builds["incremental"], "intermediate", "int_declaration_line_scores")
    assert len(before) > 10_000 and len(exact) >= len(before)
    # the daily file: new lines and corrected ones, keyed as the scores are
    base = _table(builds["frozen"], "staging", "base_customs__declarations")
    latest = base[base["_load_seq"] == base["_load_seq"].max()][["declaration_id", "item_no"]].drop_duplicates()
    frozen = _table(builds["frozen"], "intermediate", "int_declaration_line_scores")
    card = "select * from intermediate.int_line_risk_models_trained where part = 'card' order by scorer, position"
    con = duckdb.connect(str(builds["frozen_before"]), read_only=True)
    try:
        card_before = con.execute(card).df()
    finally:
        con.close()
    con = duckdb.connect(str(builds["frozen"]), read_only=True)
    try:
        card_frozen = con.execute(card).df()
    finally:
        con.close()
    assert len(card_before) > 0, "the 20k set must train a model, or this test proves nothing"
    pd.testing.assert_frame_equal(card_before, card_frozen, obj="model card: the frozen model must be kept")
    merged = frozen.merge(before, on=["declaration_id", "item_no"], how="left", suffixes=("", "_before"),
                          indicator=True)
    in_latest = merged.set_index(["declaration_id", "item_no"]).index.isin(
        latest.set_index(["declaration_id", "item_no"]).index)
    kept = merged[~in_latest & (merged["_merge"] == "both")]
    # every line outside the daily file keeps its stored score, bit for bit
    assert len(kept) == len(before) - in_latest[merged["_merge"] == "both"].sum()
    assert (kept["score_gbm"].to_numpy() == kept["score_gbm_before"].to_numpy()).all()
    assert (kept["feature_hash"].to_numpy() == kept["feature_hash_before"].to_numpy()).all()
    # the lines of the daily file are scored again with their current features, by the stored model
    # (its new day may lie after the as-of date, and then has no features to score yet)
    rescored = merged[in_latest]
    assert len(rescored) > 0 and in_latest[merged["_merge"] == "left_only"].all()
    assert (rescored["model_fingerprint"] == before["model_fingerprint"].iloc[0]).all()
    current = rescored.merge(exact, on=["declaration_id", "item_no"], suffixes=("", "_exact"))
    assert len(current) == len(rescored)
    assert (current["feature_hash"].to_numpy() == current["feature_hash_exact"].to_numpy()).all()
    # the exact settings rescored more than the daily file: late corrections move later lines' features
    changed = exact.merge(before, on=["declaration_id", "item_no"], suffixes=("", "_before"))
    assert (changed["feature_hash"] != changed["feature_hash_before"]).sum() > len(latest)


def _latest_load_keys(db: Path) -> pd.MultiIndex:
    base = _table(db, "staging", "base_customs__declarations")
    latest = base[base["_load_seq"] == base["_load_seq"].max()]
    return pd.MultiIndex.from_frame(latest[["declaration_id", "item_no"]].drop_duplicates())


def _split(frame: pd.DataFrame, keys: pd.MultiIndex) -> tuple[pd.DataFrame, pd.DataFrame]:
    inside = pd.MultiIndex.from_frame(frame[["declaration_id", "item_no"]]).isin(keys)
    return frame[inside], frame[~inside]


def test_daily_features_computed_for_lines_to_score_only(builds):
    """Default modes: the features of the daily file's lines (new and corrected) equal the full
    refresh's exactly (point in time, counted against everything known before each line); every
    other line keeps its stored row; the entity history is kept as it was."""
    latest = _latest_load_keys(builds["frozen"])
    frozen = _table(builds["frozen"], "intermediate", "int_declaration_line_features")
    full = _table(builds["full"], "intermediate", "int_declaration_line_features")
    stored = _table(builds["frozen_before"], "intermediate", "int_declaration_line_features")
    staged = _table(builds["frozen"], "staging", "stg_customs__declarations")
    # every staged line has features, the new day's lines included (they are scored next)
    assert len(frozen) == len(staged) == len(full)
    new_frozen, old_frozen = _split(frozen, latest)
    new_full, _ = _split(full, latest)
    new_day = new_frozen[new_frozen["declaration_date"] > builds["before"]["declaration_date"].max()]
    assert len(new_day) >= 20, "the daily file's new lines must be staged and computed"
    for column in frozen.columns:
        left = new_frozen.sort_values(["declaration_id", "item_no"])[column].reset_index(drop=True)
        right = new_full.sort_values(["declaration_id", "item_no"])[column].reset_index(drop=True)
        pd.testing.assert_series_equal(left, right, check_exact=True, obj=f"new line feature {column}")
    _same(old_frozen, _split(stored, latest)[1], "features of lines outside the daily file (kept)")
    _same(_table(builds["frozen"], "intermediate", "int_line_entity_history"),
          _table(builds["frozen_before"], "intermediate", "int_line_entity_history"), "entity history (kept)")
    # the exact settings and the full refresh agree on lines the default run kept: some differ
    # from the stored rows, so keeping them is a choice, not a no-op
    _, old_full = _split(full, latest)
    merged = old_full.merge(stored, on=["declaration_id", "item_no"], suffixes=("", "_stored"))
    assert (merged["f_declarant_mean_uv_log_ratio"] != merged["f_declarant_mean_uv_log_ratio_stored"]).any()
    scores = _table(builds["frozen"], "intermediate", "int_declaration_line_scores")
    assert len(scores) == len(frozen)


def test_retrain_due_recomputes_every_line(builds):
    """A moved training cut-off (a retrain is due) recomputes the entity history and every
    line's features in the default modes, so the retrained model learns from what a full
    refresh gives."""
    card = _table(builds["retrain"], "intermediate", "int_line_risk_models_trained")
    cutoffs = set(card[(card["part"] == "card") & (card["name"] == "as_of_date")]["text"])
    window = _table(builds["retrain"], "intermediate", "int_evaluation_window")
    assert cutoffs == {str(pd.Timestamp(window["as_of_date"].iloc[0]).date())}
    stored = _table(builds["frozen_before"], "intermediate", "int_line_risk_models_trained")
    assert cutoffs != set(stored[(stored["part"] == "card") & (stored["name"] == "as_of_date")]["text"])
    for table in ("int_line_entity_history", "int_declaration_line_feature_counts", "int_declaration_line_features"):
        _same(_table(builds["retrain"], "intermediate", table), _table(builds["full"], "intermediate", table), table)


def test_fact_aggregates_and_inventory_identical(builds):
    for schema, table in EXTRA_TABLES:
        _same(_table(builds["incremental"], schema, table), _table(builds["full"], schema, table), table)


def test_incremental_run_read_only_the_new_file(builds):
    base = _table(builds["incremental"], "staging", "base_customs__declarations")
    loads = base.groupby("_load_seq").size()
    assert len(loads) == 2, "the incremental run must not rewrite the loaded rows"
    assert list(loads.index) == [1, 2]
    second = base[base["_load_seq"] == 2]
    # files are recorded relative to the data folder (issue 16)
    daily_file = builds["daily"]["path"].relative_to(builds["data"]).as_posix()
    # every row of the daily file, plus the stored rows of the declarations it touches (re-checked:
    # their lines must agree on the header columns), and no other stored row
    assert (second["_source_file"] == daily_file).sum() == builds["daily"]["rows"]
    touched = set(second.loc[second["_source_file"] == daily_file, "declaration_id"])
    rechecked = second[second["_source_file"] != daily_file]
    assert len(rechecked) > 0 and set(rechecked["declaration_id"]) <= touched
    assert not base[(base["_load_seq"] == 1) & base["declaration_id"].isin(touched)].size, \
        "a stored row of a touched declaration was not re-checked"
    assert len(rechecked) < 0.01 * loads.loc[1], "the incremental run rewrote more than the touched declarations"
    assert set(rechecked["_row_status"]) <= {"superseded", "staged"}


def test_correction_replaces_and_reconciles(builds):
    stg = _table(builds["incremental"], "staging", "stg_customs__declarations")
    before = builds["before"]
    assert not stg.duplicated(["declaration_id", "item_no"]).any()
    corrected = stg[stg["line_version"] > 1].merge(before, on=["declaration_id", "item_no"], suffixes=("", "_before"))
    replaced = corrected[corrected["line_version"] > corrected["line_version_before"]]
    assert len(replaced) >= 5
    assert (replaced["customs_value"] != replaced["customs_value_before"]).all()
    duplicate = stg[(stg["declaration_id"] == builds["daily"]["duplicate_key"][0])
                    & (stg["item_no"] == builds["daily"]["duplicate_key"][1])]
    assert len(duplicate) == 1
    inventory = _table(builds["incremental"], "staging", "stg_source_inventory")
    declarations = inventory[inventory["table_name"] == "declarations"].iloc[0]
    assert declarations["raw_rows"] == (declarations["staged_rows"] + declarations["rejected_rows"]
                                        + declarations["superseded_rows"])
    assert declarations["staged_rows"] == len(stg)
    monthly = _table(builds["incremental"], "intermediate", "int_operator_monthly_activity")
    assert monthly["lines"].sum() == len(stg)
    moved_month = builds["daily"]["moved_from"].to_timestamp()
    counts = stg.assign(month=pd.to_datetime(stg["declaration_month"])).groupby("month").size()
    monthly_counts = monthly.assign(month=pd.to_datetime(monthly["declaration_month"])).groupby("month")["lines"].sum()
    assert counts[moved_month] == monthly_counts[moved_month]


def test_relative_and_absolute_data_paths_are_interchangeable(builds, tmp_path):
    """`cip build` passes an absolute data path, a plain `dbt build` may use a relative one:
    the files are the same files, so nothing is loaded again (issue 16)."""
    relative = Path(os.path.relpath(builds["data"], project_root()))
    _dbt(["run", "--select", "base_customs__declarations"], relative, builds["incremental"], tmp_path / "target")
    base = _table(builds["incremental"], "staging", "base_customs__declarations")
    assert sorted(base["_load_seq"].unique()) == [1, 2]
    assert not base["_source_file"].str.startswith("/").any()


@pytest.fixture(scope="module")
def skipped(tmp_path_factory):
    """Default modes: a daily load built with the base table alone (the features skipped, as the
    bench's second daily day builds only the incremental layer), then a second daily load built
    whole; and a full refresh of both for comparison."""
    work = tmp_path_factory.mktemp("skipped")
    data = work / "data"
    generate(data, declarations=20_000, seed=13, corrupt_rate=0.002, progress=False)
    _add_next_month_rates(data)
    daily_db, full_db = work / "daily.duckdb", work / "full.duckdb"
    _build(data, daily_db, work / "target-daily")
    shutil.copy(daily_db, work / "before.duckdb")
    _add_daily_file(data)
    _dbt(["build", "--select", "base_customs__declarations"], data, daily_db, work / "target-daily")
    bench.write_daily_file(data, corrections=6, lines_per_day=80)
    _build(data, daily_db, work / "target-daily")
    _build(data, full_db, work / "target-full", full_refresh=True)
    return {"daily": daily_db, "full": full_db, "before": work / "before.duckdb", "target": work / "target-daily",
            "data": data}


def test_daily_features_after_a_skipped_load(skipped):
    """The lines of both loads (new, corrected, rejected) are the lines computed: their features
    equal the full refresh's, every other line keeps its stored row, every staged line has one
    row, and the lines were found from the stored watermark, not by the anti-join."""
    base = _table(skipped["daily"], "staging", "base_customs__declarations")
    assert sorted(base["_load_seq"].unique())[-2:] == [2, 3]
    loads = pd.MultiIndex.from_frame(base[base["_load_seq"] >= 2][["declaration_id", "item_no"]].drop_duplicates())
    daily = _table(skipped["daily"], "intermediate", "int_declaration_line_feature_counts")
    full = _table(skipped["full"], "intermediate", "int_declaration_line_feature_counts")
    before = _table(skipped["before"], "intermediate", "int_declaration_line_feature_counts")
    staged = _table(skipped["daily"], "staging", "stg_customs__declarations")
    assert len(daily) == len(staged) == len(full)
    assert not daily.duplicated(["declaration_id", "item_no"]).any()
    new_daily, old_daily = _split(daily, loads)
    new_full, _ = _split(full, loads)
    assert len(new_daily) >= 20 and (new_daily["_load_seq"] == 3).all()
    # the skipped load's lines are among them (computed on the second load's run)
    skipped_load = pd.MultiIndex.from_frame(base[base["_load_seq"] == 2][["declaration_id", "item_no"]])
    assert pd.MultiIndex.from_frame(new_daily[["declaration_id", "item_no"]]).isin(skipped_load).sum() >= 20
    _same(new_daily, new_full, "int_declaration_line_feature_counts")
    _same(old_daily, _split(before, loads)[1], "features of lines outside both loads (kept)")
    compiled = next((Path(skipped["target"]) / "compiled").rglob("int_declaration_line_feature_counts.sql")).read_text()
    assert "pending_lines" in compiled and "stored_lines" not in compiled


def _compiled(target: Path, model: str) -> str:
    return next((target / "compiled").rglob(f"{model}.sql")).read_text()


@pytest.mark.parametrize("model", MONTHLY_SUMS)
def test_monthly_sums_after_a_skipped_load(skipped, model):
    """The stored monthly sums of the features, recomputed on the second load's run for the groups
    both loads touched (the skipped one included), equal a full refresh's; the run recomputed
    only some groups and kept the others."""
    _same(_table(skipped["daily"], "intermediate", model), _table(skipped["full"], "intermediate", model), model)
    pricing = "int_line_party_pricing_months"
    _same(_table(skipped["daily"], "intermediate", pricing), _table(skipped["full"], "intermediate", pricing), pricing)
    assert "_load_seq > 1 or _load_seq = 3" in _compiled(Path(skipped["target"]), model)
    daily = _table(skipped["daily"], "intermediate", model)
    assert set(daily["_load_seq"]) == {1, 3}, "some groups recomputed, the others kept"


@pytest.mark.parametrize("model", MONTHLY_SUMS)
def test_monthly_sums_recomputed_after_base_rebuilt_alone(skipped, tmp_path, model):
    """A base table rebuilt alone with --full-refresh restarts the load numbers below the stored
    watermark: the next run recomputes every group instead of trusting the watermark."""
    db = tmp_path / "rebuilt.duckdb"
    shutil.copy(skipped["daily"], db)
    data = skipped["data"]
    _dbt(["run", "--full-refresh", "--select", "base_customs__declarations"], data, db, tmp_path / "target")
    _dbt(["run", "--select", model], data, db, tmp_path / "target")
    assert "_load_seq >" not in _compiled(tmp_path / "target", model)
    _same(_table(db, "intermediate", model), _table(skipped["full"], "intermediate", model), model)
