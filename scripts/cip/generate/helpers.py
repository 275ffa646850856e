"""Array helpers and the run state shared by the generator's stages."""

from __future__ import annotations

import sys
import time
from datetime import date
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


class State(SimpleNamespace):
    """The arrays of one generation run. generate() fills it stage by stage; each stage reads
    what earlier stages put and puts what later stages read (names as in the stage's code)."""

    def put(self, **values) -> None:
        self.__dict__.update(values)

    def drop(self, *names: str) -> None:
        """Frees arrays no later stage reads (bounded memory at 10M lines)."""
        for name in names:
            self.__dict__.pop(name, None)


class Progress:
    """Per-stage progress lines on stderr with an ETA from stage weights."""

    def __init__(self, enabled: bool, weights: dict[str, float]):
        self.enabled = enabled
        self.weights = weights
        self.total = sum(weights.values())
        self.done = 0.0
        self.t0 = time.perf_counter()

    def step(self, stage: str, note: str = "") -> None:
        self.done += self.weights.get(stage, 0.0)
        if not self.enabled:
            return
        el = time.perf_counter() - self.t0
        frac = min(self.done / self.total, 1.0) if self.total else 1.0
        eta = el / frac * (1 - frac) if frac > 0 else float("nan")
        print(f"[generate] {stage:<22} {frac*100:5.1f}%  elapsed {el:6.1f}s  ~{eta:5.1f}s left"
              + (f"  {note}" if note else ""), file=sys.stderr, flush=True)


CALC_ROWS = 1 << 20  # lines per slice where per-line values are derived in slices (any size gives the same bits)


def slices(n: int):
    """Consecutive slices of CALC_ROWS lines over range(n): elementwise arithmetic done per slice gives the
    same bits as on whole arrays, with temporaries bounded by the slice instead of the data set."""
    for a in range(0, n, CALC_ROWS):
        yield slice(a, min(a + CALC_ROWS, n))


IDS_ROWS = 1 << 22  # ids made per piece: Arrow's padding bounds its output at 4 bytes a character, so
# tens of millions of ids at once overflow a 32-bit string array (seen at 100M lines)


def ids(prefix: str, nums: np.ndarray, width: int) -> pa.Array:
    nums = np.asarray(nums, dtype=np.int64)

    def piece(x: np.ndarray) -> pa.Array:
        s = pc.utf8_lpad(pc.cast(pa.array(x), pa.string()), width, "0")
        return pc.binary_join_element_wise(prefix, s, "")

    if len(nums) <= IDS_ROWS:
        return piece(nums)
    return pa.concat_arrays([piece(nums[a:a + IDS_ROWS]) for a in range(0, len(nums), IDS_ROWS)])


def take_strings(values, idx: np.ndarray) -> pa.Array:
    """Strings from a small dictionary by index (vectorised)."""
    return pa.array(values, type=pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))


def dates(days: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(days, dtype=np.int32)).view(pa.date32())


def unique_draw(rng: np.random.Generator, lo: int, hi: int, n: int) -> np.ndarray:
    """n distinct integers in [lo, hi], in draw order (deterministic, vectorised)."""
    k = int(n * 1.05) + 16
    while True:
        x = rng.integers(lo, hi + 1, k)
        _, first = np.unique(x, return_index=True)
        if len(first) >= n:
            return x[np.sort(first)[:n]]
        k *= 2


def month_starts(start: date, months: int) -> np.ndarray:
    base = np.datetime64(f"{start.year:04d}-{start.month:02d}", "M")
    ms = (base + np.arange(months + 1)).astype("datetime64[D]").astype(np.int64)
    return ms  # months+1 entries (last = end bound)


def day_number(d: date) -> int:
    return int((np.datetime64(d.isoformat(), "D") - np.datetime64("1970-01-01", "D")).astype(int))


def replace_at(arr: pa.Array, pos: np.ndarray, value, n: int) -> pa.Array:
    if len(pos) == 0:
        return arr
    mask = np.zeros(n, dtype=bool)
    mask[pos] = True
    if isinstance(value, pa.Array):
        repl = value
    else:
        repl = pa.array([value] * int(mask.sum()), type=arr.type)
    # replacement values must be in mask order (ascending positions)
    return pc.replace_with_mask(arr, pa.array(mask), repl)


def lowest_other(group: np.ndarray, val: np.ndarray) -> np.ndarray:
    """Per element, the lowest-val other element of its group (itself when alone)."""
    n = len(group)
    o = np.lexsort((np.arange(n), val, group))
    gs = group[o]
    first = np.r_[True, gs[1:] != gs[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    size = np.diff(np.r_[np.flatnonzero(first), n])
    size = np.repeat(size, size)
    f1 = o[start]
    f2 = np.where(size > 1, o[np.minimum(start + 1, n - 1)], f1)
    out = np.empty(n, dtype=np.int64)
    out[o] = np.where(o == f1, f2, f1)
    return out


def pick_combos(rng: np.random.Generator, counts: np.ndarray, total: int, k: int,
                 lo: float, hi: float, exclude: np.ndarray | None = None,
                 weights: np.ndarray | None = None) -> np.ndarray:
    """k combination keys drawn (weight = traffic, or weights) among those carrying lo..hi of the lines."""
    ok = (counts >= max(lo * total, 15)) & (counts <= hi * total)
    if exclude is not None:
        ok &= ~exclude
    cand = np.flatnonzero(ok)
    if len(cand) < k:  # small data: fall back to the busiest combinations under the cap
        cand = np.flatnonzero((counts > 0) & (counts <= max(hi * total, 1)) & (True if exclude is None else ~exclude))
        cand = cand[np.argsort(-counts[cand], kind="stable")][:max(k, 1) * 3]
    if len(cand) == 0:
        return np.zeros(0, dtype=np.int64)
    w = (counts if weights is None else weights)[cand].astype(float) + 1e-9
    return np.sort(rng.choice(cand, min(k, len(cand)), replace=False, p=w / w.sum()))



def safe_mean(x) -> float | None:
    x = np.asarray(x)
    return float(x.mean()) if x.size else None


def jsonable(o):
    if isinstance(o, dict):
        return {str(k): jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [jsonable(v) for v in o]
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating, float)):
        return None if (o != o) else float(o)
    return o
