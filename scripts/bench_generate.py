#!/usr/bin/env python
"""Benchmark `cip.generate.generate` at a given size.

Usage: PYTHONPATH=scripts .venv/bin/python scripts/bench_generate.py --declarations 10000000
Prints wall seconds, rows/s (declaration rows) and peak RSS (resource.getrusage).
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cip.generate import generate  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--declarations", type=int, default=10_000_000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--corrupt-rate", type=float, default=0.0)
    p.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    p.add_argument("--out", type=Path, default=None, help="output dir (default: a temp dir, removed after)")
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args()
    out = a.out or Path(tempfile.mkdtemp(prefix="cip_bench_"))
    t0 = time.perf_counter()
    summary = generate(out, a.declarations, seed=a.seed, corrupt_rate=a.corrupt_rate, fmt=a.format,
                       progress=not a.quiet)
    secs = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    rows = summary["row_counts"]["declarations"]
    size_mb = sum(f.stat().st_size for f in out.glob("*.*")) / 1e6
    print(json.dumps({
        "declarations": a.declarations, "seconds": round(secs, 2),
        "rows_per_second": round(rows / secs), "peak_rss_mb": round(peak_mb, 1),
        "output_mb": round(size_mb, 1), "row_counts": summary["row_counts"],
    }, indent=2))
    if a.out is None:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
