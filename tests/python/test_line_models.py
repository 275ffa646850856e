"""The learned declaration scorers (cip.line_models, issue 11): training, the trees
compiled to SQL, the logistic weights applied in SQL and the per-line explanations.
No warehouse: the SQL runs on an in-memory DuckDB over a random feature table."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from cip import line_models as lm


def _frame(n: int = 3000, seed: int = 3) -> pd.DataFrame:
    """Examined lines whose irregularity depends on two features, one of them nonlinearly."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "declaration_date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 540, n), unit="D"),
        "f_hs6_lift": rng.normal(0, 1, n),
        "f_uv_log_ratio_line": rng.normal(0, 0.5, n),
        "f_importer_lift": rng.normal(0, 1, n),
        "f_duty_rate": rng.choice([0.0, 0.05, 0.2], n),
    })
    logit = -2 + 1.5 * frame.f_hs6_lift + 2.5 * (frame.f_uv_log_ratio_line < -0.4) + 3 * frame.f_duty_rate
    frame["is_irregular"] = rng.random(n) < 1 / (1 + np.exp(-logit))
    return frame.sort_values("declaration_date", kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def trained():
    frame = _frame()
    return frame, lm.train(frame, "2025-06-30", lm.Settings(max_trees=40, min_child_lines=20))


def test_feature_groups_say_where_the_risk_lives():
    assert lm.feature_group("f_hs6_lift") == "goods"
    assert lm.feature_group("f_hs6_origin_support") == "goods_route"
    assert lm.feature_group("f_departure_lift") == "route"
    assert lm.feature_group("f_importer_lift") == "parties"
    assert lm.feature_group("f_uv_z_line_origin") == "value"
    assert lm.feature_group("f_office_lift") == "procedure"


def test_precision_at_budget():
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 1])
    score = np.arange(10, 0, -1, dtype=float)  # first line ranked first
    assert lm.precision_at(y, score, 0.2) == 0.5
    assert lm.precision_at(y, score, 0.1) == 1.0
    assert lm.precision_at(np.array([]), np.array([]), 0.05) is None


def test_split_on_time_holds_out_the_last_months():
    dates = pd.Series(pd.date_range("2024-01-01", "2025-06-30", freq="D"))
    valid = lm.split_on_time(dates, pd.Timestamp("2025-06-30"), 3)
    assert dates[valid].min() == pd.Timestamp("2025-04-01")
    assert not valid[: len(dates) - 91].any()


def test_too_little_to_learn_from_gives_no_artifacts():
    frame = _frame(100)
    assert lm.train(frame, "2025-06-30", lm.Settings()).empty
    frame = _frame()
    frame["is_irregular"] = False
    assert lm.train(frame, "2025-06-30", lm.Settings()).empty


def test_model_card_records_window_metrics_parameters_and_hash(trained):
    _, artifacts = trained
    card = artifacts[artifacts.part == "card"]
    for scorer in ("sql", "gbm"):
        fields = dict(card.loc[card.scorer == scorer, ["name", "text"]].to_numpy())
        assert {"method", "training_from", "training_to", "validation_from", "as_of_date", "training_lines",
                "validation", "parameters", "features", "model_sha256"} <= set(fields)
        assert len(fields["model_sha256"]) == 64
        assert fields["as_of_date"] == "2025-06-30"
    validation = pd.read_json(pd.io.common.StringIO(
        card.loc[(card.scorer == "gbm") & (card.name == "validation"), "text"].iloc[0]), typ="series")
    assert validation["auc"] > 0.75  # the planted signal is learned, on months it was not fitted on


def test_training_is_deterministic():
    frame = _frame()
    settings = lm.Settings(max_trees=30, min_child_lines=20)
    first, second = lm.train(frame, "2025-06-30", settings), lm.train(frame, "2025-06-30", settings)
    pd.testing.assert_frame_equal(first, second)


def test_compiled_trees_and_weights_score_in_sql_as_the_libraries_do(trained):
    """The boosted trees compiled to SQL CASE expressions give LightGBM's own prediction, and
    the logistic weights applied as declaration_risk applies them give sklearn's."""
    import lightgbm as lgb

    frame, artifacts = trained
    test = _frame(500, seed=11)
    con = duckdb.connect()
    con.register("lines", test)
    trees = artifacts.loc[(artifacts.scorer == "gbm") & (artifacts.part == "tree")].sort_values("position")
    sql_gbm = con.execute(f"select 1 / (1 + exp(-({' + '.join(trees.text)}))) from lines").fetchnumpy()
    booster = lgb.Booster(model_str=artifacts.loc[artifacts.part == "booster", "text"].iloc[0])
    names = booster.feature_name()
    native = booster.predict(test[names].to_numpy(float))
    np.testing.assert_allclose(list(sql_gbm.values())[0], native, rtol=1e-9, atol=1e-12)

    weights = artifacts[(artifacts.scorer == "sql") & (artifacts.part == "feature")]
    intercept = artifacts.loc[(artifacts.scorer == "sql") & (artifacts.part == "intercept"), "coefficient"].iloc[0]
    z = "(({name} - ({centre})) / ({scale}))"
    terms = " + ".join(f"({w.coefficient}) * {z.format(name=w.name, centre=w.centre, scale=w.scale)}"
                       f" + ({w.curvature}) * ({z.format(name=w.name, centre=w.centre, scale=w.scale)} ** 2 - 1)"
                       for w in weights.itertuples())
    sql_logistic = list(con.execute(f"select 1 / (1 + exp(-(({intercept}) + {terms}))) from lines").fetchnumpy().values())[0]
    x = frame[list(weights.name)].to_numpy(float)
    y = frame.is_irregular.astype(int).to_numpy()
    fitted = lm.fit_logistic(x, y, lm.Settings(max_trees=40, min_child_lines=20))
    np.testing.assert_allclose(sql_logistic, lm.logistic_score(test[list(weights.name)].to_numpy(float), *fitted),
                               rtol=1e-9)


def test_learned_scores_rank_unseen_lines_well(trained):
    _, artifacts = trained
    test = _frame(4000, seed=21)
    import lightgbm as lgb

    booster = lgb.Booster(model_str=artifacts.loc[artifacts.part == "booster", "text"].iloc[0])
    score = booster.predict(test[booster.feature_name()].to_numpy(float))
    y = test.is_irregular.to_numpy()
    assert lm.precision_at(y, score, 0.05) > 2.5 * y.mean()


def test_explanations_are_the_largest_positive_contributions(trained):
    frame, artifacts = trained
    lines = frame.head(50).assign(declaration_id=[f"D{i}" for i in range(50)], item_no=1,
                                  score_gbm=0.5, score_sql=0.4)
    explained = lm.explain_lines(artifacts, lines, 2)
    assert set(explained.scorer) == {"gbm", "sql"}
    assert (explained.contribution > 0).all()
    assert explained.groupby(["scorer", "declaration_id", "item_no"]).contribution_rank.max().max() <= 2
    for scorer in ("gbm", "sql"):
        own = explained[explained.scorer == scorer]
        first = own[own.contribution_rank == 1].set_index("declaration_id").contribution
        second = own[own.contribution_rank == 2].set_index("declaration_id").contribution
        assert (first.loc[second.index] >= second).all()
    # the logistic terms of a line add up to its log-odds (with the intercept)
    weights = artifacts[(artifacts.scorer == "sql") & (artifacts.part == "feature")].sort_values("position")
    intercept = artifacts.loc[(artifacts.scorer == "sql") & (artifacts.part == "intercept"), "coefficient"].iloc[0]
    z = (lines[list(weights.name)].to_numpy(float) - weights.centre.to_numpy()) / weights.scale.to_numpy()
    terms = z * weights.coefficient.to_numpy() + (z * z - 1) * weights.curvature.to_numpy()
    fitted = lm.fit_logistic(frame[list(weights.name)].to_numpy(float), frame.is_irregular.astype(int).to_numpy(),
                             lm.Settings(max_trees=40, min_child_lines=20))
    np.testing.assert_allclose(1 / (1 + np.exp(-(intercept + terms.sum(axis=1)))),
                               lm.logistic_score(lines[list(weights.name)].to_numpy(float), *fitted), rtol=1e-9)
    assert lm.explain_lines(artifacts.iloc[0:0], lines, 2).empty


def test_explanations_are_the_same_on_several_threads(trained):
    """SHAP values on two LightGBM threads (var line_risk_explain_threads): each line is computed
    by one thread, so the explanations equal those of one thread, bit for bit."""
    frame, artifacts = trained
    lines = frame.assign(declaration_id=[f"D{i}" for i in range(len(frame))], item_no=1,
                         score_gbm=0.5, score_sql=0.4)
    pd.testing.assert_frame_equal(lm.explain_lines(artifacts, lines, 3, threads=2),
                                  lm.explain_lines(artifacts, lines, 3, threads=1))


def test_training_side_by_side_gives_the_sequential_fits():
    """train() runs the logistic fits on a second thread beside the boosted ones: its artifacts
    hold the same weights and trees as each fit run alone on this thread."""
    frame = _frame()
    settings = lm.Settings(max_trees=30, min_child_lines=20)
    artifacts = lm.train(frame, "2025-06-30", settings)
    names = sorted(c for c in frame.columns if c.startswith("f_"))
    x, y = frame[names].to_numpy(float), frame.is_irregular.astype(int).to_numpy()
    valid = lm.split_on_time(frame.declaration_date, pd.Timestamp("2025-06-30"), settings.validation_months)
    _, (intercept, coef, curvature, centre, scale) = lm._fit_logistic_both(x, y, valid, settings)
    weights = artifacts[(artifacts.scorer == "sql") & (artifacts.part == "feature")].sort_values("position")
    assert artifacts.loc[artifacts.part == "intercept", "coefficient"].iloc[0] == intercept
    np.testing.assert_array_equal(weights.coefficient.to_numpy(), coef)
    np.testing.assert_array_equal(weights.curvature.to_numpy(), curvature)
    booster, _, _ = lm._fit_gbm_both(x, y, valid, names, settings)
    trees = artifacts.loc[(artifacts.scorer == "gbm") & (artifacts.part == "tree")].sort_values("position")
    assert list(trees.text) == lm.compile_booster(booster)
