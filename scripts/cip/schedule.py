"""Critical-path-first scheduling of dbt's nodes (issue 13): `python -m cip.schedule build ...`.

dbt-core 1.11 orders ready nodes by their topological depth (dbt.graph.queue.GraphQueue._get_scores:
lowest level first). With 2 threads the deep targeting chain (entity history -> feature counts ->
training -> scores -> declaration_risk -> explanations) then waits behind shallow side models and
tests that became ready earlier: 51.2 s of the quiet 10M build's critical path was waiting for a
thread (docs/benchmarks.md). This module runs dbt's own command line in this process with each
node's score replaced by the longest remaining path from it to any sink of the graph dbt runs
(its test edges included), weighted by seconds; the longest runs first, ties by dbt's level.

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
def queue_problem(queue_class) -> str | None:
    """Why GraphQueue cannot take the scores (None when it can): its __init__ must call
    `_get_scores(graph)` and store the result in `_scores`, which `_find_new_additions` reads."""
    method = getattr(queue_class, "_get_scores", None)
    if not callable(method):
        return "dbt.graph.queue.GraphQueue has no _get_scores"
    try:
        parameters = list(inspect.signature(method).parameters)
    except (TypeError, ValueError):
        return "the signature of GraphQueue._get_scores cannot be read"
    if parameters != ["self", "graph"]:
        return f"GraphQueue._get_scores takes ({', '.join(parameters)}), not (self, graph)"
    for name, needs in (("__init__", "_get_scores"), ("_find_new_additions", "_scores")):
        code = getattr(getattr(queue_class, name, None), "__code__", None)
        if code is None or needs not in code.co_names:
            return f"GraphQueue.{name} no longer uses {needs}"
    return None


def install(target: Path, report: Callable[[str], None] | None = None) -> bool:
    """Replace GraphQueue._get_scores by the critical-path scores, weights from `target`.
    Returns False (after one warning) when this dbt's GraphQueue does not fit."""
    try:
        from dbt.graph.queue import GraphQueue
    except ImportError as error:
        warn(f"dbt.graph.queue.GraphQueue cannot be imported ({error})")
        return False
    problem = queue_problem(GraphQueue)
    if problem:
        warn(problem)
        return False
    original = GraphQueue._get_scores
    if getattr(original, "cip_schedule", False):
        return True

    def _get_scores(self, graph):
        levels = original(self, graph)
        try:
            kinds = manifest_kinds(self.manifest, graph.nodes)
            weights, timed = node_weights(graph.nodes, kinds, load_seconds(target))
            scores = critical_path_scores(graph, levels, weights)
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
