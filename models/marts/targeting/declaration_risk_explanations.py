"""M10 explanation of the learned scores: for the lines of the latest var
line_risk_explain_months months that declaration_risk recommends red or yellow, the
features that raised each learned score most - LightGBM's own per-line contributions
(SHAP values, pred_contrib) for the boosted score, the logistic terms for the SQL score.
Long format: one row per scorer, line and feature, the var
line_risk_explain_top_features largest positive contributions (log-odds). Empty
without a learned model. SHAP on var line_risk_explain_threads threads (issue 13)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from cip.line_models import explain_lines

    artifacts = dbt.ref("int_line_risk_models_trained").filter("part in ('feature', 'booster')").df()
    lines = dbt.ref("declaration_risk")
    features = dbt.ref("int_declaration_line_features")
    months = int(dbt.config.get("explain_months"))
    top = int(dbt.config.get("top_features"))
    # the explanations are the last node of the targeting chain: nothing else runs beside them
    threads = int(dbt.config.get("threads"))

    last_month = lines.aggregate("max(declaration_month) as m").fetchall()[0][0]
    selected = lines.filter(
        f"recommended_channel in ('red', 'yellow') and declaration_month > "
        f"DATE '{last_month}' - INTERVAL {months} MONTH"
    ).select("declaration_id as line_declaration_id, item_no as line_item_no, score_gbm, score_sql")
    feature_columns = sorted(set(artifacts.loc[artifacts.part == "feature", "name"]))
    frame = None
    if feature_columns and last_month is not None:
        frame = features.join(
            selected, "declaration_id = line_declaration_id and item_no = line_item_no"
        ).select(", ".join(["declaration_id", "item_no", "score_gbm", "score_sql"] + feature_columns)
                 ).order("declaration_id, item_no").df()
    return explain_lines(artifacts, frame, top, threads=threads)
