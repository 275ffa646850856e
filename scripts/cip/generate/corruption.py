"""Contract breaches planted on request (--corrupt-rate), with their keys in _truth/."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .declarations import decl_ids, item_numbers
from .helpers import State, replace_at

DECL_KINDS = ["null_tin", "malformed_tin", "unparseable_date", "nonpositive_value", "hs_letters",
              "hs_4_digits", "unknown_origin", "unknown_currency", "unknown_channel", "duplicate_line"]
KEY_SCHEMA = pa.schema([("table", pa.string()), ("kind", pa.string()), ("key", pa.string()),
                        ("declaration_id", pa.string()), ("item_no", pa.int32()), ("version", pa.int32())])


def plan_decl_corruption(rng, n_rows: int, v2_rows: np.ndarray, rate: float, decl_ids_of, hidx: np.ndarray,
                          item_no):
    """Choose the corrupted declaration rows (version-1 rows only) and their breach kind.

    Returns the plan (sorted row positions and kind codes in the un-duplicated row space),
    the counts for truth.json and the row keys as a table.
    """
    n = n_rows
    cand = np.delete(np.arange(n), v2_rows)  # version-1 rows
    k = min(int(round(rate * len(cand))), len(cand))
    pos = np.sort(rng.choice(cand, k, replace=False)) if k else np.zeros(0, np.int64)
    kind = rng.integers(0, len(DECL_KINDS), k).astype(np.int64)
    counts = {kname: int((kind == i).sum()) for i, kname in enumerate(DECL_KINDS)}
    n_dup = counts["duplicate_line"]
    line = pos - np.searchsorted(v2_rows, pos, side="right")  # line of each chosen row
    did = decl_ids_of(hidx[line])
    ino = item_no(line)
    ver = np.ones(k, dtype=np.int32)
    key = pc.binary_join_element_wise(did, pc.cast(pa.array(ino), pa.string()),
                                      pc.cast(pa.array(ver), pa.string()), "#")
    keys = pa.Table.from_arrays([
        pa.array(["declarations"] * k, type=pa.string()), pa.array(DECL_KINDS, type=pa.string()).take(pa.array(kind)),
        key, did, pa.array(ino), pa.array(ver)], schema=KEY_SCHEMA)
    info = {"rows_in_file": n + n_dup, "rows_clean": n - k, "rows_corrupted_in_place": k - n_dup,
            "rows_duplicated_source": n_dup, "rows_added": n_dup, "by_kind": counts,
            "note": "rows_in_file = rows_clean + rows_corrupted_in_place + 2 * rows_duplicated_source "
                    "(each duplicated source row is written twice, the copy right after the original)"}
    return {"pos": pos, "kind": kind}, info, keys


def apply_decl_corruption(cols: dict, plan: dict, a: int, b: int) -> dict:
    """Apply the planned breaches that fall in rows [a, b) of one chunk."""
    lo, hi = np.searchsorted(plan["pos"], [a, b])
    pos, kind = plan["pos"][lo:hi] - a, plan["kind"][lo:hi]
    n = b - a
    for ki, kname in enumerate(DECL_KINDS):
        p = pos[kind == ki]
        if len(p) == 0 or kname == "duplicate_line":
            continue
        if kname == "null_tin":
            cols["tin"] = replace_at(cols["tin"], p, None, n)
        elif kname == "malformed_tin":
            cols["tin"] = replace_at(cols["tin"], p, "T12", n)
        elif kname == "unparseable_date":
            cols["declaration_date"] = replace_at(cols["declaration_date"], p, "2024-13-45", n)
        elif kname == "nonpositive_value":
            old = cols["customs_value"].take(pa.array(p)).to_numpy()
            newv = np.where(np.arange(len(p)) % 2 == 0, 0.0, -old)
            cols["customs_value"] = replace_at(cols["customs_value"], p, pa.array(newv), n)
        elif kname == "hs_letters":
            sub = pc.utf8_replace_slice(cols["hs_code"].take(pa.array(p)), 4, 6, "AB")
            cols["hs_code"] = replace_at(cols["hs_code"], p, sub, n)
        elif kname == "hs_4_digits":
            sub = pc.utf8_slice_codeunits(cols["hs_code"].take(pa.array(p)), 0, 4)
            cols["hs_code"] = replace_at(cols["hs_code"], p, sub, n)
        elif kname == "unknown_origin":
            cols["origin_country"] = replace_at(cols["origin_country"], p, "ZZ", n)
        elif kname == "unknown_currency":
            cols["currency"] = replace_at(cols["currency"], p, "XXX", n)
        elif kname == "unknown_channel":
            cols["channel"] = replace_at(cols["channel"], p, "blue", n)
    dup = pos[kind == DECL_KINDS.index("duplicate_line")]
    if len(dup):
        idx = pa.array(np.sort(np.r_[np.arange(n), dup], kind="stable"))
        cols = {c: arr.take(idx) for c, arr in cols.items()}
    return cols


def corrupt_simple(rng, cols: dict, rate: float, table: str, key_col: str, date_col: str | None,
                    kinds: dict):
    n = len(cols[key_col])
    k = min(int(round(rate * n)), n)
    pos = np.sort(rng.choice(n, k, replace=False)) if k else np.zeros(0, np.int64)
    names = list(kinds)
    kind = rng.integers(0, len(names), k).astype(np.int64)
    key_vals = cols[key_col].take(pa.array(pos, type=pa.int64()))
    if date_col:
        cols[date_col] = pc.cast(cols[date_col], pa.string())
    counts = {}
    for ki, kname in enumerate(names):
        p = pos[kind == ki]
        counts[kname] = int(len(p))
        if not len(p):
            continue
        col = {"null_tin": "tin", "malformed_tin": "tin", "unparseable_date": date_col,
               "unknown_outcome": "outcome", "unknown_status": "status"}[kname]
        cols[col] = replace_at(cols[col], p, kinds[kname], n)
    keys = pa.Table.from_arrays([
        pa.array([table] * k, type=pa.string()), pa.array(names, type=pa.string()).take(pa.array(kind)),
        key_vals, pa.nulls(k, pa.string()), pa.nulls(k, pa.int32()), pa.nulls(k, pa.int32())], schema=KEY_SCHEMA)
    info = {"rows_in_file": n, "rows_clean": n - k, "rows_corrupted_in_place": k, "rows_added": 0,
            "key_column": key_col, "by_kind": counts}
    return cols, info, keys



def plan_corruption(state: State, rng: np.random.Generator) -> None:
    """Plan the contract breaches of the declarations (applied as they are written)."""
    (corrupt_rate, hidx, n_rows, v2_rows) = (state.corrupt_rate, state.hidx, state.n_rows, state.v2_rows)
    corruption = {"declarations": {}, "control_results": {}, "taxpayers": {}}
    corr_keys: list[pa.Table] = []
    cplan = None
    if corrupt_rate > 0:
        cplan, corruption["declarations"], keys_d = plan_decl_corruption(
            rng, n_rows, v2_rows, corrupt_rate, lambda h: decl_ids(state, h), hidx,
            lambda lines: item_numbers(state, lines))
        corr_keys = [keys_d]
    state.put(corr_keys=corr_keys, corruption=corruption, cplan=cplan)


def corrupt(state: State, rng: np.random.Generator) -> None:
    """Apply the contract breaches of control_results and taxpayers (drawn after the declarations' plan)."""
    ctrl_cols_final, corr_keys, corrupt_rate, corruption, taxpayers = (
        state.ctrl_cols_final, state.corr_keys, state.corrupt_rate, state.corruption, state.taxpayers)
    if corrupt_rate > 0:
        ctrl_cols_final, corruption["control_results"], keys_c = corrupt_simple(
            rng, ctrl_cols_final, corrupt_rate, "control_results", "control_id", "control_date",
            {"null_tin": None, "malformed_tin": "T12", "unparseable_date": "2024-13-45", "unknown_outcome": "maybe"})
        taxpayers, corruption["taxpayers"], keys_t = corrupt_simple(
            rng, taxpayers, corrupt_rate, "taxpayers", "tin", None,
            {"null_tin": None, "malformed_tin": "T12", "unknown_status": "suspended"})
        corr_keys += [keys_c, keys_t]
    state.put(ctrl_cols_final=ctrl_cols_final, taxpayers=taxpayers)
