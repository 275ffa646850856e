"""DuckDB's memory limit lent to a Python frame of a dbt Python model (issue 13).

dbt runs every model in one process, so a Python model's frames (numpy, pandas, LightGBM)
sit beside DuckDB's buffer pool, which the profile caps with memory_limit: the process's
peak is the pool plus the frames. ``memory_lent`` lowers DuckDB's limit by what the frame
will take while Python holds it, and restores it afterwards. Lowering the limit makes
DuckDB evict cached table blocks (and spill a running query's intermediates) down to the
new limit, so the pool and the frame together stay within the configured limit.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

_UNITS = {"": 1, "b": 1, "bytes": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
          "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}

# peak extra memory of cip.line_models.train per cell of its frame (lines x columns):
# 78 bytes measured (100,000 lines x 54 columns: +402 MiB RSS); the frame, its float copy,
# the fit's standardised features and squares, the validation splits, LightGBM's bins.
# The logistic and boosted fits side by side (issue 13) add ~9 bytes: peak RSS of train()
# on the 10M bench's 400,000 x 64 frame 1,894 -> 2,117 MB
TRAINING_BYTES_PER_CELL = 90


def parse_size(text: str) -> int:
    """Bytes of a DuckDB size setting as DuckDB prints it ('5.5 GiB', '6GB', '123B')."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]*)\s*", str(text))
    if not match or match.group(2).lower() not in _UNITS:
        raise ValueError(f"not a DuckDB memory size: {text!r}")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def memory_limit(connection) -> int:
    """DuckDB's current memory_limit in bytes."""
    return parse_size(connection.execute("select current_setting('memory_limit')").fetchone()[0])


@contextmanager
def memory_lent(connection, nbytes: int, configured: str | None = None, floor: int = 1024**3, log=print):
    """Lowers DuckDB's memory_limit by `nbytes` (not below `floor`) for the block, then restores it.

    `configured`: the limit as the profile sets it ('6GB'), restored exactly; DuckDB prints
    its setting rounded down to 0.1 GiB, so without it the limit read back is restored. If
    DuckDB cannot free enough memory for the lower limit (a query running beside holds it),
    the limit stays as it was and the block runs anyway; the message says so."""
    before = parse_size(configured) if configured else memory_limit(connection)
    restore = configured if configured else f"{before}B"
    lowered = max(floor, before - int(nbytes))
    changed = False
    if lowered < before:
        try:
            connection.execute(f"set memory_limit = '{lowered}B'")
            changed = True
            log(f"DuckDB memory_limit {before / 1024**3:.2f} GiB -> {lowered / 1024**3:.2f} GiB "
                f"while Python holds {nbytes / 1024**3:.2f} GiB")
        except Exception as error:  # duckdb.OutOfMemoryException: the pool is pinned
            log(f"DuckDB memory_limit kept at {before / 1024**3:.2f} GiB (could not lower it: {error})")
    try:
        yield lowered if changed else before
    finally:
        if changed:
            connection.execute(f"set memory_limit = '{restore}'")
