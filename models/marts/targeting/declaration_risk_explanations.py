"""M10 explanation of the boosted score: for the lines of the latest var
line_risk_explain_months months that declaration_risk recommends red or yellow, the
features that raised their boosted score most, from LightGBM's own per-line
contributions (SHAP values, pred_contrib) of the model of int_line_risk_models_trained.
Long format: one row per line and feature, the var line_risk_explain_top_features
largest positive contributions (log-odds). Empty without a boosted model."""


def model(dbt, session):
    dbt.config(materialized="table")
    from cip.line_models import explain_lines

    artifacts = dbt.ref("int_line_risk_models_trained")
    lines = dbt.ref("declaration_risk")
    features = dbt.ref("int_declaration_line_features")
    months = int(dbt.config.get("explain_months"))
    top = int(dbt.config.get("top_features"))

    booster_text = artifacts.filter("scorer = 'gbm' and part = 'booster'").select("text").fetchall()
    groups = dict(artifacts.filter("scorer = 'gbm' and part = 'feature'").select("name, feature_group").fetchall())
    last_month = lines.aggregate("max(declaration_month) as m").fetchall()[0][0]
    selected = lines.filter(
        f"recommended_channel in ('red', 'yellow') and declaration_month > "
        f"DATE '{last_month}' - INTERVAL {months} MONTH"
    ).select("declaration_id as line_declaration_id, item_no as line_item_no, score_gbm")
    feature_columns = [name for name in groups]
    frame = features.join(
        selected, "declaration_id = line_declaration_id and item_no = line_item_no"
    ).select(", ".join(["declaration_id", "item_no", "score_gbm"] + feature_columns)
             ).order("declaration_id, item_no").df() if booster_text else None
    return explain_lines(booster_text[0][0] if booster_text else None, frame, groups, top)
