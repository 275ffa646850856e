"""Declaration and operator levels of the backtest (cip.backtest.declarations, .operators)
on hand-made warehouses and outcomes."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from cip.backtest import declarations as bd
from cip.backtest import operators as bo


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
        "selection_method": ["rule", "random"],
    })
    out = bd.line_outcomes(lines, examinations)
    assert out["examined"].tolist() == [False, True, True, True]
    assert out["detected"].tolist() == [False, True, True, True]
    # the declaration-level amount is split over its two lines
    assert out["recovered"].tolist() == pytest.approx([0.0, 30.0, 50.0, 50.0])
    # the random view sees the random examination only
    assert out["examined_random"].tolist() == [False, False, True, True]
    assert out["recovered_random"].tolist() == pytest.approx([0.0, 0.0, 50.0, 50.0])


def test_line_outcomes_compliant_examination_recovers_nothing_and_method_is_optional():
    examinations = pd.DataFrame({"declaration_id": ["D0"], "item_no": [1], "is_irregular": [False],
                                 "amount_reassessed": [999.0]})
    out = bd.line_outcomes(_lines(2), examinations)
    assert out["examined"].tolist() == [True, False]
    assert out["detected"].tolist() == [False, False]
    assert out["recovered"].sum() == 0 and not out["examined_random"].any()


def test_line_outcomes_two_examinations_of_one_line():
    examinations = pd.DataFrame({"declaration_id": ["D0", "D0"], "item_no": [1, 1], "is_irregular": [False, True],
                                 "amount_reassessed": [0.0, 12.0], "selection_method": ["random", "rule"]})
    out = bd.line_outcomes(_lines(2), examinations)
    assert out["detected"].tolist() == [True, False] and out["recovered"].tolist() == [12.0, 0.0]
    assert out["examined_random"].tolist() == [True, False] and out["detected_random"].tolist() == [False, False]


def _warehouse(path, columns: dict, n: int = 200, techniques=("frequency",), line_risk=False):
    """marts.declaration_risk with the given score columns (name -> function of line i)."""
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema intermediate")
    frame = pd.DataFrame({"declaration_id": [f"D{i}" for i in range(n)], "item_no": 1,
                          "tin": [f"T{i % 7:09d}" for i in range(n)],
                          "declaration_date": [pd.Timestamp("2025-02-01") + pd.Timedelta(days=i % 20) for i in range(n)]})
    for name, fn in columns.items():
        frame[name] = [fn(i) for i in range(n)]
    old = frame.iloc[:1].copy()
    old["declaration_id"], old["declaration_date"] = "OLD", pd.Timestamp("2024-06-01")   # before as_of: not scored
    con.register("frame", pd.concat([frame, old]))
    con.execute("create table marts.declaration_risk as select * from frame")
    gri = pd.DataFrame([(f"T{k:09d}", t, "global", k / 10) for k in range(6) for t in techniques],
                       columns=["tin", "technique", "gri_type", "gri"])   # T000000006 not scored
    con.register("gri", gri)
    con.execute("create table marts.operator_gri_by_technique as select * from gri")
    if line_risk:
        con.execute("create table marts.operator_line_risk as select * from (values ('T000000003', 5.0, 0.125, 40), "
                    "('T000000005', 1.0, 0.025, 40), ('T999999999', 9.0, 9.0, 1)) "
                    "as t(tin, expected_irregular_lines, expected_irregular_share, lines_scored)")
    con.close()
    return path


def _controls(n: int = 40, irregular: int = 10) -> pd.DataFrame:
    return pd.DataFrame({
        "control_type": ["examination"] * n + ["pca"],
        "declaration_id": [f"D{i}" for i in range(n)] + [None],
        "item_no": [1.0] * n + [np.nan],
        "tin": [f"T{i % 7:09d}" for i in range(n)] + ["T000000003"],
        "is_irregular": [i < irregular for i in range(n)] + [True],
        "amount_reassessed": [100.0 if i < irregular else 0.0 for i in range(n)] + [5000.0],
        "selection_method": ["random" if i % 2 else "rule" for i in range(n)] + ["unknown"],
    })


def test_score_declarations_every_score_of_the_mart(tmp_path):
    db = _warehouse(tmp_path / "w.duckdb", {
        "score_rule": lambda i: 0.1 * (i % 3),
        "score_sql": lambda i: 0.9 if i < 10 else 0.01 * (i % 5),
        "score_gbm": lambda i: None,                       # could not be trained
        "risk_score": lambda i: 0.9 if i < 10 else 0.01 * (i % 5),
        "operator_gri": lambda i: 0.5 if i % 2 else 0.2,
        "recommended_channel": lambda i: "red" if i < 10 else ("yellow" if i < 20 else "green")})
    result = bd.score_declarations(db, _controls(), "2025-01-31", "2025-04-30")
    assert result["lines"] == 200 and result["missing_scores"] == []
    assert result["unavailable_scores"] == {"score_gbm": "all null"}
    assert result["same_as"] == {"risk_score": "score_sql"}
    assert result["examinations_by_selection_method"] == {"rule": 20, "random": 20}
    every = result["views"]["all"]
    assert set(every["scores"]) == {"score_rule", "score_sql", "risk_score", "operator_gri", "recommended_channel",
                                    "gri_frequency", "random"}
    assert (every["examined"], every["detected"], every["recovered_total"]) == (40, 10, 1000.0)
    top = every["scores"]["score_sql"]["budgets"][2]        # 5% = 10 lines: the ten irregular ones
    assert (top["precision"], top["recall"], top["recovered"], top["lift"]) == (1.0, 1.0, 1000.0, 4.0)
    assert every["scores"]["score_sql"]["auc"]["auc"] == 1.0
    # red lines are the top 5%: the channel ranks like the score at that budget
    assert every["scores"]["recommended_channel"]["budgets"][2]["precision"] == 1.0
    assert every["scores"]["random"]["budgets"][2]["precision"] == pytest.approx(0.25)
    # only the odd lines were selected at random: 20 examined, 5 irregular
    rand = result["views"]["random"]
    assert (rand["examined"], rand["detected"]) == (20, 5)
    assert rand["scores"]["score_sql"]["budgets"][2]["precision"] == 1.0
    assert rand["scores"]["random"]["budgets"][2]["precision"] == pytest.approx(0.25)


def test_score_declarations_with_the_old_mart(tmp_path):
    db = _warehouse(tmp_path / "w.duckdb", {"risk_score": lambda i: 0.9 if i < 10 else 0.1,
                                            "operator_gri": lambda i: 0.3})
    controls = _controls().assign(selection_method="unknown")
    result = bd.score_declarations(db, controls, "2025-01-31", "2025-04-30")
    assert result["missing_scores"] == ["score_rule", "score_sql", "score_gbm", "recommended_channel"]
    assert set(result["views"]) == {"all"}
    # the operator's GRI as of the build date: 0 for the operator the GRI does not list
    lines, scores, _ = bd.read_lines(db, "2025-01-31", "2025-04-30")
    expected = lines["tin"].map({f"T{k:09d}": k / 10 for k in range(6)}).fillna(0.0)
    assert scores["gri_frequency"] == pytest.approx(expected.to_numpy())


def test_operator_outcomes_and_scores(tmp_path):
    db = _warehouse(tmp_path / "w.duckdb", {"risk_score": lambda i: 0.1}, techniques=("frequency", "learned"),
                    line_risk=True)
    controls = _controls()
    outcomes = bo.operator_outcomes(pd.Series([f"T{k:09d}" for k in range(7)] + ["T000000099"]), controls)
    assert outcomes["controlled"].tolist() == [True] * 7 + [False]
    # irregular examinations are D0..D9: operators 0..6 and 0..2 again; plus the PCA of operator 3
    assert outcomes["detected"].tolist() == [True] * 7 + [False]
    assert outcomes.loc[3, "recovered"] == pytest.approx(100 + 5000)
    assert outcomes.loc[3, "recovered_random"] == pytest.approx(100)    # D3 is odd: random
    config = {"risk_cutoff_high": 0.35, "risk_cutoff_medium": 0.15}
    result = bo.score_operators(db, controls, config, tmp_path)
    assert result["scored"] == 6 and result["controls_on_operators_not_scored"] == 5   # T000000006: D6, D13, ..., D34
    assert result["operator_line_risk_outside_gri"] == 1
    assert set(result["views"]["all"]["scores"]) == {"frequency", "learned", "expected_irregular_lines",
                                                     "expected_irregular_share", "random"}
    assert set(result["hit_rate_by_level"]) == {"frequency", "learned"}
    assert result["hit_rate_by_level"]["frequency"]["high"]["operators"] == 2       # GRI 0.4, 0.5
    assert "truth" not in result and "missing_scores" not in result


def test_operator_level_without_the_line_model(tmp_path):
    db = _warehouse(tmp_path / "w.duckdb", {"risk_score": lambda i: 0.1})
    result = bo.score_operators(db, _controls(), {"risk_cutoff_high": 0.35, "risk_cutoff_medium": 0.15}, tmp_path)
    assert result["missing_scores"] == ["expected_irregular_lines (marts.operator_line_risk)",
                                        "expected_irregular_share (marts.operator_line_risk)"]
    assert set(result["views"]["all"]["scores"]) == {"frequency", "random"}


def test_old_module_name_runs_the_declaration_level(monkeypatch):
    import cip.backtest
    from cip import backtest_declarations

    calls = []
    monkeypatch.setattr(cip.backtest, "main", lambda argv: calls.append(argv) or 0)
    assert backtest_declarations.main(["--as-of", "2025-06-30"]) == 0
    assert calls == [["--level", "declarations", "--as-of", "2025-06-30"]]
    assert backtest_declarations.score_declarations is bd.score_declarations
