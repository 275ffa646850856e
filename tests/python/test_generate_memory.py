"""The generator's bounded-memory paths: per-slice derivations give the same bytes as whole arrays,
the row map of the declarations file, and the memory held per line."""
from __future__ import annotations

import hashlib
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from cip.generate import generate, helpers, writing  # noqa: E402
from cip.generate.declarations import rows  # noqa: E402
from cip.generate.helpers import State  # noqa: E402


def _digest(d: Path) -> dict[str, str]:
    return {p.relative_to(d).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(d.rglob("*")) if p.is_file()}


def test_slice_size_does_not_change_a_byte(tmp_path, monkeypatch):
    """Taxes, customs values, evaded amounts and flags are derived per slice of lines: any slice size
    must give the bytes of one slice over everything (with breaches, so that every path runs)."""
    generate(tmp_path / "one", 30_000, seed=7, corrupt_rate=0.01, progress=False)
    monkeypatch.setattr(helpers, "CALC_ROWS", 997)  # a prime: slices end inside declarations
    generate(tmp_path / "many", 30_000, seed=7, corrupt_rate=0.01, progress=False)
    one, many = _digest(tmp_path / "one"), _digest(tmp_path / "many")
    assert len(one) >= 16 and one == many


@pytest.mark.parametrize("n_v2", [0, 1, 37])
def test_row_map_matches_the_sorted_row_space(n_v2):
    """rows() maps file rows to lines as the sorted row space did: each corrected line's version 2
    right after it, with its factor, whatever the chunk bounds."""
    rng = np.random.default_rng(n_v2)
    N = 500
    v2_lines = np.sort(rng.choice(N, n_v2, replace=False))
    v2_factor = rng.uniform(1.05, 1.6, n_v2)
    src = np.sort(np.r_[np.arange(N), v2_lines], kind="stable")
    is_v2 = np.r_[False, src[1:] == src[:-1]]
    fac = np.ones(len(src))
    fac[is_v2] = v2_factor
    state = State(v2_rows=v2_lines + np.arange(1, n_v2 + 1), v2_factor=v2_factor)
    for step in (1, 7, 64, len(src)):
        got = [rows(state, a, min(a + step, len(src))) for a in range(0, len(src), step)]
        assert np.array_equal(np.concatenate([g[0] for g in got]), src)
        assert np.array_equal(np.concatenate([g[1] for g in got]), is_v2)
        assert np.array_equal(np.concatenate([g[2] for g in got]), fac)


def test_memory_per_line(tmp_path, monkeypatch):
    """Peak numpy memory per line (tracemalloc, growth from 200k to 600k lines with small chunks, so
    that fixed costs cancel; Arrow buffers are not traced) stays well under the all-in-memory
    generator's: 256 B/line before, 125 B/line after, measured the same way on 2026-12-07."""
    monkeypatch.setattr(helpers, "CALC_ROWS", 8192)
    monkeypatch.setattr(writing, "CHUNK_ROWS", 8192)

    def peak(n: int) -> int:
        tracemalloc.start()
        try:
            generate(tmp_path / str(n), n, seed=7, progress=False)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    peak(50_000)  # first-call costs (imports, caches) out of the measured runs
    small, big = peak(200_000), peak(600_000)
    per_line = (big - small) / 400_000
    assert 40 < per_line < 170, per_line


def test_ids_in_pieces_equal_ids_at_once(monkeypatch):
    """ids() makes long runs of ids in pieces (Arrow's 32-bit string offsets overflowed on the 45M
    declaration ids of 100M lines): the pieces, concatenated, are the same strings."""
    nums = np.random.default_rng(1).integers(0, 10**9, 10_001)
    whole = helpers.ids("D", nums, 10)
    monkeypatch.setattr(helpers, "IDS_ROWS", 1000)
    pieces = helpers.ids("D", nums, 10)
    assert pieces.equals(whole) and pieces.to_pylist()[:2] == whole.to_pylist()[:2]
    assert all(len(x) == 11 and x[0] == "D" for x in pieces.to_pylist())
