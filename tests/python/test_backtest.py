"""cip backtest: metric definitions on a hand-made example, and one short end-to-end run."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np
import pytest

from cip import backtest

# ten operators: GRI, controlled after the as-of date, irregularity detected
SCORES = [0.9, 0.8, 0.8, 0.5, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0]
CONTROLLED = [1, 1, 1, 0, 1, 1, 0, 1, 0, 0]
DETECTED = [1, 0, 1, 0, 0, 1, 0, 0, 0, 0]


def test_top_ten_percent_takes_the_single_highest():
    metrics = backtest.budget_metrics(SCORES, CONTROLLED, DETECTED, 0.10)
    assert metrics["selected"] == 1
    assert metrics["precision"] == 1.0
    assert metrics["recall"] == pytest.approx(1 / 3)
    assert metrics["base_rate"] == 0.5
    assert metrics["lift"] == 2.0


def test_ties_at_the_cut_off_share_the_remaining_slots():
    # two slots: 0.9 in full, the two operators tied at 0.8 half each
    weights = backtest.selection_weights(SCORES, 0.20)
    assert list(weights) == [1.0, 0.5, 0.5, 0, 0, 0, 0, 0, 0, 0]
    metrics = backtest.budget_metrics(SCORES, CONTROLLED, DETECTED, 0.20)
    assert metrics["selected_controlled"] == 2.0
    assert metrics["selected_detected"] == 1.5
    assert metrics["precision"] == 0.75
    assert metrics["recall"] == 0.5
    assert metrics["lift"] == 1.5


def test_uncontrolled_selected_operators_do_not_count_in_precision():
    # five slots: 0.9, 0.8, 0.8, 0.5 (not controlled), 0.1 (controlled, clean)
    metrics = backtest.budget_metrics(SCORES, CONTROLLED, DETECTED, 0.50)
    assert metrics["selected_controlled"] == 4.0
    assert metrics["precision"] == 0.5
    assert metrics["recall"] == pytest.approx(2 / 3)
    assert metrics["lift"] == 1.0


def test_random_baseline_is_the_base_rate():
    metrics = backtest.budget_metrics(np.zeros(10), CONTROLLED, DETECTED, 0.20)
    assert metrics["precision"] == pytest.approx(0.5)
    assert metrics["recall"] == pytest.approx(0.2)
    assert metrics["lift"] == pytest.approx(1.0)


def test_no_controlled_operator_selected_gives_no_precision():
    metrics = backtest.budget_metrics([0, 1, 0], [1, 0, 1], [1, 0, 0], 0.30)
    assert metrics["precision"] is None and metrics["lift"] is None
    assert metrics["recall"] == 0.0


def test_detection_without_control_is_ignored():
    metrics = backtest.budget_metrics([1, 0], [0, 1], [1, 1], 0.5)
    assert metrics["recall"] == 0.0 and metrics["base_rate"] == 1.0


def test_hit_rates_by_level():
    levels = backtest.risk_level(SCORES, high=0.75, medium=0.3)
    assert list(levels[:5]) == ["high", "high", "high", "medium", "low"]
    rates = backtest.hit_rates(levels, CONTROLLED, DETECTED)
    assert rates["high"] == {"operators": 3, "controlled": 3, "detected": 2, "hit_rate": pytest.approx(2 / 3)}
    assert rates["medium"] == {"operators": 1, "controlled": 0, "detected": 0, "hit_rate": None}
    assert rates["low"] == {"operators": 6, "controlled": 3, "detected": 1, "hit_rate": pytest.approx(1 / 3)}


def test_truth_metrics():
    out = backtest.truth_metrics([1, 1, 0, 0, 1], [1, 0, 0, 1, 1])
    assert out == {"flagged": 3, "noncompliant": 3, "true_positive": 2,
                   "precision": pytest.approx(2 / 3), "recall": pytest.approx(2 / 3)}


def test_horizon_end_adds_calendar_months():
    import pandas as pd

    assert backtest.horizon_end(pd.Timestamp("2025-06-30"), 6) == pd.Timestamp("2025-12-30")
    assert backtest.horizon_end(pd.Timestamp("2024-08-31"), 6) == pd.Timestamp("2025-02-28")


def _declaration_args(tmp_path):
    parser = argparse.ArgumentParser()
    backtest.add_arguments(parser)
    return parser.parse_args(["--as-of", "2025-06-30", "--level", "declarations", "--data", str(tmp_path)])


def test_declaration_level_delegates_to_its_module(tmp_path, monkeypatch):
    import sys
    import types

    import cip

    calls = []
    fake = types.ModuleType("cip.backtest_declarations")
    fake.run = lambda args, data: calls.append((args.as_of, args.horizon, data)) or 0
    monkeypatch.setitem(sys.modules, "cip.backtest_declarations", fake)
    monkeypatch.setattr(cip, "backtest_declarations", fake, raising=False)
    assert backtest.run(_declaration_args(tmp_path)) == 0
    assert calls == [("2025-06-30", 12, tmp_path.resolve())]


def test_declaration_level_without_its_module_says_so(tmp_path, monkeypatch, capsys):
    import sys

    import cip

    monkeypatch.setitem(sys.modules, "cip.backtest_declarations", None)
    monkeypatch.delattr(cip, "backtest_declarations", raising=False)
    assert backtest.run(_declaration_args(tmp_path)) == 2
    assert "backtest_declarations" in capsys.readouterr().err


@pytest.mark.warehouse
def test_backtest_end_to_end(tmp_path):
    data = os.environ.get("CIP_TEST_DATA")
    if data and Path(data, "declarations.parquet").exists():
        data = Path(data).resolve()
    else:
        from cip.generate import generate

        data = tmp_path / "data"
        generate(data, declarations=20_000, seed=3, progress=False)
    db, out = tmp_path / "backtest.duckdb", tmp_path / "backtest.json"
    parser = argparse.ArgumentParser()
    backtest.add_arguments(parser)
    args = parser.parse_args(["--as-of", "2025-06-30", "--horizon", "6", "--data", str(data),
                              "--db", str(db), "--json", str(out)])
    assert backtest.run(args) == 0
    result = json.loads(out.read_text())
    assert result["as_of_date"] == "2025-06-30" and result["horizon_end"] == "2025-12-30"
    operators = result["operators"]
    assert operators["controlled"] > 0 and operators["detected"] > 0
    assert set(operators["by_technique"]) == {"frequency", "learned", "equal", "expert", "random"}
    for row in operators["by_technique"].values():
        assert [m["budget"] for m in row["budgets"]] == [0.01, 0.02, 0.05, 0.10]
    random_lift = operators["by_technique"]["random"]["budgets"][3]["lift"]
    assert random_lift == pytest.approx(1.0)
    assert result["declarations"]["examined"] > 0
    assert "truth" in result
    # the warehouse built for the backtest passes the independent check at that date
    from cip import check

    assert check.check(data, db, as_of="2025-06-30") == 0
