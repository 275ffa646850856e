"""Tests of the declaration-level backtest (cip.backtest_declarations, M10)."""

from __future__ import annotations

import argparse

import duckdb
import numpy as np
import pandas as pd
import pytest

from cip import backtest, backtest_declarations as bd


def _lines(n: int) -> pd.DataFrame:
    return pd.DataFrame({"declaration_id": [f"D{i // 2}" for i in range(n)],
                         "item_no": [i % 2 + 1 for i in range(n)]})


def test_line_outcomes_line_and_declaration_level_controls():
    lines = _lines(4)  # D0/1, D0/2, D1/1, D1/2
    examinations = pd.DataFrame({
        "declaration_id": ["D0", "D1"],
        "item_no": [2, np.nan],             # line 2 of D0; the whole of D1
        "is_irregular": [True, True],
        "amount_reassessed": [30.0, 100.0],
    })
    out = bd.line_outcomes(lines, examinations)
    assert out["examined"].tolist() == [False, True, True, True]
    assert out["detected"].tolist() == [False, True, True, True]
    # the declaration-level amount is split over its two lines
    assert out["recovered"].tolist() == pytest.approx([0.0, 30.0, 50.0, 50.0])


def test_line_outcomes_compliant_examination_recovers_nothing():
    lines = _lines(2)
    examinations = pd.DataFrame({"declaration_id": ["D0"], "item_no": [1], "is_irregular": [False],
                                 "amount_reassessed": [999.0]})
    out = bd.line_outcomes(lines, examinations)
    assert out["examined"].tolist() == [True, False]
    assert out["detected"].tolist() == [False, False]
    assert out["recovered"].sum() == 0


def _outcomes(detected: list[bool], examined: list[bool], recovered: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"examined": examined, "detected": detected, "recovered": recovered})


def test_budget_row_perfect_score_beats_flat_score():
    n = 100
    detected = [i < 5 for i in range(n)]
    outcomes = _outcomes(detected, [True] * n, [10.0 if d else 0.0 for d in detected])
    perfect = np.array([1.0 if d else 0.0 for d in detected])
    row = bd.budget_row("perfect", perfect, outcomes, 0.05)
    assert row["selected"] == pytest.approx(5)
    assert row["precision"] == pytest.approx(1.0)
    assert row["recall"] == pytest.approx(1.0)
    assert row["recovered_lcu"] == pytest.approx(50.0)
    assert row["lift"] == pytest.approx(20.0)
    flat = bd.budget_row("random", np.zeros(n), outcomes, 0.05)
    # ties share the slots: the expectation of a random pick
    assert flat["precision"] == pytest.approx(0.05)
    assert flat["recall"] == pytest.approx(0.05)
    assert flat["recovered_share"] == pytest.approx(0.05)


def test_budget_row_precision_counts_only_examined_lines():
    # the two top-scored lines: one examined and irregular, one never examined
    outcomes = _outcomes([True, False, False, False], [True, False, True, True], [5.0, 0.0, 0.0, 0.0])
    row = bd.budget_row("x", np.array([0.9, 0.8, 0.1, 0.0]), outcomes, 0.5)
    assert row["selected_examined"] == pytest.approx(1.0)
    assert row["precision"] == pytest.approx(1.0)
    assert row["base_rate"] == pytest.approx(1 / 3)


def test_declaration_backtest_reads_the_mart_and_scores_three_ways(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema marts")
    rows = []
    for i in range(200):
        irregular = i < 10
        rows.append((f"D{i}", 1, f"T{i % 7}", pd.Timestamp("2025-02-01") + pd.Timedelta(days=i % 20),
                     0.9 if irregular else 0.1 * (i % 3), 0.5 if i % 2 else 0.2))
    rows.append(("OLD", 1, "T0", pd.Timestamp("2024-06-01"), 1.0, 1.0))  # before as_of: ignored
    con.execute("create table marts.declaration_risk (declaration_id varchar, item_no integer, tin varchar, "
                "declaration_date date, risk_score double, operator_gri double)")
    con.executemany("insert into marts.declaration_risk values (?, ?, ?, ?, ?, ?)", rows)
    con.close()
    controls = pd.DataFrame({
        "control_type": ["examination"] * 40 + ["pca"],
        "declaration_id": [f"D{i}" for i in range(40)] + [None],
        "item_no": [1.0] * 40 + [np.nan],
        "is_irregular": [i < 10 for i in range(40)] + [True],
        "amount_reassessed": [100.0 if i < 10 else 0.0 for i in range(40)] + [5000.0],
    })
    monkeypatch.setattr(backtest, "later_controls", lambda data, config, as_of, end: controls)
    result = bd.declaration_backtest(db, tmp_path, "2025-01-31", 3)
    assert {(r["score"], r["budget"]) for r in result} == {(s, b) for s in bd.SCORES for b in bd.BUDGETS}
    by_key = {(r["score"], r["budget"]): r for r in result}
    assert all(r["lines"] == 200 for r in result)
    top = by_key[("declaration", 0.05)]
    assert top["precision"] == pytest.approx(1.0)
    assert top["recall"] == pytest.approx(1.0)
    assert top["recovered_lcu"] == pytest.approx(1000.0)
    assert by_key[("random", 0.05)]["precision"] == pytest.approx(0.25)
    assert by_key[("operator", 0.05)]["recall"] < top["recall"]


def test_run_reports_missing_warehouse(tmp_path, capsys):
    args = argparse.Namespace(as_of="2025-01-31", horizon=3, db=tmp_path / "absent.duckdb", data=tmp_path)
    assert bd.run(args, tmp_path) == 2
    assert "no warehouse" in capsys.readouterr().err
