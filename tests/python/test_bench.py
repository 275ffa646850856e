"""The benchmark's floor (one DuckDB query) and peer (pandas) compute the same thing (issue 7)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from cip import bench
from cip.generate import generate
from cip.progress import Progress, dbt_node_progress, format_seconds

FLAGS = ["flag_risky_origin", "flag_unit_price", "flag_exempt_growth", "flag_repeat_offender", "flag_vat_mismatch"]


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bench-data")
    generate(out, declarations=30_000, seed=5, progress=False)
    return out


@pytest.fixture(scope="module")
def params() -> dict:
    return bench.load_params()


@pytest.fixture(scope="module")
def floor_and_peer(tiny_data, params):
    return bench.run_floor(tiny_data, params), bench.run_peer(tiny_data, params)


def test_params_read_from_project(params):
    assert params["half_months"] == params["window_months"] // 2
    for code in bench.FLOOR_INDICATORS:
        assert params[f"cmp_{code}"] in (">", ">=")
        assert isinstance(params[f"thr_{code}"], float)


def test_floor_and_peer_same_gri_per_operator(floor_and_peer):
    (floor, _, _), (peer, _, _) = floor_and_peer
    comparison = bench.compare_gri(floor, peer)
    assert comparison["operators_only_one"] == 0
    assert comparison["operators_both"] == len(floor) > 100
    assert comparison["max_abs_gri_diff"] < 1e-9


def test_floor_and_peer_same_flags_and_segments(floor_and_peer):
    (floor, _, _), (peer, _, _) = floor_and_peer
    merged = floor.merge(peer, on="tin", suffixes=("_floor", "_peer"))
    for column in FLAGS + ["size_segment", "is_without_control"]:
        assert (merged[f"{column}_floor"] == merged[f"{column}_peer"]).all(), column
    for column in ["trade_value_usd", "vat_paid_usd"]:
        assert merged[f"{column}_floor"].sub(merged[f"{column}_peer"]).abs().max() < 1e-6 * merged[f"{column}_floor"].max()


def test_polars_peer_equals_pandas_peer_and_floor(tiny_data, params, floor_and_peer):
    """The Polars (lazy) peer computes the same GRI, flags, segments and Table 4 (issue 13)."""
    (floor, floor_t4, _), (peer, _, _) = floor_and_peer
    polars, polars_t4, _ = bench.run_peer(tiny_data, params, "polars")
    assert bench.compare_gri(floor, polars) == {"operators_both": len(floor), "operators_only_one": 0,
                                                "max_abs_gri_diff": pytest.approx(0, abs=1e-9)}
    merged = peer.merge(polars, on="tin", suffixes=("_pandas", "_polars"))
    assert len(merged) == len(peer) == len(polars)
    for column in FLAGS + ["size_segment", "is_without_control", "quarters_with_irregularity"]:
        assert (merged[f"{column}_pandas"] == merged[f"{column}_polars"]).all(), column
    for column in ["trade_value_usd", "duty_paid_usd", "vat_paid_usd", "excise_paid_usd"]:
        assert merged[f"{column}_pandas"].sub(merged[f"{column}_polars"]).abs().max() \
            < 1e-6 * merged[f"{column}_pandas"].abs().max(), column
    columns = ["size_segment", "risk_level", "operators", "repeat_offenders", "operators_without_control"]
    pd.testing.assert_frame_equal(floor_t4[columns].astype({c: int for c in columns[2:]}).reset_index(drop=True),
                                  polars_t4[columns].astype({c: int for c in columns[2:]}).reset_index(drop=True))


def test_result_is_not_degenerate(floor_and_peer):
    """Every flag fires for someone, GRIs spread over levels: agreement is not agreement on zeros."""
    (floor, table4, _), _ = floor_and_peer
    for flag in FLAGS:
        assert 0 < floor[flag].sum() < len(floor), flag
    assert floor["gri"].between(0, 1).all()
    assert floor["gri"].nunique() > 3
    assert set(floor["size_segment"]) == {"large", "medium", "small"}
    assert table4["operators"].sum() == len(floor)


def test_table4_counts_agree(floor_and_peer):
    (_, floor_t4, _), (_, peer_t4, _) = floor_and_peer
    columns = ["size_segment", "risk_level", "operators", "repeat_offenders", "operators_without_control"]
    left = floor_t4[columns].astype({"operators": int, "repeat_offenders": int, "operators_without_control": int})
    right = peer_t4[columns].astype({"operators": int, "repeat_offenders": int, "operators_without_control": int})
    pd.testing.assert_frame_equal(left.reset_index(drop=True), right.reset_index(drop=True))


def test_floor_and_peer_follow_a_changed_threshold(tiny_data, params):
    """The thresholds come from the catalogue: moving one moves both implementations alike."""
    changed = dict(params, thr_TX_RISKY_ORIGIN=0.05)
    floor, _, _ = bench.run_floor(tiny_data, changed)
    peer, _, _ = bench.run_peer(tiny_data, changed)
    base, _, _ = bench.run_floor(tiny_data, params)
    assert floor["flag_risky_origin"].sum() > base["flag_risky_origin"].sum()
    assert bench.compare_gri(floor, peer)["max_abs_gri_diff"] < 1e-9


def test_daily_file_adds_new_lines_and_corrections(tmp_path):
    generate(tmp_path, declarations=5_000, seed=9, progress=False)
    daily = bench.write_daily_file(tmp_path, corrections=7)
    frame = pd.read_parquet(daily["file"])
    assert daily["corrections"] == 7 and daily["rows"] > 7
    new = frame[frame["version"] == 1]
    assert (new["declaration_date"] == daily["day"]).all()
    assert new["declaration_id"].str.startswith("D").all()
    base = pd.read_parquet(tmp_path / "declarations.parquet")
    corrected = frame[frame["version"] > 1].merge(base, on=["declaration_id", "item_no"], suffixes=("", "_base"))
    assert len(corrected.drop_duplicates(["declaration_id", "item_no"])) == 7
    # the new day opens a month the rates did not cover: its rates are carried forward, once
    rates = pd.read_parquet(daily["rate_file"])
    month = pd.Timestamp(daily["day"]).to_period("M").start_time.date()
    assert (rates["month_start"] == month).all()
    last = pd.read_parquet(tmp_path / "exchange_rates.parquet")
    assert len(rates) == (last["month_start"] == last["month_start"].max()).sum()
    assert bench.carry_exchange_rates(tmp_path, pd.Timestamp(daily["day"]).date()) is None


def test_progress_eta_from_stage_weights():
    now = [0.0]
    stream = io.StringIO()
    progress = Progress({"a": 1, "b": 3}, label="t", stream=stream, clock=lambda: now[0])
    progress.start("a")
    now[0] = 10.0
    progress.finish("a")
    assert progress.fraction() == pytest.approx(0.25)
    assert progress.eta() == pytest.approx(30.0)
    progress.start("b")
    now[0] = 20.0
    progress.update("b", done=1, total=3, unit="rows")
    assert "left ~" in stream.getvalue() and "1/3 rows" in stream.getvalue()
    assert format_seconds(125) == "2m05s" and format_seconds(None) == "?"


def test_markdown_block_states_targets():
    stage = {"wall_s": 10.0, "peak_rss_mb": 1000.0, "rc": 0, "note": ""}
    result = {"declarations": 10_000_000, "load_before": "0.1", "load_after": "0.2",
              "stages": {"dbt build (all)": dict(stage, wall_s=75.0), bench.GRI_STAGE: stage,
                         "floor (DuckDB query)": dict(stage, wall_s=2.0), "peer (pandas)": dict(stage, wall_s=30.0),
                         "peer (polars)": dict(stage, wall_s=12.0)},
              "ratios": {"gri_path_over_floor": 5.0, "peer_over_floor": 15.0, "polars_over_floor": 6.0,
                         "fastest_peer_over_gri_path": 1.2}, "layers": {}}
    block = bench.markdown_block([result], "cip bench", bench.machine_info())
    assert "10M full dbt build <= 45 s: MISSED (75.0 s)" in block
    assert "GRI path <= 1.5x floor: MISSED (5.00x)" in block
    assert "GRI path >= 1.5x faster than the fastest peer: MISSED (1.20x" in block
    assert "| peer (polars) | 12.0 |" in block
    assert "dbt builds: critical path first (cip.schedule)." in block


def test_the_bench_times_scheduled_builds_unless_told_otherwise(monkeypatch):
    assert bench.dbt_cmd("build")[1:] == ["-m", "cip.schedule", "build"]
    assert bench.dbt_cmd("parse")[1:] == ["parse"]
    monkeypatch.setenv("CIP_SCHEDULE", "dbt")
    assert "dbt's own order (CIP_SCHEDULE=dbt)" in bench.SCHEDULES[bench.machine_info()["schedule"]]


def test_dbt_node_progress_parses_finished_nodes_only():
    assert dbt_node_progress("14:29:18  220 of 385 OK created sql table model intermediate.x  [OK in 0.11s]") == (220, 385)
    assert dbt_node_progress("14:29:18  12 of 385 PASS unique_x ........ [PASS in 0.1s]") == (12, 385)
    assert dbt_node_progress("14:29:18  220 of 385 START sql table model intermediate.x ... [RUN]") is None
    assert dbt_node_progress("Running with dbt=1.11") is None


def test_disk_warning_names_the_shortfall():
    gib = 1024 ** 3
    assert bench.disk_warning(10_000_000, 100 * gib) is None
    message = bench.disk_warning(50_000_000, 40 * gib)
    assert message is not None
    assert "40 GB free" in message and "50,000,000" in message and "CIP_THREADS=1" in message


def test_failed_stage_shown_in_the_markdown_block():
    stage_ok = {"wall_s": 1.0, "peak_rss_mb": 10.0, "rc": 0, "note": ""}
    result = {
        "declarations": 1000, "load_before": "0 0 0", "load_after": "0 0 0",
        "stages": {
            "dbt build (all)": {"wall_s": 5.0, "peak_rss_mb": 10.0, "rc": 1,
                                "note": "2 node(s) failed or skipped; exit code 1, see bench.log"},
            "floor (DuckDB query)": stage_ok,
            bench.GRI_STAGE: stage_ok,
        },
        "ratios": {"gri_path_over_floor": 1.0, "peer_over_floor": None},
        "disk_warning": "1 GB free",
    }
    machine = {key: "x" for key in ["nproc", "cpu", "ram_gb", "os", "python", "dbt-core", "dbt-duckdb",
                                    "duckdb", "pandas", "pyarrow"]}
    block = bench.markdown_block([result], "cip bench", machine)
    assert "**dbt build (all) at 1,000 did not succeed:** 2 node(s) failed or skipped" in block
    assert "Disk warning at 1,000: 1 GB free" in block
    # a build that did not finish meets no target with its time or memory
    assert "peak memory of warehouse stages <= 6 GB: MISSED (not measured on a whole run: dbt build (all)" in block
    result["declarations"] = 10_000_000
    block = bench.markdown_block([result], "cip bench", machine)
    assert "10M full dbt build <= 45 s: MISSED (did not finish: exit 1) (5.0 s" in block


def test_layer_breakdown_without_fresh_run_results(tmp_path):
    # a dbt killed by a signal writes no run_results.json (or leaves an earlier command's):
    # the bench reports that instead of failing on the file or timing the wrong command
    import json
    import os
    import time

    missing = bench.layer_breakdown(tmp_path, [], started_at=time.time())
    assert missing["layers"] == {} and "absent" in missing["missing"]

    results = {"results": [{"unique_id": "model.cip.m", "status": "success", "execution_time": 1.5,
                            "timing": [{"started_at": "2026-12-07T09:00:00Z",
                                        "completed_at": "2026-12-07T09:00:01.5Z"}]}]}
    (tmp_path / "run_results.json").write_text(json.dumps(results))
    (tmp_path / "manifest.json").write_text(json.dumps(
        {"nodes": {"model.cip.m": {"resource_type": "model", "original_file_path": "models/marts/m.sql"}}}))
    started = time.time()
    os.utime(tmp_path / "run_results.json", (started - 60, started - 60))
    stale = bench.layer_breakdown(tmp_path, [], started_at=started)
    assert stale["layers"] == {} and "older than this dbt command" in stale["missing"]

    fresh = bench.layer_breakdown(tmp_path, [], started_at=started - 120)
    assert "missing" not in fresh
    assert fresh["layers"]["marts"]["nodes"] == 1 and fresh["slowest"] == [(1.5, "model.cip.m")]
