"""cip.schedule: critical-path-first scores, their weights, the patch of dbt's GraphQueue and
its fallback (issue 13)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import networkx as nx
import pytest

from cip import schedule

CHAIN = [f"model.p.z_chain{i}" for i in range(1, 5)]
SIDE = [f"model.p.a_side{i}" for i in range(1, 7)]


def toy_graph() -> nx.DiGraph:
    """A chain of 4 models beside 6 independent shallow ones; dbt's levels tie the chain's head
    with the side models and its node-id tie break runs the side models (a_...) first."""
    graph = nx.DiGraph()
    graph.add_nodes_from(SIDE)
    nx.add_path(graph, CHAIN)
    return graph


def levels(graph: nx.DiGraph) -> dict[str, int]:
    return {node: level for level, group in enumerate(nx.topological_generations(graph)) for node in group}


def simulate(graph: nx.DiGraph, scores: dict, seconds: dict[str, float], threads: int = 2) -> float:
    """Makespan of dbt's loop: each free thread takes the lowest (score, node id) ready node."""
    remaining_parents = {node: graph.in_degree(node) for node in graph}
    ready = sorted((scores[n], n) for n in graph if remaining_parents[n] == 0)
    running: list[tuple[float, str]] = []
    now = 0.0
    while ready or running:
        while ready and len(running) < threads:
            _, node = ready.pop(0)
            running.append((now + seconds[node], node))
        running.sort()
        now, done = running.pop(0)
        for child in graph.successors(done):
            remaining_parents[child] -= 1
            if remaining_parents[child] == 0:
                ready.append((scores[child], child))
        ready.sort()
    return now


def test_long_chain_beats_shallow_wide_set():
    graph = toy_graph()
    seconds = {**{node: 10.0 for node in CHAIN}, **{node: 5.0 for node in SIDE}}
    scores = schedule.critical_path_scores(graph, levels(graph), seconds)
    assert all(scores[CHAIN[0]] < scores[side] for side in SIDE)
    assert scores[CHAIN[0]] == (-40.0, 0) and scores[SIDE[0]] == (-5.0, 0)
    # with 2 threads: dbt's levels leave the chain waiting 15 s behind the side models; the
    # critical path first ends at the chain's own 40 s
    assert simulate(graph, levels(graph), seconds) == 55.0
    assert simulate(graph, scores, seconds) == 40.0


def test_ties_are_broken_by_dbts_level():
    graph = nx.DiGraph()
    nx.add_path(graph, ["a", "b", "c"])
    graph.add_edge("x", "c")
    scores = schedule.critical_path_scores(graph, {"a": 0, "x": 3, "b": 1, "c": 2}, {"a": 0.0, "x": 1.0, "b": 1.0,
                                                                                    "c": 1.0})
    assert scores["x"] == (-2.0, 3) and scores["b"] == (-2.0, 1)
    assert scores["b"] < scores["x"]


def _run_results(target: Path, seconds: dict[str, float], status: str = "success") -> None:
    target.mkdir(parents=True, exist_ok=True)
    results = [{"unique_id": uid, "status": status, "execution_time": value} for uid, value in seconds.items()]
    (target / "run_results.json").write_text(json.dumps({"results": results}))


def test_weights_come_from_the_last_run_results(tmp_path):
    graph = toy_graph()
    kinds = {node: ("model", "table") for node in graph}
    _run_results(tmp_path, {SIDE[0]: 100.0, **{node: 1.0 for node in CHAIN}})
    weights, timed = schedule.node_weights(graph.nodes, kinds, schedule.load_seconds(tmp_path))
    assert timed == 5 and weights[SIDE[0]] == 100.0
    scores = schedule.critical_path_scores(graph, levels(graph), weights)
    assert min(scores, key=scores.get) == SIDE[0]  # a 100 s side model outweighs a 4 s chain


def test_unknown_nodes_fall_back_to_the_median_of_their_kind_else_a_static_estimate():
    kinds = {"t1": ("model", "table"), "t2": ("model", "table"), "t3": ("model", "table"),
             "new": ("model", "table"), "view": ("model", "view"), "test": ("test", ""), "odd": ("exposure", "")}
    seconds = {"t1": 2.0, "t2": 4.0, "t3": 30.0}
    weights, timed = schedule.node_weights(kinds, kinds, seconds)
    assert timed == 3
    assert weights["new"] == 4.0  # median of the 3 timed tables
    assert weights["view"] == schedule.STATIC_VIEW and weights["test"] == schedule.STATIC_SECONDS["test"]
    assert weights["odd"] == schedule.STATIC_OTHER
    weights, timed = schedule.node_weights(kinds, kinds, {})
    assert timed == 0 and weights["new"] == 1.0 and weights["view"] < weights["new"]


def test_history_keeps_nodes_a_partial_run_left_out(tmp_path):
    _run_results(tmp_path, {"a": 5.0, "b": 7.0})
    schedule.remember_seconds(tmp_path, since=0)
    _run_results(tmp_path, {"a": 6.0, "c": 1.0})
    _run_results_errors = json.loads((tmp_path / "run_results.json").read_text())
    _run_results_errors["results"].append({"unique_id": "d", "status": "error", "execution_time": 0.1})
    (tmp_path / "run_results.json").write_text(json.dumps(_run_results_errors))
    schedule.remember_seconds(tmp_path, since=0)
    assert schedule.load_seconds(tmp_path) == {"a": 6.0, "b": 7.0, "c": 1.0}  # an error is no timing
    (tmp_path / schedule.HISTORY).write_text("not json")
    assert schedule.load_seconds(tmp_path) == {"a": 6.0, "c": 1.0}


class FakeManifest:
    def expect(self, unique_id):
        return SimpleNamespace(unique_id=unique_id, resource_type="model", config=SimpleNamespace(materialized="table"))


@pytest.fixture
def graph_queue(monkeypatch):
    """dbt's GraphQueue, restored after the test (install() patches the class)."""
    from dbt.graph.queue import GraphQueue
    from dbt.task.runnable import GraphRunnableTask

    for cls, name in ((GraphQueue, "_get_scores"), (GraphQueue, "get"), (GraphRunnableTask, "run_queue")):
        monkeypatch.setattr(cls, name, getattr(cls, name))
    return GraphQueue


def _order(queue_class, graph: nx.DiGraph) -> list[str]:
    queue = queue_class(graph, FakeManifest(), set(graph.nodes))
    order = []
    while not queue.empty():
        node = queue.inner.get()[1]  # as GraphQueue.get(), without the manifest node it returns
        queue._mark_in_progress(node)
        order.append(node)
        queue.mark_done(node)
    return order


def test_the_patch_reaches_this_dbts_graph_queue(graph_queue, tmp_path):
    from dbt.task.runnable import GraphRunnableTask

    problem = schedule.queue_problem(graph_queue, GraphRunnableTask)
    assert problem is None, f"dbt's loop changed, cip.schedule would fall back to dbt's order: {problem}"
    assert _order(graph_queue, toy_graph())[0] == SIDE[0]  # dbt's own order: level, then node id
    assert schedule.install(tmp_path)
    order = _order(graph_queue, toy_graph())
    assert order[:3] == CHAIN[:3]  # the chain outranks the side models until its last node ties them
    _run_results(tmp_path, {SIDE[-1]: 100.0})
    assert _order(graph_queue, toy_graph())[0] == SIDE[-1]  # weights read when dbt builds the queue


def test_a_node_leaves_the_queue_only_for_a_free_thread(graph_queue, tmp_path):
    """dbt's loop takes every ready node at once into its thread pool's FIFO queue; patched, the
    third get() of 2 threads waits for a node to finish, then takes the best node ready by then."""
    import threading

    assert schedule.install(tmp_path)
    queue = graph_queue(toy_graph(), FakeManifest(), set(toy_graph().nodes))
    queue.cip_threads = 2
    first, second = queue.get().unique_id, queue.get().unique_id
    assert (first, second) == (CHAIN[0], SIDE[0])
    got: list[str] = []
    waiting = threading.Thread(target=lambda: got.append(queue.get().unique_id), daemon=True)
    waiting.start()
    waiting.join(timeout=0.5)
    assert waiting.is_alive() and not got  # both threads busy: nothing leaves the queue
    queue.mark_done(first)
    waiting.join(timeout=5)
    assert got == [CHAIN[1]]  # ready after the side models, taken before them


def test_a_python_model_runs_alone():
    assert not schedule.must_wait(set(), "py", 2, {"py"})  # nothing running: it goes
    assert schedule.must_wait({"a"}, "py", 2, {"py"})  # it waits for the running node
    assert schedule.must_wait({"py"}, "b", 2, {"py"})  # nothing beside it
    assert not schedule.must_wait({"a"}, "b", 2, {"py"})  # a free thread, a ready node
    assert schedule.must_wait({"a", "b"}, "c", 2, set()) and schedule.must_wait({"a"}, None, 2, set())


def test_a_changed_graph_queue_falls_back_to_dbts_order(monkeypatch, capsys, tmp_path):
    import dbt.graph.queue

    class Renamed:  # a dbt that renamed the method
        def __init__(self, graph):
            self._scores = self._levels(graph)

        def _levels(self, graph):
            return {}

    class NewSignature:
        def __init__(self, graph):
            self._scores = self._get_scores(graph, 2)

        def _get_scores(self, graph, threads):
            return {}

    assert "no _get_scores" in schedule.queue_problem(Renamed)
    assert "not (self, graph)" in schedule.queue_problem(NewSignature)
    monkeypatch.setattr(dbt.graph.queue, "GraphQueue", NewSignature)
    schedule._warned.clear()
    assert schedule.install(tmp_path) is False
    assert NewSignature._get_scores.__code__.co_argcount == 3  # left alone
    assert "running with dbt's own order" in capsys.readouterr().err


def test_failing_scores_fall_back_to_dbts_levels(graph_queue, monkeypatch, capsys, tmp_path):
    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(schedule, "critical_path_scores", broken)
    schedule._warned.clear()
    assert schedule.install(tmp_path)
    assert _order(graph_queue, toy_graph())[0] == SIDE[0]
    assert "critical-path scores failed" in capsys.readouterr().err


def test_target_path_and_commands(tmp_path):
    (tmp_path / "dbt_project.yml").write_text("name: p\ntarget-path: out\n")
    assert schedule.target_path(["build"], {}, tmp_path) == tmp_path / "out"
    assert schedule.target_path(["build"], {"DBT_TARGET_PATH": "/x/t"}, tmp_path) == Path("/x/t")
    assert schedule.target_path(["build", "--target-path", "t2"], {"DBT_TARGET_PATH": "/x/t"}, tmp_path) == tmp_path / "t2"
    assert schedule.command("build", "--select", "x")[1:3] == ["-m", "cip.schedule"]
    assert schedule.command("parse")[1:] == ["parse"]


TOY_MODELS = {**{f"a_side{i}": "select 1 as x" for i in range(1, 4)},
              "z_chain1": "select 1 as x", "z_chain2": "select * from {{ ref('z_chain1') }}",
              "z_chain3": "select * from {{ ref('z_chain2') }}"}


def _toy_project(folder: Path) -> Path:
    (folder / "models").mkdir(parents=True)
    (folder / "dbt_project.yml").write_text("name: toy\nversion: '1.0'\nprofile: toy\n"
                                            "models:\n  toy:\n    +materialized: table\n")
    (folder / "profiles.yml").write_text(f"toy:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
                                         f"      path: {folder / 'toy.duckdb'}\n      threads: 1\n")
    for name, sql in TOY_MODELS.items():
        (folder / "models" / f"{name}.sql").write_text(sql + "\n")
    return folder


def _built_order(project: Path, mode: str) -> tuple[list[str], str]:
    env = {**os.environ, "DBT_PROFILES_DIR": str(project), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           schedule.ENV: mode}
    env.pop("DBT_TARGET_PATH", None)
    done = subprocess.run([sys.executable, "-m", "cip.schedule", "build"], cwd=project, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    results = json.loads((project / "target" / "run_results.json").read_text())["results"]
    started = sorted(results, key=lambda r: r["timing"][0]["started_at"])
    return [r["unique_id"].split(".")[-1] for r in started], done.stdout


def test_a_scheduled_dbt_build_runs_the_chain_first(tmp_path):
    """The whole way: `python -m cip.schedule build` on a toy project with one thread."""
    project = _toy_project(tmp_path / "toy")
    order, out = _built_order(project, schedule.DBT_ORDER)
    assert order[0] == "a_side1" and "dbt's own order" in out
    # the toy's own times are noise (the first node carries dbt's warm-up): fixed ones instead
    (project / "target" / schedule.HISTORY).unlink()
    _run_results(project / "target", {f"model.toy.{name}": 0.5 if "side" in name else 1.0 for name in TOY_MODELS})
    order, out = _built_order(project, schedule.CRITICAL_PATH)
    assert order[:3] == ["z_chain1", "z_chain2", "z_chain3"], out
    assert "critical path first over 6 nodes (6 timed" in out
    assert (project / "target" / schedule.HISTORY).exists()
