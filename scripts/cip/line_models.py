"""The learned declaration-line scorers (M10, M4 learned at the line; docs/targeting.md).

Trained by the dbt Python model int_line_risk_models_trained on the examined lines of
int_declaration_line_features (every ``f_*`` column is a feature), applied in SQL by
marts.declaration_risk, so the scores themselves run on any engine:

* ``sql``: a logistic regression on the standardised features z = (x - centre) / scale
  and their squares, so each feature's effect is a curve, not only a slope. Its
  weights table (intercept; per feature a coefficient, a curvature, the centre and the
  scale) is all the SQL needs: log-odds = intercept + sum(coefficient x z +
  curvature x (z^2 - 1)); each term is 0 on average over the training lines, so a
  feature's term is what it adds against an average line.
* ``gbm``: a LightGBM model whose trees are compiled to nested SQL CASE expressions;
  the score is the logistic of the sum of the trees' leaf values.

Both are validated on time: the last ``validation_months`` of training lines are held
out, the model is fitted on the earlier ones and scored there (the metrics of the model
card), then refitted on every line with the same settings (the boosted model keeps the
number of trees the validation chose).
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

FEATURE_PREFIX = "f_"

# the explanation groups of the declaration score: where the risk of a line lives
GROUP_OF_ENTITY = {
    "hs_code": "goods", "hs6": "goods", "hs4": "goods", "hs_chapter": "goods",
    "origin": "route", "departure": "route", "origin_departure": "route", "transport_mode": "route",
    "hs6_origin": "goods_route", "hs6_departure": "goods_route", "hs_code_origin": "goods_route",
    "importer": "parties", "declarant": "parties", "supplier": "parties",
    "office": "procedure", "regime": "procedure", "tax_type": "procedure", "duty_rate_band": "value",
}
GROUPS = ("goods", "route", "goods_route", "value", "parties", "procedure")


def feature_group(feature: str) -> str:
    """The explanation group of a feature column (f_<entity>_lift, f_uv_..., ...)."""
    name = feature[len(FEATURE_PREFIX):]
    if name.endswith(("_mean_uv_log_ratio", "_below_norm_share", "_priced_support")):
        return "parties"  # how a party priced its earlier lines
    for suffix in ("_lift", "_support"):
        if name.endswith(suffix) and name[: -len(suffix)] in GROUP_OF_ENTITY:
            return GROUP_OF_ENTITY[name[: -len(suffix)]]
    if name.startswith(("uv_", "log_", "duty_rate", "is_below_unit_value_norm")):
        return "value"
    if name in ("is_first_time_operator", "is_aeo", "is_risky_broker"):
        return "parties"
    return "procedure"


@dataclass(frozen=True)
class Settings:
    validation_months: int = 3
    min_training_lines: int = 200
    max_training_lines: int = 400_000
    max_trees: int = 100
    leaves: int = 15
    learning_rate: float = 0.1
    min_child_lines: int = 40
    l2_inverse: float = 1.0
    seed: int = 7
    threads: int = 1


def precision_at(y: np.ndarray, score: np.ndarray, share: float) -> float | None:
    """Share of irregular lines among the top `share` of lines by score (ties broken by order)."""
    if len(y) == 0:
        return None
    k = max(1, int(round(share * len(y))))
    top = np.argsort(-score, kind="stable")[:k]
    return float(np.mean(y[top]))


def _auc(y: np.ndarray, score: np.ndarray) -> float | None:
    if len(np.unique(y)) < 2:
        return None
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, score))


def _metrics(y: np.ndarray, score: np.ndarray) -> dict:
    return {"auc": _auc(y, score), "precision_at_5pct": precision_at(y, score, 0.05),
            "precision_at_10pct": precision_at(y, score, 0.10), "base_rate": float(np.mean(y)) if len(y) else None}


def split_on_time(dates: pd.Series, as_of: pd.Timestamp, validation_months: int) -> np.ndarray:
    """True for the validation lines: declared in the last `validation_months` before as_of.
    Falls back to the latest 20% of lines when that leaves too few on either side."""
    dates = pd.to_datetime(dates)
    # the day after as_of, N months back: as of 2025-06-30 and N = 3, April to June
    valid = (dates >= as_of + pd.Timedelta(days=1) - pd.DateOffset(months=validation_months)).to_numpy()
    if valid.sum() < 50 or (~valid).sum() < 50:
        cut = dates.quantile(0.8)
        valid = (dates > cut).to_numpy()
    return valid


def fit_logistic(x: np.ndarray, y: np.ndarray, settings: Settings):
    """Intercept, coefficients, curvatures, centres and scales of the logistic score."""
    from sklearn.linear_model import LogisticRegression

    centre = x.mean(axis=0)
    scale = x.std(axis=0)
    scale = np.where(scale > 1e-12, scale, 1.0)
    z = (x - centre) / scale
    # Newton steps: a handful of iterations to convergence with ~100 columns (lbfgs needed
    # ~500 and stopped short on the squared terms)
    model = LogisticRegression(C=settings.l2_inverse, max_iter=100, tol=1e-6, solver="newton-cholesky")
    model.fit(np.hstack([z, z * z - 1.0]), y)
    n = x.shape[1]
    return float(model.intercept_[0]), model.coef_[0][:n].astype(float), model.coef_[0][n:].astype(float), centre, scale


def logistic_score(x: np.ndarray, intercept: float, coef: np.ndarray, curvature: np.ndarray,
                   centre: np.ndarray, scale: np.ndarray) -> np.ndarray:
    z = (x - centre) / scale
    return 1.0 / (1.0 + np.exp(-(intercept + z @ coef + (z * z - 1.0) @ curvature)))


def _gbm_params(settings: Settings) -> dict:
    return {"objective": "binary", "learning_rate": settings.learning_rate, "num_leaves": settings.leaves,
            "min_data_in_leaf": settings.min_child_lines, "feature_fraction": 0.8, "bagging_fraction": 0.8,
            "bagging_freq": 1, "lambda_l2": 1.0, "seed": settings.seed, "deterministic": True,
            "force_row_wise": True, "num_threads": settings.threads, "verbosity": -1}


def fit_gbm(x, y, names, settings: Settings, x_valid=None, y_valid=None, trees: int | None = None):
    import lightgbm as lgb

    train = lgb.Dataset(x, label=y, feature_name=list(names), free_raw_data=True)
    if x_valid is not None:
        valid = lgb.Dataset(x_valid, label=y_valid, reference=train)
        booster = lgb.train(_gbm_params(settings), train, num_boost_round=settings.max_trees, valid_sets=[valid],
                            callbacks=[lgb.early_stopping(30, verbose=False)])
    else:
        booster = lgb.train(_gbm_params(settings), train, num_boost_round=trees or settings.max_trees)
    return booster


def _literal(value: float) -> str:
    """A float as a SQL double literal: exponent form, which engines read as a double
    (a plain 0.123... is read as a DECIMAL, and comparing a double column with it is
    three times slower on DuckDB)."""
    text = repr(float(value))
    return text if "e" in text else text + "e0"


def compile_tree(node: dict, names: list[str]) -> str:
    """One LightGBM tree as a nested SQL CASE over the feature columns (no nulls in them)."""
    if "leaf_value" in node:
        return _literal(node["leaf_value"])
    if node.get("decision_type", "<=") != "<=":
        raise ValueError(f"unsupported split {node.get('decision_type')!r}: categorical splits are not compiled")
    column = names[node["split_feature"]]
    return (f"case when {column} <= {_literal(node['threshold'])} then {compile_tree(node['left_child'], names)} "
            f"else {compile_tree(node['right_child'], names)} end")


def compile_booster(booster) -> list[str]:
    names = booster.feature_name()
    return [compile_tree(tree["tree_structure"], names) for tree in booster.dump_model()["tree_info"]]


def training_cutoff(as_of, rule: str | None = "quarter_end"):
    """The last day whose examinations the models learn from: the last quarter end on or
    before the as-of date (rule quarter_end, the default), or the as-of date (rule as_of).
    A daily load inside a quarter leaves a quarter-end cut-off, and so the model, unchanged."""
    as_of = pd.Timestamp(as_of)
    rule = "quarter_end" if rule in (None, "", "None") else str(rule)
    if rule == "as_of":
        return as_of.date()
    if rule != "quarter_end":
        raise ValueError(f"var line_risk_training_cutoff must be quarter_end or as_of, got {rule!r}")
    next_day = as_of + pd.Timedelta(days=1)
    return (next_day.to_period("Q").start_time - pd.Timedelta(days=1)).date()


def training_fingerprint(content, cutoff, settings: Settings) -> str:
    """SHA-256 of everything training reads: the training lines (their count and the sum of
    the database's row hashes of dates, ids, labels and features), the cut-off, the settings,
    this module's code and the library versions. Training is deterministic, so an equal
    fingerprint means an equal model."""
    import lightgbm
    import sklearn

    with open(__file__, "rb") as source:
        code = hashlib.sha256(source.read()).hexdigest()
    payload = json.dumps({"lines": [str(value) for value in content], "cutoff": str(cutoff),
                          "settings": asdict(settings), "code": code,
                          "libraries": [lightgbm.__version__, sklearn.__version__, np.__version__]},
                         sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def train(frame: pd.DataFrame, as_of, settings: Settings, fingerprint: str | None = None) -> pd.DataFrame:
    """Artifacts of both scorers from the examined lines in `frame`.

    `frame`: declaration_date, is_irregular and the f_* features of every examined line
    whose examination closed by `as_of`. Returns rows (scorer, part, name, position,
    coefficient, centre, scale, feature_group, text); empty when there is too little
    to learn from (the scores are then null and declaration_risk falls back to the rule)."""
    as_of = pd.Timestamp(as_of)
    if len(frame) > settings.max_training_lines:
        # the most recent lines: fraud moves, and training time stays bounded at any scale
        frame = frame.sort_values("declaration_date", kind="stable").tail(settings.max_training_lines)
    names = sorted(c for c in frame.columns if c.startswith(FEATURE_PREFIX))
    y = frame["is_irregular"].astype(int).to_numpy()
    rows: list[dict] = []
    if len(frame) < settings.min_training_lines or y.min() == y.max():
        return artifacts_frame(rows)
    x = frame[names].to_numpy(dtype=float)
    valid = split_on_time(frame["declaration_date"], as_of, settings.validation_months)
    dates = pd.to_datetime(frame["declaration_date"])
    window = {"training_from": str(dates.min().date()), "training_to": str(dates.max().date()),
              "validation_from": str(dates[valid].min().date()), "as_of_date": str(as_of.date()),
              "training_lines": int(len(frame)), "training_irregular": int(y.sum()),
              "validation_lines": int(valid.sum()), "validation_irregular": int(y[valid].sum())}
    if fingerprint is not None:
        window["training_fingerprint"] = fingerprint

    # the two logistic fits run on a second thread while the boosted fits run on this one: each
    # fit is single-threaded and unchanged (same inputs, same order of operations), so the
    # artifacts are those of running them one after the other; LightGBM, BLAS and the solver
    # release the GIL (issue 13: training at 10M 23 s, the logistic fits ~40% of it)
    with ThreadPoolExecutor(max_workers=1) as pool:
        logistic = pool.submit(_fit_logistic_both, x, y, valid, settings)
        boosted = _fit_gbm_both(x, y, valid, names, settings)
        logistic_valid, (b0, coef, curvature, centre, scale) = logistic.result()

    # the explainable logistic score
    rows.append({"scorer": "sql", "part": "intercept", "name": "intercept", "position": 0, "coefficient": b0})
    for i, name in enumerate(names):
        rows.append({"scorer": "sql", "part": "feature", "name": name, "position": i + 1,
                     "coefficient": float(coef[i]), "curvature": float(curvature[i]),
                     "centre": float(centre[i]), "scale": float(scale[i]),
                     "feature_group": feature_group(name)})
    weights_text = json.dumps([b0] + [list(w) for w in zip(names, coef, curvature, centre, scale)])
    _card(rows, "sql", "logistic regression on the standardised features and their squares (L2, C=%g)"
          % settings.l2_inverse,
          window, logistic_valid, {"l2_inverse": settings.l2_inverse}, names, weights_text)

    # the boosted trees, compiled to SQL
    if boosted is not None:
        booster, trees, gbm_valid = boosted
        importance = booster.feature_importance(importance_type="gain")
        for i, name in enumerate(names):
            rows.append({"scorer": "gbm", "part": "feature", "name": name, "position": i + 1,
                         "coefficient": float(importance[i]), "feature_group": feature_group(name)})
        for i, tree_sql in enumerate(compile_booster(booster)):
            rows.append({"scorer": "gbm", "part": "tree", "name": f"tree_{i}", "position": i, "text": tree_sql})
        model_text = booster.model_to_string()
        rows.append({"scorer": "gbm", "part": "booster", "name": "lightgbm_model", "position": 0, "text": model_text})
        params = {k: v for k, v in _gbm_params(settings).items() if k not in ("verbosity", "num_threads")}
        params["trees"] = trees
        _card(rows, "gbm", "LightGBM gradient-boosted trees, compiled to SQL CASE expressions", window,
              gbm_valid, params, names, model_text)
    return artifacts_frame(rows)


def _fit_logistic_both(x: np.ndarray, y: np.ndarray, valid: np.ndarray, settings: Settings):
    """The logistic score's validation metrics (fitted before the validation months) and its
    weights fitted on every line."""
    metrics = _metrics(y[valid], logistic_score(x[valid], *fit_logistic(x[~valid], y[~valid], settings)))
    return metrics, fit_logistic(x, y, settings)


def _fit_gbm_both(x: np.ndarray, y: np.ndarray, valid: np.ndarray, names: list[str], settings: Settings):
    """The boosted model refitted on every line with the number of trees early stopping chose
    on the validation months, that number and the validation metrics; None when either side
    has one class only."""
    if y[~valid].min() == y[~valid].max() or y[valid].min() == y[valid].max():
        return None
    booster = fit_gbm(x[~valid], y[~valid], names, settings, x[valid], y[valid])
    trees = max(1, booster.best_iteration or booster.current_iteration())
    gbm_valid = _metrics(y[valid], booster.predict(x[valid], num_iteration=trees))
    gbm_valid["trees"] = trees
    return fit_gbm(x, y, names, settings, trees=trees), trees, gbm_valid


def _card(rows, scorer, method, window, validation, params, names, model_text) -> None:
    card = {"method": method, **window, "validation": validation, "parameters": params,
            "features": names, "model_sha256": hashlib.sha256(model_text.encode()).hexdigest()}
    for i, (key, value) in enumerate(card.items()):
        rows.append({"scorer": scorer, "part": "card", "name": key, "position": i,
                     "text": value if isinstance(value, str) else json.dumps(value, sort_keys=True)})


ARTIFACT_COLUMNS = {"scorer": "object", "part": "object", "name": "object", "position": "int64",
                    "coefficient": "float64", "curvature": "float64", "centre": "float64", "scale": "float64",
                    "feature_group": "object", "text": "object"}


def _typed(frame: pd.DataFrame, columns: dict) -> pd.DataFrame:
    # an empty object column reaches DuckDB as type NULL and breaks the mart contracts
    # (too few lines to learn from): text columns of an empty frame are typed as strings
    if frame.empty:
        columns = {name: ("string" if kind == "object" else kind) for name, kind in columns.items()}
    return frame.astype(columns)


def artifacts_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(ARTIFACT_COLUMNS))
    return _typed(frame, ARTIFACT_COLUMNS)


def settings_from(config: dict) -> Settings:
    """Settings from the model config (values rendered from vars, possibly as strings)."""
    defaults = asdict(Settings())
    values = {}
    for key, default in defaults.items():
        value = config.get(key)
        values[key] = default if value in (None, "", "None") else type(default)(float(value)) \
            if isinstance(default, int) else type(default)(value)
    return Settings(**values)


EXPLANATION_COLUMNS = {"scorer": "object", "declaration_id": "object", "item_no": "int64",
                       "contribution_rank": "int64", "feature": "object", "feature_group": "object",
                       "feature_value": "float64", "contribution": "float64", "score": "float64"}


def _top_contributions(scorer: str, frame: pd.DataFrame, names: list[str], contributions: np.ndarray,
                       score: np.ndarray, groups: dict, top: int) -> pd.DataFrame:
    """Rows of the `top` largest positive contributions of each line."""
    x = frame[names].to_numpy(dtype=float)
    order = np.argsort(-contributions, axis=1, kind="stable")[:, :top]
    rows = np.repeat(np.arange(len(frame)), order.shape[1])
    columns = order.ravel()
    values = contributions[rows, columns]
    keep = values > 0
    rows, columns, values = rows[keep], columns[keep], values[keep]
    return pd.DataFrame({
        "scorer": scorer,
        "declaration_id": frame["declaration_id"].to_numpy()[rows],
        "item_no": frame["item_no"].to_numpy()[rows],
        "contribution_rank": np.tile(np.arange(1, order.shape[1] + 1), len(frame))[keep],
        "feature": np.array(names, dtype=object)[columns],
        "feature_group": np.array([groups.get(n, feature_group(n)) for n in names], dtype=object)[columns],
        "feature_value": x[rows, columns],
        "contribution": values,
        "score": score[rows],
    })


def explain_lines(artifacts: pd.DataFrame, frame: pd.DataFrame | None, top: int, threads: int = 1) -> pd.DataFrame:
    """The `top` largest positive per-feature contributions (log-odds) of every line of
    `frame` (declaration_id, item_no, score_gbm, score_sql and the features), for each
    scorer: LightGBM's own pred_contrib (SHAP values) for the boosted model, and for the
    logistic score its terms coefficient x z + curvature x (z^2 - 1). `threads`: LightGBM's
    threads for pred_contrib, which splits the lines between them (each line's values are
    computed by one thread alone: the same values whatever the number)."""
    parts = [_typed(pd.DataFrame(columns=list(EXPLANATION_COLUMNS)), EXPLANATION_COLUMNS)]
    if frame is None or frame.empty or artifacts.empty:
        return parts[0]
    booster = artifacts.loc[(artifacts.scorer == "gbm") & (artifacts.part == "booster"), "text"]
    groups = dict(artifacts.loc[artifacts.part == "feature", ["name", "feature_group"]].to_numpy())
    if len(booster):
        import lightgbm as lgb

        model = lgb.Booster(model_str=booster.iloc[0])
        names = model.feature_name()
        contributions = model.predict(frame[names].to_numpy(dtype=float), pred_contrib=True,
                                      num_threads=threads)[:, : len(names)]
        parts.append(_top_contributions("gbm", frame, names, contributions,
                                        frame["score_gbm"].to_numpy(dtype=float), groups, top))
    weights = artifacts[(artifacts.scorer == "sql") & (artifacts.part == "feature")].sort_values("position")
    if len(weights):
        names = list(weights["name"])
        z = (frame[names].to_numpy(dtype=float) - weights["centre"].to_numpy()) / weights["scale"].to_numpy()
        contributions = z * weights["coefficient"].to_numpy() + (z * z - 1.0) * weights["curvature"].to_numpy()
        parts.append(_top_contributions("sql", frame, names, contributions,
                                        frame["score_sql"].to_numpy(dtype=float), groups, top))
    return _typed(pd.concat(parts, ignore_index=True), EXPLANATION_COLUMNS)
