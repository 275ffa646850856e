"""Profile one dbt run from its target folder (run_results.json and manifest.json).

`cip run-profile TARGET` prints where the wall time of a `dbt build` went: node-seconds by
resource type, the busy and idle time of each thread, how many nodes are small, the slowest
nodes, and the critical path. The critical path starts at the node that finished last and
walks back, each time to the blocker that finished last; a node's blockers are its parents
and, because `dbt build` runs a model only after its parents' tests passed, the data tests
of those parents, and the unit tests of the node itself; a unit test runs in its model's turn,
right before it, so its blockers are the model's parents and their tests. The gap between a blocker's end and
the node's start is time the node was ready but both threads were busy with other nodes
(or dbt's own time between nodes). With 2 threads the wall cannot be shorter than the
critical path, so a model that is not on it shortens the wall only by freeing a thread.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

HELP = "Where the wall time of a dbt run went: node-seconds, threads, critical path (from a target folder)."

# nodes shorter than this are counted as dbt's fixed cost per node rather than as work
SMALL_NODE_S = 0.3


@dataclass
class Node:
    unique_id: str
    kind: str
    thread: str
    start: float
    end: float
    seconds: float
    blockers: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.unique_id.split(".")[-1] if self.kind != "test" else self.unique_id.split(".")[2]


def _epoch(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def load_run(target: Path) -> dict[str, Node]:
    """The run's executed nodes with their start, end, thread and blockers."""
    results = json.loads((target / "run_results.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    # exposures too: they run last when the critical path goes first (cip.schedule), and the
    # path must walk back from one through what it depends on
    definitions = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {}), **manifest.get("exposures", {})}
    nodes: dict[str, Node] = {}
    for result in results["results"]:
        spans = [(_epoch(t["started_at"]), _epoch(t["completed_at"]))
                 for t in result.get("timing", []) if t.get("started_at") and t.get("completed_at")]
        if not spans:
            continue
        unique_id = result["unique_id"]
        nodes[unique_id] = Node(unique_id, unique_id.split(".")[0], (result.get("thread_id") or "").split(" ")[0],
                                min(s for s, _ in spans), max(e for _, e in spans),
                                float(result.get("execution_time") or 0.0))
    parents = {uid: [p for p in (definitions.get(uid, {}).get("depends_on") or {}).get("nodes", []) if p in nodes]
               for uid in nodes}
    tests_of: dict[str, list[str]] = {}
    unit_tests_of: dict[str, list[str]] = {}
    for uid, node in nodes.items():
        for parent in parents[uid]:
            if node.kind == "test":
                tests_of.setdefault(parent, []).append(uid)
            elif node.kind == "unit_test":
                unit_tests_of.setdefault(parent, []).append(uid)
    def model_blockers(uid: str) -> list[str]:
        return list(parents.get(uid, [])) + [test for parent in parents.get(uid, []) for test in tests_of.get(parent, [])]

    for uid, node in nodes.items():
        blockers = list(parents[uid])
        if node.kind == "unit_test":
            # it runs in its model's turn, right before it: blocked by what blocks the model
            blockers = [b for model in parents[uid] for b in model_blockers(model)]
        elif node.kind != "test":
            blockers = model_blockers(uid) + unit_tests_of.get(uid, [])
        node.blockers = sorted(set(blockers) - {uid})
    return nodes


def critical_path(nodes: dict[str, Node]) -> list[tuple[Node, float]]:
    """(node, seconds it waited after its last blocker ended), from the first node to the last."""
    if not nodes:
        return []
    first_start = min(node.start for node in nodes.values())
    path = []
    current = max(nodes.values(), key=lambda node: node.end)
    while True:
        blockers = [nodes[uid] for uid in current.blockers if nodes[uid].end <= current.start + 1e-6]
        if not blockers:
            path.append((current, current.start - first_start))
            break
        last = max(blockers, key=lambda node: node.end)
        path.append((current, current.start - last.end))
        current = last
    return path[::-1]


def summarise(nodes: dict[str, Node], top: int = 10) -> dict:
    first = min(node.start for node in nodes.values())
    wall = max(node.end for node in nodes.values()) - first
    by_kind: dict[str, list[float]] = {}
    for node in nodes.values():
        entry = by_kind.setdefault(node.kind, [0, 0.0])
        entry[0] += 1
        entry[1] += node.seconds
    threads = {}
    # dbt's worker threads (the main thread only runs hooks and exposures, in no time)
    for thread in sorted({node.thread for node in nodes.values() if node.thread.startswith("Thread")}):
        own = sorted((node for node in nodes.values() if node.thread == thread), key=lambda node: node.start)
        busy = sum(node.end - node.start for node in own)
        threads[thread] = {"nodes": len(own), "busy_s": busy, "idle_s": wall - busy}
    path = critical_path(nodes)
    small = [node.seconds for node in nodes.values() if node.seconds < SMALL_NODE_S]
    return {
        "wall_s": wall,
        "node_s": sum(node.seconds for node in nodes.values()),
        "by_kind": {kind: {"nodes": count, "node_s": seconds} for kind, (count, seconds) in sorted(by_kind.items())},
        "threads": threads,
        "small_nodes": {"nodes": len(small), "node_s": sum(small), "under_s": SMALL_NODE_S},
        "slowest": [(node.seconds, node.name, node.kind) for node in
                    sorted(nodes.values(), key=lambda node: node.seconds, reverse=True)[:top]],
        "critical_path": [{"name": node.name, "kind": node.kind, "start_s": node.start - first,
                           "seconds": node.end - node.start, "waited_s": waited} for node, waited in path],
        "critical_path_work_s": sum(node.end - node.start for node, _ in path),
        "critical_path_wait_s": sum(waited for _, waited in path),
    }


def render(summary: dict, min_seconds: float = 0.5) -> str:
    lines = [f"Wall (first node start to last node end): {summary['wall_s']:.1f} s; "
             f"node-seconds {summary['node_s']:.1f}.", "",
             "| resource type | nodes | node-seconds |", "|---|---:|---:|"]
    lines += [f"| {kind} | {entry['nodes']} | {entry['node_s']:.1f} |" for kind, entry in summary["by_kind"].items()]
    small = summary["small_nodes"]
    lines += ["", f"Nodes under {small['under_s']} s: {small['nodes']}, {small['node_s']:.1f} node-seconds.",
              "Threads: " + "; ".join(f"{name} busy {entry['busy_s']:.1f} s, idle {entry['idle_s']:.1f} s"
                                      for name, entry in summary["threads"].items()) + ".", "",
              f"Critical path: {summary['critical_path_work_s']:.1f} s running, "
              f"{summary['critical_path_wait_s']:.1f} s waiting (ready, threads busy, or dbt between nodes); "
              f"steps of at least {min_seconds} s, running or waiting:", "",
              "| start s | node | kind | running s | waited before s |", "|---:|---|---|---:|---:|"]
    for step in summary["critical_path"]:
        if step["seconds"] >= min_seconds or step["waited_s"] >= min_seconds:
            lines.append(f"| {step['start_s']:.1f} | {step['name']} | {step['kind']} | {step['seconds']:.1f} | "
                         f"{step['waited_s']:.1f} |")
    lines += ["", "Slowest nodes: " + ", ".join(f"{name} {seconds:.1f} s" for seconds, name, _ in summary["slowest"])
              + "."]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", type=Path, help="dbt target folder of the run (run_results.json, manifest.json)")
    parser.add_argument("--top", type=int, default=10, help="slowest nodes to list [10]")
    parser.add_argument("--min-seconds", type=float, default=0.5,
                        help="critical-path steps shorter than this (running and waiting) are left out [0.5]")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def run(args: argparse.Namespace) -> int:
    for name in ("run_results.json", "manifest.json"):
        if not (args.target / name).exists():
            print(f"{args.target / name} not found: give the target folder of a finished dbt run.")
            return 1
    nodes = load_run(args.target)
    if not nodes:
        print(f"{args.target / 'run_results.json'} holds no executed node.")
        return 1
    summary = summarise(nodes, top=args.top)
    print(json.dumps(summary, indent=1) if args.json else render(summary, args.min_seconds))
    return 0
