"""Progress lines for long steps: what runs now, time spent, and an estimate of what remains.

Two ways to estimate what remains:

* stage weights: give every stage a relative cost up front (from experience, e.g. the
  last run); the ETA is elapsed / done-weight x remaining-weight;
* rates: a stage that knows its size (rows, models) reports how far it got; the ETA of
  that stage is elapsed / done x remaining.

Lines go to stderr so stdout stays machine-readable. Nothing is printed when disabled
(`--quiet`) or, with enabled=None, when stderr is not a terminal and CIP_PROGRESS is unset.

    progress = Progress({"generate": 3, "build": 10, "tests": 2}, label="bench")
    with progress.stage("generate", note="1,000,000 lines"):
        ...
    progress.update("build", done=120, total=240, unit="models")   # inside a stage
"""

from __future__ import annotations

import os
import re
import sys
import time
from contextlib import contextmanager
from typing import Iterator, TextIO


def format_seconds(seconds: float | None) -> str:
    """Compact human duration: 4.2s, 3m05s, 1h02m; '?' when unknown."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "?"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Progress:
    """Stage-weighted progress with an ETA; safe to use when disabled."""

    def __init__(self, weights: dict[str, float] | None = None, label: str = "cip",
                 enabled: bool | None = True, stream: TextIO | None = None,
                 clock=time.perf_counter):
        self.weights = dict(weights or {})
        self.total = sum(self.weights.values())
        self.label = label
        self.stream = stream or sys.stderr
        if enabled is None:
            enabled = bool(os.environ.get("CIP_PROGRESS")) or self.stream.isatty()
        self.enabled = enabled
        self.clock = clock
        self.t0 = clock()
        self.done_weight = 0.0
        self.current: str | None = None
        self.stage_t0 = self.t0
        self.durations: dict[str, float] = {}

    # --------------------------------------------------------------- estimates
    def elapsed(self) -> float:
        return self.clock() - self.t0

    def fraction(self, stage_fraction: float = 0.0) -> float:
        """Share of the total weight done, counting stage_fraction of the current stage."""
        if not self.total:
            return 0.0
        current = self.weights.get(self.current, 0.0) * min(max(stage_fraction, 0.0), 1.0) if self.current else 0.0
        return min((self.done_weight + current) / self.total, 1.0)

    def eta(self, stage_fraction: float = 0.0) -> float | None:
        """Seconds left for all stages, from the time spent on the weight done so far."""
        frac = self.fraction(stage_fraction)
        if frac <= 0:
            return None
        return self.elapsed() / frac * (1.0 - frac)

    # --------------------------------------------------------------- reporting
    def _line(self, stage: str, status: str, stage_fraction: float = 0.0, note: str = "") -> str:
        pct = self.fraction(stage_fraction) * 100 if self.total else float("nan")
        pct_text = f"{pct:5.1f}%" if pct == pct else "   - "
        text = (f"[{self.label}] {stage:<28} {status:<6} {pct_text}  elapsed {format_seconds(self.elapsed()):>7}"
                f"  left ~{format_seconds(self.eta(stage_fraction)):>7}")
        return text + (f"  {note}" if note else "")

    def _emit(self, text: str) -> None:
        if self.enabled:
            print(text, file=self.stream, flush=True)

    def start(self, stage: str, note: str = "") -> None:
        self.current = stage
        self.stage_t0 = self.clock()
        self._emit(self._line(stage, "start", 0.0, note))

    def update(self, stage: str, done: float, total: float, unit: str = "") -> None:
        """Rate-based progress inside a stage: done of total units."""
        frac = done / total if total else 0.0
        spent = self.clock() - self.stage_t0
        stage_left = spent / frac * (1 - frac) if frac > 0 else None
        note = f"{done:,.0f}/{total:,.0f} {unit}".rstrip() + f", stage left ~{format_seconds(stage_left)}"
        self._emit(self._line(stage, "..", frac, note))

    def finish(self, stage: str, note: str = "") -> float:
        """Marks the stage done; returns its duration in seconds."""
        duration = self.clock() - self.stage_t0
        self.durations[stage] = duration
        self.done_weight += self.weights.get(stage, 0.0)
        self.current = None
        self._emit(self._line(stage, "done", 0.0, f"{format_seconds(duration)}" + (f"  {note}" if note else "")))
        return duration

    @contextmanager
    def stage(self, stage: str, note: str = "") -> Iterator["Progress"]:
        self.start(stage, note)
        try:
            yield self
        finally:
            self.finish(stage)


_DBT_NODE_DONE = re.compile(r"\b(\d+) of (\d+) (OK|PASS|ERROR|FAIL|WARN|SKIP|NO-OP)\b")


def dbt_node_progress(line: str) -> tuple[int, int] | None:
    """(finished, total) from a dbt log line such as '12 of 410 OK created sql table model ...'.

    Lets a wrapper that streams dbt's output (cip build, cip demo) call
    Progress.update(stage, finished, total, "nodes") and show what remains."""
    match = _DBT_NODE_DONE.search(line)
    return (int(match.group(1)), int(match.group(2))) if match else None
