"""M10 / M4 learned at the line: trains the two declaration scorers (cip.line_models)
on the lines examined by the as-of date, with their point-in-time features, and
returns their artifacts: the logistic weights, the boosted trees compiled to SQL, the
LightGBM model text and a model card. marts.declaration_risk applies them in SQL."""


def model(dbt, session):
    dbt.config(materialized="table")
    from threadpoolctl import threadpool_limits

    from cip.line_models import settings_from, train

    features = dbt.ref("int_declaration_line_features")
    examinations = dbt.ref("int_examinations_dated")
    as_of = dbt.ref("int_evaluation_window").select("as_of_date").fetchall()[0][0]

    # one row per examined line known by the as-of date: its outcome is the label
    labels = examinations.filter(f"control_date <= DATE '{as_of}'").select(
        "declaration_id as label_declaration_id, item_no as label_item_no, is_irregular")
    feature_columns = [c for c in features.columns if c.startswith("f_")]
    # one literal dbt.config.get() per key: dbt fills a Python model's config only for the
    # calls it sees when parsing (a loop over the keys left every var at its default)
    settings = settings_from({
        "validation_months": dbt.config.get("validation_months"),
        "min_training_lines": dbt.config.get("min_training_lines"),
        "max_training_lines": dbt.config.get("max_training_lines"),
        "max_trees": dbt.config.get("max_trees"),
        "leaves": dbt.config.get("leaves"),
        "learning_rate": dbt.config.get("learning_rate"),
        "min_child_lines": dbt.config.get("min_child_lines"),
        "l2_inverse": dbt.config.get("l2_inverse"),
        "seed": dbt.config.get("seed"),
        "threads": dbt.config.get("threads"),
    })
    # the most recent examined lines only, chosen in the database: at 10M lines that keeps
    # 1.8M examined lines out of pandas; then in date order, as the trainer expects
    latest = features.join(
        labels, "declaration_id = label_declaration_id and item_no = label_item_no"
    ).select(", ".join(["declaration_date", "declaration_id", "item_no", "is_irregular"] + feature_columns)
             ).order("declaration_date desc, declaration_id desc, item_no desc").limit(settings.max_training_lines)
    training = latest.order("declaration_date, declaration_id, item_no").df()
    # BLAS on var line_risk_threads threads too: OpenBLAS's default (a thread per core), beside
    # the DuckDB query dbt runs next to this model, made the logistic fit's Hessian products
    # 10-20x slower (training at 200k lines 21.9 s -> 6.4 s, same weights within 1e-13)
    with threadpool_limits(limits=settings.threads):
        artifacts = train(training, as_of, settings)
    return artifacts
