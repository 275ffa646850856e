"""cip run-profile: node-seconds, threads and the critical path of a dbt run, on a hand-made
target folder whose timings are known."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import pytest

from cip import run_profile

T0 = dt.datetime(2026, 12, 7, 8, 0, 0, tzinfo=dt.timezone.utc)


def at(seconds: float) -> str:
    return (T0 + dt.timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def result(unique_id: str, thread: str, start: float, end: float) -> dict:
    return {"unique_id": unique_id, "status": "success", "execution_time": end - start,
            "thread_id": f"{thread} (worker)",
            "timing": [{"name": "compile", "started_at": at(start), "completed_at": at(start)},
                       {"name": "execute", "started_at": at(start), "completed_at": at(end)}]}


def write_target(folder: Path) -> Path:
    """a -> b -> c, with a test on a (b waits for it) and a unit test of c; d feeds c;
    x is long, unrelated work that keeps Thread-2 busy, so b waits 1 s for a thread."""
    nodes = {
        "model.p.a": [], "model.p.d": [], "model.p.x": [],
        "test.p.not_null_a_id.1234": ["model.p.a"],
        "model.p.b": ["model.p.a"],
        "model.p.c": ["model.p.b", "model.p.d"],
    }
    manifest = {"nodes": {uid: {"unique_id": uid, "depends_on": {"nodes": parents}} for uid, parents in nodes.items()},
                "unit_tests": {"unit_test.p.c.rule": {"unique_id": "unit_test.p.c.rule",
                                                      "depends_on": {"nodes": ["model.p.c"]}}}}
    results = [
        result("model.p.a", "Thread-1", 0.0, 2.0),
        result("model.p.d", "Thread-2", 0.0, 1.0),
        result("model.p.x", "Thread-2", 1.0, 6.0),
        result("test.p.not_null_a_id.1234", "Thread-1", 2.0, 2.1),
        result("model.p.y", "Thread-1", 2.1, 3.1),          # other work: b is ready at 2.1
        result("model.p.b", "Thread-1", 3.1, 7.1),
        result("unit_test.p.c.rule", "Thread-2", 6.0, 6.2),
        result("model.p.c", "Thread-1", 7.2, 9.2),
    ]
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "run_results.json").write_text(json.dumps({"results": results}))
    return folder


def test_blockers_include_the_parents_tests_and_own_unit_tests(tmp_path):
    nodes = run_profile.load_run(write_target(tmp_path / "target"))
    assert nodes["model.p.b"].blockers == ["model.p.a", "test.p.not_null_a_id.1234"]
    assert nodes["model.p.c"].blockers == ["model.p.b", "model.p.d", "unit_test.p.c.rule"]
    # a test waits for its model only, not for other tests
    assert nodes["test.p.not_null_a_id.1234"].blockers == ["model.p.a"]
    # a unit test runs in its model's turn: it waits for what the model waits for
    assert nodes["unit_test.p.c.rule"].blockers == ["model.p.b", "model.p.d"]


def test_the_path_goes_through_a_unit_test_run_in_its_models_turn(tmp_path):
    """dbt build runs a model's unit tests on the model's thread right before it: the path walks
    back from c through its unit test to b, not to a unit test that waited since the start."""
    target = write_target(tmp_path / "target")
    results = json.loads((target / "run_results.json").read_text())
    for row in results["results"]:
        if row["unique_id"] == "unit_test.p.c.rule":
            row.update(result("unit_test.p.c.rule", "Thread-1", 7.1, 7.2))
    (target / "run_results.json").write_text(json.dumps(results))
    path = [(node.name, round(waited, 6)) for node, waited in run_profile.critical_path(run_profile.load_run(target))]
    assert path[-3:] == [("b", 1.0), ("rule", 0.0), ("c", 0.0)]


def test_critical_path_walks_back_through_the_last_blocker(tmp_path):
    nodes = run_profile.load_run(write_target(tmp_path / "target"))
    path = run_profile.critical_path(nodes)
    assert [node.name for node, _ in path] == ["a", "not_null_a_id", "b", "c"]
    waits = [round(waited, 6) for _, waited in path]
    # b was ready when a's test ended (2.1) and started at 3.1; c waited 0.1 s after b
    assert waits == [0.0, 0.0, 1.0, 0.1]


def test_summary_adds_up(tmp_path):
    summary = run_profile.summarise(run_profile.load_run(write_target(tmp_path / "target")))
    assert summary["wall_s"] == pytest.approx(9.2)
    assert summary["node_s"] == pytest.approx(2 + 1 + 5 + 0.1 + 1 + 4 + 0.2 + 2)
    assert summary["critical_path_work_s"] == pytest.approx(2 + 0.1 + 4 + 2)
    assert summary["critical_path_wait_s"] == pytest.approx(1.1)
    assert summary["threads"]["Thread-1"]["busy_s"] == pytest.approx(9.1)
    assert summary["threads"]["Thread-2"]["idle_s"] == pytest.approx(9.2 - 6.2)
    assert summary["small_nodes"] == {"nodes": 2, "node_s": pytest.approx(0.3), "under_s": 0.3}
    assert summary["by_kind"]["unit_test"] == {"nodes": 1, "node_s": pytest.approx(0.2)}
    assert summary["slowest"][0] == (pytest.approx(5.0), "x", "model")


def test_cli_renders_and_refuses_a_folder_without_results(tmp_path, capsys):
    target = write_target(tmp_path / "target")
    args = argparse.Namespace(target=target, top=3, min_seconds=0.5, json=False)
    assert run_profile.run(args) == 0
    out = capsys.readouterr().out
    assert "Critical path: 8.1 s running, 1.1 s waiting" in out
    assert "| 3.1 | b | model | 4.0 | 1.0 |" in out
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_profile.run(argparse.Namespace(target=empty, top=3, min_seconds=0.5, json=False)) == 1
    assert "run_results.json not found" in capsys.readouterr().out


def test_bench_keeps_the_daily_runs_results_and_skips_stale_ones(tmp_path):
    from cip import bench

    target = write_target(tmp_path / "target")
    kept = bench.keep_run_profile(target, tmp_path / "target-daily")
    assert (tmp_path / "target-daily" / "run_results.json").exists()
    assert (tmp_path / "target-daily" / "manifest.json").exists()
    assert kept["critical_path_work_s"] == pytest.approx(8.1)
    # steps of 1 s or more only
    assert [step["name"] for step in kept["critical_path"]] == ["a", "b", "c"]
    # results older than the dbt command (a killed dbt leaves the earlier command's): none
    later = (target / "run_results.json").stat().st_mtime + 60
    assert bench.keep_run_profile(target, tmp_path / "stale", started_at=later) is None
    assert not (tmp_path / "stale").exists()


def test_bench_block_names_the_daily_critical_path(tmp_path):
    from cip import bench

    stage = {"wall_s": 10.0, "peak_rss_mb": 1000.0, "rc": 0, "note": ""}
    result = {"declarations": 1000, "load_before": "0", "load_after": "0",
              "stages": {"dbt build (all)": stage, bench.GRI_STAGE: stage, "floor (DuckDB query)": stage},
              "ratios": {"gri_path_over_floor": 1.0, "peer_over_floor": None}, "layers": {},
              "daily_profile": bench.keep_run_profile(write_target(tmp_path / "target"), tmp_path / "kept")}
    machine = {key: "x" for key in ["nproc", "cpu", "ram_gb", "os", "python", "dbt-core", "dbt-duckdb",
                                    "duckdb", "pandas", "pyarrow"]}
    block = bench.markdown_block([result], "cip bench", machine)
    assert ("Critical path of the daily load at 1,000: 8.1 s running, 1.1 s waiting for a thread "
            "(steps of 1 s or more: a 2.0s, b 4.0s, c 2.0s;") in block


def test_the_path_walks_back_from_an_exposure_that_ended_last(tmp_path):
    """Exposures take no time and, scheduled critical path first, end last: their parents are
    in the manifest's exposures, and the path goes back through them."""
    target = write_target(tmp_path / "target")
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["exposures"] = {"exposure.p.feed": {"unique_id": "exposure.p.feed", "depends_on": {"nodes": ["model.p.c"]}}}
    (target / "manifest.json").write_text(json.dumps(manifest))
    results = json.loads((target / "run_results.json").read_text())
    results["results"].append(result("exposure.p.feed", "MainThread", 9.5, 9.5))
    (target / "run_results.json").write_text(json.dumps(results))
    path = [step["name"] for step in run_profile.summarise(run_profile.load_run(target))["critical_path"]]
    assert path[-2:] == ["c", "feed"] and path[0] == "a"
