"""cip backtest: metric definitions on hand-made examples, the filtered raw copy, the
whole command on a fake build, and the leak test on a real build (marked warehouse)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from cip import backtest
from cip.backtest import metrics, warehouse

# ten units: score, controlled (outcome known), irregularity detected, amount reassessed
SCORES = [0.9, 0.8, 0.8, 0.5, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0]
CONTROLLED = [1, 1, 1, 0, 1, 1, 0, 1, 0, 0]
DETECTED = [1, 0, 1, 0, 0, 1, 0, 0, 0, 0]
AMOUNT = [100.0, 50.0, 40.0, 0.0, 0.0, 10.0, 0.0, 0.0, 0.0, 0.0]   # 50 is on a clean control: not recovered


# --------------------------------------------------------------------------- metrics

def test_top_budget_takes_at_least_one_unit():
    m = metrics.budget_metrics(SCORES, CONTROLLED, DETECTED, 0.01, AMOUNT)
    assert m["selected"] == 1
    assert m["precision"] == 1.0
    assert m["recall"] == pytest.approx(1 / 3)
    assert m["base_rate"] == 0.5 and m["lift"] == 2.0
    assert m["recovered"] == 100.0 and m["recovered_total"] == 150.0
    assert m["recovered_share"] == pytest.approx(2 / 3)


def test_ties_at_the_cut_off_share_the_remaining_slots():
    # two slots: 0.9 in full, the two units tied at 0.8 half each
    assert list(metrics.selection_weights(SCORES, 0.20)) == [1.0, 0.5, 0.5, 0, 0, 0, 0, 0, 0, 0]
    m = metrics.budget_metrics(SCORES, CONTROLLED, DETECTED, 0.20, AMOUNT)
    assert m["selected_controlled"] == 2.0 and m["selected_detected"] == 1.5
    assert m["precision"] == 0.75 and m["recall"] == 0.5 and m["lift"] == 1.5
    assert m["recovered"] == pytest.approx(100 + 0.5 * 40)
    assert m["recovered_share"] == pytest.approx(0.8)


def test_selection_does_not_depend_on_row_order():
    order = np.random.default_rng(0).permutation(10)
    a = metrics.budget_metrics(SCORES, CONTROLLED, DETECTED, 0.2, AMOUNT)
    b = metrics.budget_metrics(np.array(SCORES)[order], np.array(CONTROLLED)[order], np.array(DETECTED)[order],
                               0.2, np.array(AMOUNT)[order])
    assert a == b


def test_uncontrolled_selected_units_do_not_count_in_precision():
    # five slots: 0.9, 0.8, 0.8, 0.5 (not controlled), 0.1 (controlled, clean)
    m = metrics.budget_metrics(SCORES, CONTROLLED, DETECTED, 0.50)
    assert m["selected_controlled"] == 4.0
    assert m["precision"] == 0.5 and m["recall"] == pytest.approx(2 / 3) and m["lift"] == 1.0
    assert "recovered" not in m


def test_random_is_the_base_rate_exactly():
    m = metrics.budget_metrics(np.zeros(10), CONTROLLED, DETECTED, 0.20, AMOUNT)
    assert m["selected_controlled"] == pytest.approx(1.2)
    assert m["precision"] == pytest.approx(0.5) and m["lift"] == pytest.approx(1.0)
    assert m["recall"] == pytest.approx(0.2) and m["recovered_share"] == pytest.approx(0.2)


def test_null_scores_rank_last():
    weights = metrics.selection_weights([np.nan, 0.1, np.nan, 0.0], 0.5)
    assert list(weights) == [0.0, 1.0, 0.0, 1.0]


def test_no_controlled_unit_selected_gives_no_precision():
    m = metrics.budget_metrics([0, 1, 0], [1, 0, 1], [1, 0, 0], 0.30)
    assert m["precision"] is None and m["lift"] is None and m["recall"] == 0.0


def test_detection_without_control_is_ignored():
    m = metrics.budget_metrics([1, 0], [0, 1], [1, 1], 0.5, [5.0, 7.0])
    assert m["recall"] == 0.0 and m["base_rate"] == 1.0 and m["recovered_total"] == 7.0


def test_auc_counts_ties_half():
    # controlled: positives 0.9, 0.8, 0.0; negatives 0.8, 0.1, 0.0 -> (3 + 2.5 + 0.5) / 9
    out = metrics.auc(SCORES, CONTROLLED, DETECTED)
    assert out == {"auc": pytest.approx(2 / 3), "positives": 3, "negatives": 3}
    assert metrics.auc(np.zeros(10), CONTROLLED, DETECTED)["auc"] == 0.5
    assert metrics.auc(SCORES, CONTROLLED, np.zeros(10))["auc"] is None


def test_calibration_bins_keep_ties_together():
    # controlled scores 0, 0, .1, .8, .8, .9; lowest ranks 1, 1, 3, 4, 4, 6 -> bins of three: 1, 1, 2, 2, 2, 3
    out = metrics.calibration(SCORES, CONTROLLED, DETECTED, bins=3)
    assert [(b["bin"], b["units"], b["detected"]) for b in out["bins"]] == [(1, 2, 1), (2, 3, 1), (3, 1, 1)]
    assert [b["mean_score"] for b in out["bins"]] == pytest.approx([0.0, 1.7 / 3, 0.9])
    assert [b["hit_rate"] for b in out["bins"]] == pytest.approx([0.5, 1 / 3, 1.0])
    # unit-weighted mean |mean score - hit rate| = (2 x 0.5 + 3 x 0.7/3 + 1 x 0.1) / 6
    assert out["error"] == pytest.approx(0.3)
    tied = metrics.calibration(np.zeros(10), CONTROLLED, DETECTED)
    assert [(b["bin"], b["units"], b["hit_rate"]) for b in tied["bins"]] == [(1, 6, 0.5)]


def test_calibration_of_a_perfect_probability_is_zero():
    score = np.repeat([0.1, 0.5], 10)
    detected = np.r_[np.zeros(9), 1, np.zeros(5), np.ones(5)]
    out = metrics.calibration(score, np.ones(20), detected)
    assert len(out["bins"]) == 2 and out["error"] == pytest.approx(0.0)
    # a score outside 0-1 (a count, a channel rank) gets bins but no calibration error
    assert metrics.calibration(score * 10, np.ones(20), detected)["error"] is None


def test_hit_rates_by_level():
    levels = metrics.risk_level(SCORES, high=0.75, medium=0.3)
    assert list(levels[:5]) == ["high", "high", "high", "medium", "low"]
    rates = metrics.hit_rates(levels, CONTROLLED, DETECTED)
    assert rates["high"] == {"operators": 3, "controlled": 3, "detected": 2, "hit_rate": pytest.approx(2 / 3)}
    assert rates["medium"] == {"operators": 1, "controlled": 0, "detected": 0, "hit_rate": None}
    assert rates["low"] == {"operators": 6, "controlled": 3, "detected": 1, "hit_rate": pytest.approx(1 / 3)}


def test_truth_metrics():
    out = metrics.truth_metrics([1, 1, 0, 0, 1], [1, 0, 0, 1, 1])
    assert out == {"flagged": 3, "noncompliant": 3, "true_positive": 2,
                   "precision": pytest.approx(2 / 3), "recall": pytest.approx(2 / 3)}


def test_horizon_end_adds_calendar_months():
    assert warehouse.horizon_end(pd.Timestamp("2025-06-30"), 6) == pd.Timestamp("2025-12-30")
    assert warehouse.horizon_end(pd.Timestamp("2024-08-31"), 6) == pd.Timestamp("2025-02-28")


# --------------------------------------------------------------------------- the filtered copy

CONTROL_COLUMNS = ["control_id", "control_type", "declaration_id", "item_no", "tin", "control_date", "outcome",
                   "offence_type", "amount_reassessed", "selection_method"]


def _raw_folder(root: Path) -> Path:
    """A tiny raw folder: controls as CSV (one unreadable date), declarations as a folder."""
    data = root / "raw"
    (data / "declarations").mkdir(parents=True)
    (data / "_truth").mkdir()
    pd.DataFrame([
        ("C1", "examination", "D1", 1, "T00000001", "2025-06-30", "irregularity", "valuation", 100.0, "rule"),
        ("C2", "examination", "D2", 1, "T00000001", "2025-07-01", "irregularity", "valuation", 40.0, "random"),
        ("C3", "examination", "D3", None, "T00000002", "2025-09-15", "compliant", None, None, "random"),
        ("C4", "pca", None, None, "T00000002", "2025-10-01", "irregularity", "origin", 7.0, None),
        ("C5", "examination", "D1", 1, "T00000001", "30/06/2025", "compliant", None, None, None),
        ("C6", "examination", "D4", 1, "T00000003", "2026-03-01", "irregularity", "valuation", 9.0, "rule"),
    ], columns=CONTROL_COLUMNS).to_csv(data / "control_results.csv", index=False)
    pd.DataFrame({"declaration_id": ["D0", "D1", "D2", "D3", "D4"], "item_no": [1] * 5,
                  "declaration_date": pd.to_datetime(["2025-01-10", "2025-06-20", "2025-07-01", "2025-09-01",
                                                      "2026-02-20"]).date}
                 ).to_parquet(data / "declarations" / "part-1.parquet")
    pd.DataFrame({"tin": ["T00000001"]}).to_parquet(data / "taxpayers.parquet")
    pd.DataFrame({"tin": ["T00000001"], "is_noncompliant": [True]}).to_parquet(data / "_truth" / "operators.parquet")
    return data


def test_filtered_copy_hides_later_controls_and_lines(tmp_path):
    data = _raw_folder(tmp_path)
    copy = tmp_path / "copy"
    out = warehouse.filtered_copy(data, copy, pd.Timestamp("2025-06-30"), pd.Timestamp("2025-12-30"))
    assert out["control_results"] == {"rows": 6, "kept": 2, "left_out": 4, "cutoff": "2025-06-30",
                                      "column": "control_date"}
    assert out["declarations"]["kept"] == 4 and out["declarations"]["left_out"] == 1
    con = duckdb.connect()
    controls = con.execute(f"select control_id, control_date from '{copy}/control_results.parquet' order by 1").fetchall()
    # the unreadable date stays as it is, for staging to quarantine
    assert controls == [("C1", "2025-06-30"), ("C5", "30/06/2025")]
    dates = con.execute(f"select max(declaration_date) from '{copy}/declarations/part-1.parquet'").fetchone()[0]
    assert str(dates) == "2025-09-01"
    assert (copy / "taxpayers.parquet").is_symlink() and (copy / "_truth").is_symlink()
    assert not (copy / "control_results.csv").exists()


def test_a_csv_record_that_does_not_fit_its_header_is_kept_marked_and_not_clean(tmp_path):
    """A control with a field too many: the filtered copy keeps it with _cip_record_error (the
    build quarantines it), and the later controls read from the raw files leave it out."""
    data = _raw_folder(tmp_path)
    with open(data / "control_results.csv", "a", encoding="utf-8") as handle:
        handle.write("C7,examination,D2,1,T00000001,2025-08-01,irregularity,valuation,5.0,rule,EXTRA\n")
    copy = tmp_path / "copy"
    out = warehouse.filtered_copy(data, copy, pd.Timestamp("2025-06-30"), pd.Timestamp("2025-12-30"))
    assert out["control_results"]["rows"] == 7 and out["control_results"]["kept"] == 3
    marked = duckdb.connect().execute(f"select control_id, _cip_record_error from '{copy}/control_results.parquet' "
                                      "where _cip_record_error is not null").fetchall()
    assert marked == [("C7", "CSV record has more fields than the header")]
    config = {"tin_pattern": "^[A-Za-z0-9]{9,12}$"}
    controls = warehouse.later_controls(data, config, pd.Timestamp("2025-06-30"), pd.Timestamp("2025-12-30"))
    assert controls["control_id"].tolist() == ["C2", "C3", "C4"]


def test_later_controls_read_the_original_clean_rows(tmp_path):
    data = _raw_folder(tmp_path)
    config = {"tin_pattern": "^[A-Za-z0-9]{9,12}$"}
    controls = warehouse.later_controls(data, config, pd.Timestamp("2025-06-30"), pd.Timestamp("2025-12-30"))
    assert controls["control_id"].tolist() == ["C2", "C3", "C4"]
    assert controls["selection_method"].tolist() == ["random", "random", "unknown"]
    assert controls["is_irregular"].tolist() == [True, False, True]
    assert controls["amount_reassessed"].tolist() == [40.0, 0.0, 7.0]


# --------------------------------------------------------------------------- the command on a fake build

def _fake_build(copy, db, as_of, work, select=None, quiet=False, tests=True):
    """What dbt would leave, read from the filtered copy, enough for both levels."""
    con = duckdb.connect(str(db))
    con.execute("create schema intermediate; create schema marts; create schema staging")
    con.execute(f"create table marts.evaluation_window as select date '{pd.Timestamp(as_of).date()}' "
                "as as_of_date")
    con.execute(f"create table staging.stg_customs__control_results as select control_id, "
                f"try_cast(control_date as date) as control_date from '{copy}/control_results.parquet' "
                "where try_cast(control_date as date) is not null")
    con.execute("create table marts.operator_gri_by_technique as "
                "select * from (values ('T00000001', 'frequency', 'global', 0.8), ('T00000002', 'frequency', "
                "'global', 0.1), ('T00000003', 'frequency', 'global', 0.0)) as t(tin, technique, gri_type, gri)")
    con.execute("create table marts.declaration_risk as select declaration_id, item_no, "
                "case declaration_id when 'D2' then 'T00000001' else 'T00000002' end as tin, declaration_date, "
                "case declaration_id when 'D2' then 0.9 else 0.2 end as risk_score, 0.5 as operator_gri, "
                "case declaration_id when 'D2' then 'red' else 'green' end as recommended_channel "
                f"from '{copy}/declarations/*.parquet'")
    con.close()
    return 0


def _args(*extra) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    backtest.add_arguments(parser)
    return parser.parse_args(list(extra))


def test_run_on_a_fake_build_writes_every_figure(tmp_path, monkeypatch, capsys):
    data = _raw_folder(tmp_path)
    monkeypatch.setattr(backtest, "build", _fake_build)
    out = tmp_path / "out.json"
    code = backtest.run(_args("--level", "both", "--as-of", "2025-06-30", "--horizon", "6", "--data", str(data),
                              "--json", str(out), "--keep"))
    printed = capsys.readouterr().out
    assert code == 0
    result = json.loads(out.read_text())
    assert result["build"]["leak_audit"]["leaks"] == 0
    dec = result["declarations"]
    assert dec["lines"] == 2 and set(dec["views"]) == {"all", "random"}
    assert dec["missing_scores"] == ["score_rule", "score_sql", "score_gbm"]
    assert set(dec["views"]["all"]["scores"]) == {"risk_score", "operator_gri", "recommended_channel",
                                                  "gri_frequency", "random"}
    # D2 (random, irregular, 40) and D3 (random, compliant): risk_score puts D2 first
    top = dec["views"]["random"]["scores"]["risk_score"]["budgets"][0]
    assert top["precision"] == 1.0 and top["recovered"] == 40.0
    ops = result["operators"]
    assert ops["scored"] == 3 and ops["views"]["all"]["controlled"] == 2
    assert "expected_irregular_lines (marts.operator_line_risk)" in ops["missing_scores"]
    assert "truth" in ops
    kept = Path(result["build"]["warehouse"]).parent
    assert kept.exists() and f"kept {kept}" in printed


def test_run_removes_its_temporary_folder(tmp_path, monkeypatch):
    data = _raw_folder(tmp_path)
    seen = []
    monkeypatch.setattr(backtest, "build", lambda copy, db, *a, **k: seen.append(Path(db)) or _fake_build(copy, db, *a))
    assert backtest.run(_args("--as-of", "2025-06-30", "--horizon", "6", "--data", str(data))) == 0
    assert seen and not seen[0].parent.exists()


def test_skip_build_refuses_a_warehouse_of_another_date(tmp_path, monkeypatch):
    data = _raw_folder(tmp_path)
    db = tmp_path / "w.duckdb"
    monkeypatch.setattr(backtest, "build", _fake_build)
    assert backtest.run(_args("--as-of", "2025-06-30", "--horizon", "6", "--data", str(data), "--db", str(db))) == 0
    assert (tmp_path / "w.duckdb.work" / "data" / "control_results.parquet").exists()
    with pytest.raises(SystemExit, match="built as of 2025-06-30"):
        backtest.run(_args("--as-of", "2025-03-31", "--data", str(data), "--db", str(db), "--skip-build"))


def test_a_leak_stops_the_backtest(tmp_path, monkeypatch):
    data = _raw_folder(tmp_path)

    def leaky(copy, db, as_of, work, select=None, quiet=False, tests=True):
        _fake_build(copy, db, as_of, work)
        con = duckdb.connect(str(db))
        con.execute("insert into staging.stg_customs__control_results values ('X', date '2025-08-01')")
        con.close()
        return 0

    monkeypatch.setattr(backtest, "build", leaky)
    assert backtest.run(_args("--as-of", "2025-06-30", "--horizon", "6", "--data", str(data))) == 3


# --------------------------------------------------------------------------- the leak test on a real build

@pytest.mark.warehouse
def test_backtest_warehouse_sees_nothing_after_the_as_of_date(tmp_path):
    from cip.generate import generate

    data = tmp_path / "data"
    generate(data, declarations=8000, seed=13, progress=False)
    as_of, end = pd.Timestamp("2025-06-30"), pd.Timestamp("2025-12-30")
    raw = duckdb.connect()
    raw_last_control = raw.execute(f"select max(control_date) from '{data}/control_results.parquet'").fetchone()[0]
    raw_last_line = raw.execute(f"select max(declaration_date) from '{data}/declarations.parquet'").fetchone()[0]
    assert pd.Timestamp(raw_last_control) > as_of and pd.Timestamp(raw_last_line) > end   # the test bites
    db, out = tmp_path / "backtest.duckdb", tmp_path / "backtest.json"
    assert backtest.main(["--level", "both", "--as-of", "2025-06-30", "--horizon", "6", "--data", str(data),
                          "--db", str(db), "--json", str(out), "--keep"]) == 0

    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select as_of_date from marts.evaluation_window").fetchone()[0] == as_of.date()
    staged = con.execute("select count(*), max(control_date) from staging.stg_customs__control_results").fetchone()
    assert staged[0] > 0 and staged[1] <= as_of.date()
    tables = con.execute("select table_schema, table_name, column_name from information_schema.columns "
                         "where column_name in ('control_date', 'declaration_date')").fetchall()
    checked = {(s, t) for s, t, c in tables if c == "control_date"}
    assert ("staging", "stg_customs__control_results") in checked
    assert any(s == "intermediate" for s, _ in checked)
    for schema, table, column in tables:
        bound = as_of if column == "control_date" else end
        late = con.execute(f'select count(*) from "{schema}"."{table}" where "{column}" > ?', [bound.date()]).fetchone()[0]
        assert late == 0, f"{schema}.{table} holds {late} rows with {column} after {bound.date()}"
    lines = con.execute("select count(*), max(declaration_date) from marts.declaration_risk "
                        "where declaration_date > ?", [as_of.date()]).fetchone()
    assert lines[0] > 0 and lines[1] <= end.date()
    con.close()

    result = json.loads(out.read_text())
    assert result["build"]["leak_audit"]["leaks"] == 0
    assert result["build"]["filtered_copy"]["control_results"]["left_out"] > 0
    dec, ops = result["declarations"], result["operators"]
    assert dec["views"]["all"]["examined"] > 0 and ops["views"]["all"]["controlled"] > 0
    for level in (dec, ops):
        for scores in (view["scores"] for view in level["views"].values()):
            assert [m["budget"] for m in scores["random"]["budgets"]] == [0.01, 0.02, 0.05, 0.10]
            assert scores["random"]["budgets"][2]["lift"] == pytest.approx(1.0)
