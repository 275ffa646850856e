"""Critical-path-first scheduling of dbt's nodes (issue 13): `python -m cip.schedule build ...`.

dbt-core 1.11 runs ready nodes in the order they became ready: its main loop takes every ready
node off its priority queue at once (scored by topological depth, GraphQueue._get_scores) and
hands it to the thread pool's first-in-first-out queue. With 2 threads the deep targeting chain
(entity history -> feature counts -> training -> scores -> declaration_risk -> explanations) then
waits behind the shallow models and tests that became ready before it: 51.2 s of the quiet 10M
build's critical path was waiting for a thread (docs/benchmarks.md).

This module runs dbt's own command line in this process with two changes to that loop:
- scores: the longest remaining path from a node to any sink of the graph dbt runs (its test
  edges included), weighted by seconds, negated (lowest first), ties by dbt's level;
- a node leaves the priority queue only when a thread is free (GraphQueue.get waits while as
  many nodes as threads are in progress), so the score decides among all nodes ready by then;
- a Python model runs alone: run early beside a heavy SQL model, the training (which lowers
  DuckDB's memory_limit while it holds its frame, cip.memory) and its neighbour both took 15-50x
  their time in a loaded 10M run; dbt's order ran it at the end, alone.

Weights: a node's execution time in the last runs of the same target folder (run_results.json,
merged after every run into cip_node_seconds.json, so that a `--select` run keeps the others'
times); a node never timed: the median of the timed nodes of its kind in this graph, else a static
estimate (STATIC_SECONDS). Outputs do not change: only the order of ready nodes.

`cip build`, `cip bench`, `cip demo` and the backtest run their dbt builds through here; a plain
`dbt build` keeps dbt's order. CIP_SCHEDULE=dbt keeps dbt's order here too (for A/B timings).
If dbt's internals lack what is replaced (a dbt upgrade), one warning and dbt's own order:
scheduling never fails a build.
"""

from __future__ import annotations

import inspect
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Iterable, Mapping

ENV = "CIP_SCHEDULE"
CRITICAL_PATH, DBT_ORDER = "critical-path", "dbt"
# the dbt commands that run a graph of nodes; the others (parse, run-operation, ...) go to dbt as they are
GRAPH_COMMANDS = ("build", "run", "test")
HISTORY = "cip_node_seconds.json"
# Relative cost of a node never timed, by kind: the mean seconds per node of the quiet 10M daily
# rebuild (2026-12-07 14:22), rounded, a table model = 1: incremental 5.1 and table 1.0 (both 1:
# the size of a new model is unknown), view 0.1, test 0.045, seed 0.025, exposure 0.
STATIC_SECONDS = {"model": 1.0, "snapshot": 1.0, "seed": 0.05, "test": 0.05}
STATIC_VIEW, STATIC_OTHER = 0.1, 0.0
# results whose time is the node's real cost (an error or a skip stops early)
TIMED_STATUSES = {"success", "pass", "fail", "warn", "no-op"}

_warned: set[str] = set()


def warn(message: str) -> None:
    """One line on stderr, once per message."""
    if message not in _warned:
        _warned.add(message)
        print(f"cip schedule: warning: {message}; running with dbt's own order", file=sys.stderr, flush=True)


def command(*args: str) -> list[str]:
    """The command line that runs `dbt <args>`, scheduled when it runs a graph."""
    if args and args[0] in GRAPH_COMMANDS:
        return [sys.executable, "-m", "cip.schedule", *args]
    candidate = Path(sys.executable).parent / "dbt"
    return [str(candidate) if candidate.exists() else "dbt", *args]


# ----------------------------------------------------------------------------- scores
def remaining_paths(graph, weights: Mapping[str, float]) -> dict[str, float]:
    """Node -> its weight plus the longest weighted path from it to any sink (a DAG)."""
    import networkx as nx

    remaining: dict[str, float] = {}
    for node in reversed(list(nx.topological_sort(graph))):
        tail = max((remaining[child] for child in graph.successors(node)), default=0.0)
        remaining[node] = weights.get(node, 0.0) + tail
    return remaining


def critical_path_scores(graph, levels: Mapping[str, int], weights: Mapping[str, float]) -> dict[str, tuple]:
    """Priority queue scores, lowest first: (-longest remaining path, dbt's level). The path is
    rounded to milliseconds so that float noise does not overrule dbt's level on a tie."""
    remaining = remaining_paths(graph, weights)
    return {node: (-round(remaining[node], 3), levels.get(node, 0)) for node in graph.nodes}


def static_estimate(kind: str, materialized: str) -> float:
    if kind == "model" and materialized == "view":
        return STATIC_VIEW
    if kind == "model" and materialized == "ephemeral":
        return 0.0
    return STATIC_SECONDS.get(kind, STATIC_OTHER)


def node_weights(nodes: Iterable[str], kinds: Mapping[str, tuple[str, str]],
                 seconds: Mapping[str, float]) -> tuple[dict[str, float], int]:
    """Node -> weight, and how many were timed: its last seconds; else the median of the timed
    nodes of the same kind here (when 3 or more are), else the static estimate."""
    nodes = list(nodes)
    by_kind: dict[tuple[str, str], list[float]] = {}
    for node in nodes:
        if node in seconds:
            by_kind.setdefault(kinds.get(node, ("", "")), []).append(seconds[node])
    weights, timed = {}, 0
    for node in nodes:
        kind = kinds.get(node, ("", ""))
        if node in seconds:
            weights[node], timed = seconds[node], timed + 1
        elif len(by_kind.get(kind, [])) >= 3:
            weights[node] = statistics.median(by_kind[kind])
        else:
            weights[node] = static_estimate(*kind)
    return weights, timed


def manifest_kinds(manifest, nodes: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Node -> (resource type, materialization) from dbt's manifest object."""
    kinds = {}
    for node in nodes:
        try:
            found = manifest.expect(node)
        except Exception:
            continue
        kind = getattr(found, "resource_type", "")
        materialized = getattr(getattr(found, "config", None), "materialized", "") or ""
        kinds[node] = (str(getattr(kind, "value", kind)), str(materialized))
    return kinds


def python_models(manifest, nodes: Iterable[str]) -> set[str]:
    """The Python models among the nodes: each runs alone (must_wait)."""
    found = set()
    for node in nodes:
        try:
            language = getattr(manifest.expect(node), "language", "")
        except Exception:
            continue
        if str(getattr(language, "value", language)) == "python":
            found.add(node)
    return found


# ----------------------------------------------------------------------------- durations
def _results_seconds(path: Path) -> dict[str, float]:
    results = json.loads(path.read_text()).get("results", [])
    return {r["unique_id"]: float(r["execution_time"]) for r in results
            if r.get("status") in TIMED_STATUSES and r.get("execution_time") is not None}


def load_seconds(target: Path) -> dict[str, float]:
    """Node -> seconds: the merged history, overlaid with the last run_results.json (a plain dbt
    run may have written it after the history). Unreadable files count as absent."""
    seconds: dict[str, float] = {}
    for path, read in ((target / HISTORY, lambda p: {k: float(v) for k, v in json.loads(p.read_text()).items()}),
                       (target / "run_results.json", _results_seconds)):
        try:
            seconds.update(read(path))
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            pass
    return seconds


def remember_seconds(target: Path, since: float) -> None:
    """Merge the run_results.json this run wrote (none when older than `since`) into the history."""
    results = target / "run_results.json"
    try:
        if results.stat().st_mtime + 1 < since:
            return
        merged = load_seconds(target)
        partial = target / (HISTORY + ".part")
        partial.write_text(json.dumps(merged, indent=0, sort_keys=True))
        os.replace(partial, target / HISTORY)
    except (OSError, ValueError):
        pass  # a lost history costs ordering, never the build


# ----------------------------------------------------------------------------- the patch
# what is replaced or relied on: class -> method -> (its parameters, names its code must use)
QUEUE_NEEDS = {
    "_get_scores": (["self", "graph"], ()),
    "__init__": (None, ("_get_scores", "_scores", "lock", "in_progress", "some_task_done")),
    "_find_new_additions": (None, ("_scores", "inner")),
    "get": (["self", "block", "timeout"], ("inner", "_mark_in_progress")),
    "mark_done": (["self", "node_id"], ("in_progress", "some_task_done", "notify_all")),
}
TASK_NEEDS = {"run_queue": (["self", "pool"], ("job_queue", "handle_job_queue"))}


def _problem(cls, needs: Mapping[str, tuple]) -> str | None:
    for name, (parameters, names) in needs.items():
        method = getattr(cls, name, None)
        code = getattr(method, "__code__", None)
        if code is None:
            return f"{cls.__module__}.{cls.__name__} has no {name}"
        if parameters is not None:
            try:
                found = list(inspect.signature(method).parameters)
            except (TypeError, ValueError):
                return f"the signature of {cls.__name__}.{name} cannot be read"
            if found != parameters:
                return f"{cls.__name__}.{name} takes ({', '.join(found)}), not ({', '.join(parameters)})"
        missing = [name for name in names if name not in code.co_names]
        if missing:
            return f"{cls.__name__}.{name} no longer uses {', '.join(missing)}"
    return None


def queue_problem(queue_class, task_class=None) -> str | None:
    """Why dbt's loop cannot be changed (None when it can): GraphQueue's __init__ stores
    `_get_scores(graph)` in `_scores`, which `_find_new_additions` puts in the queue; `get` and
    `mark_done` keep `in_progress` under `lock` and notify `some_task_done`; the task's
    `run_queue(pool)` takes nodes from `job_queue`."""
    return _problem(queue_class, QUEUE_NEEDS) or (_problem(task_class, TASK_NEEDS) if task_class else None)


def must_wait(in_progress: set, ready_top: str | None, limit: int, alone: set) -> bool:
    """Whether the next node must wait for a running one to finish: all threads busy, nothing
    ready, or a node that runs alone (a Python model: its frames sit beside DuckDB's pool in
    this process and cip.memory lowers DuckDB's memory_limit meanwhile) running or next."""
    if not in_progress:
        return False
    return (len(in_progress) >= limit or ready_top is None or bool(in_progress & alone)
            or ready_top in alone)


def _gated_get(original_get: Callable) -> Callable:
    """GraphQueue.get that waits while must_wait (mark_done adds the successors and notifies
    under the same lock)."""
    def get(self, block: bool = True, timeout: float | None = None):
        limit = getattr(self, "cip_threads", None)
        if limit and block:
            alone = getattr(self, "cip_alone", set())
            with self.lock:
                while must_wait(self.in_progress, self.inner.queue[0][1] if self.inner.queue else None, limit, alone):
                    self.some_task_done.wait(timeout=1.0)
        return original_get(self, block, timeout)
    return get


def _limited_run_queue(original_run_queue: Callable) -> Callable:
    """run_queue that tells the task's queue how many threads the pool has."""
    def run_queue(self, pool):
        threads = getattr(getattr(self, "config", None), "threads", None) or getattr(pool, "_processes", None)
        if self.job_queue is not None and isinstance(threads, int) and threads > 0:
            self.job_queue.cip_threads = threads
        return original_run_queue(self, pool)
    return run_queue


def install(target: Path, report: Callable[[str], None] | None = None) -> bool:
    """Replace GraphQueue._get_scores by the critical-path scores (weights from `target`) and
    let a node leave the queue only for a free thread. Returns False (after one warning, dbt
    unchanged) when this dbt's internals do not fit."""
    try:
        from dbt.graph.queue import GraphQueue
        from dbt.task.runnable import GraphRunnableTask
    except ImportError as error:
        warn(f"dbt's GraphQueue or GraphRunnableTask cannot be imported ({error})")
        return False
    if getattr(GraphQueue._get_scores, "cip_schedule", False):
        return True
    problem = queue_problem(GraphQueue, GraphRunnableTask)
    if problem:
        warn(problem)
        return False
    original = GraphQueue._get_scores

    def _get_scores(self, graph):
        levels = original(self, graph)
        try:
            kinds = manifest_kinds(self.manifest, graph.nodes)
            weights, timed = node_weights(graph.nodes, kinds, load_seconds(target))
            scores = critical_path_scores(graph, levels, weights)
            self.cip_alone = python_models(self.manifest, graph.nodes)
        except Exception as error:  # ordering only: never fail the build for it
            warn(f"critical-path scores failed ({error!r})")
            return levels
        if report and scores:
            longest = -min(scores.values())[0]
            report(f"cip schedule: critical path first over {len(scores)} nodes ({timed} timed in {target}, "
                   f"{len(scores) - timed} estimated); the longest path weighs {longest:.1f}")
        return scores

    _get_scores.cip_schedule = True  # type: ignore[attr-defined]
    GraphQueue._get_scores = _get_scores
    GraphQueue.get = _gated_get(GraphQueue.get)
    GraphRunnableTask.run_queue = _limited_run_queue(GraphRunnableTask.run_queue)
    return True


# ----------------------------------------------------------------------------- entry
def _option(argv: list[str], name: str) -> str | None:
    for index, arg in enumerate(argv):
        if arg == name and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def target_path(argv: list[str], environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    """The target folder dbt will use: --target-path, DBT_TARGET_PATH, the project's target-path, target."""
    environ = os.environ if environ is None else environ
    project = Path(_option(argv, "--project-dir") or environ.get("DBT_PROJECT_DIR") or cwd or Path.cwd())
    given = _option(argv, "--target-path") or environ.get("DBT_TARGET_PATH")
    if not given:
        try:
            import yaml

            given = (yaml.safe_load((project / "dbt_project.yml").read_text()) or {}).get("target-path")
        except (OSError, ValueError, ImportError, AttributeError):
            given = None
    path = Path(given or "target")
    return path if path.is_absolute() else project / path


def main(argv: list[str]) -> int:
    """Run `dbt <argv>` in this process, critical path first unless CIP_SCHEDULE=dbt."""
    from dbt.cli.main import cli

    mode = os.environ.get(ENV, CRITICAL_PATH)
    target = target_path(argv)
    if mode == DBT_ORDER:
        print(f"cip schedule: dbt's own order ({ENV}={DBT_ORDER})", flush=True)
    elif mode != CRITICAL_PATH:
        warn(f"{ENV}={mode!r} is neither {CRITICAL_PATH!r} nor {DBT_ORDER!r}")
    elif argv and argv[0] in GRAPH_COMMANDS:
        install(target, report=lambda line: print(line, flush=True))
    started = time.time()
    try:
        cli.main(args=argv, prog_name="dbt")  # dbt's own entry point: it exits with dbt's code
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    remember_seconds(target, started)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
