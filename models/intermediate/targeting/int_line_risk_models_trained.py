"""M10 / M4 learned at the line: trains the two declaration scorers (cip.line_models)
on the lines examined by the training cut-off, with their point-in-time features, and
returns their artifacts: the logistic weights, the boosted trees compiled to SQL, the
LightGBM model text and a model card. int_declaration_line_scores applies them in SQL.

Retrain schedule (issue 13, docs/incremental.md): the cut-off is the last quarter end on
or before the as-of date (var line_risk_training_cutoff = quarter_end; as_of = the as-of
date itself), so a daily load inside a quarter leaves the training lines alone. The
artifacts carry a fingerprint of everything training reads (the training lines with their
features and labels, the settings, the trainer's code and library versions); training is
deterministic, so with var line_risk_retrain = on_change an incremental run whose
fingerprint equals the stored one keeps the stored model (exact: the result equals a full
refresh). With on_cutoff (the default) the stored model is kept while the cut-off is
unchanged, even if late corrections changed its training lines: frozen between retrains.
A kept model appends nothing; --full-refresh always retrains."""


# the chosen training lines' keys, registered on the session while the model runs
TRAINING_KEYS = "line_risk_training_keys"
# their rows with the features, a temporary table while the model runs
TRAINING_ROWS = "line_risk_training_rows"


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append")
    from threadpoolctl import threadpool_limits

    from cip.line_models import artifacts_frame, settings_from, train, training_fingerprint
    from cip.memory import TRAINING_BYTES_PER_CELL, memory_lent

    features = dbt.ref("int_declaration_line_features")
    examinations = dbt.ref("int_examinations_dated")
    # the one cut-off row the entity history and the features also read to know a retrain is due
    cutoff = dbt.ref("int_line_risk_training_cutoff").select("training_cutoff").fetchall()[0][0]
    retrain = str(dbt.config.get("retrain"))
    if retrain not in ("on_change", "on_cutoff"):
        raise ValueError(f"var line_risk_retrain must be on_change or on_cutoff, got {retrain!r} "
                         "(docs/incremental.md)")

    # one row per examined line known by the cut-off: its outcome is the label
    labels = examinations.filter(f"control_date <= DATE '{cutoff}'").select(
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
    stored = []
    if dbt.is_incremental:
        stored = session.sql(
            f"select name, text from {dbt.this} where part = 'card' and name in ('as_of_date', 'training_fingerprint')"
        ).fetchall()
    if retrain == "on_cutoff" and stored and {text for name, text in stored if name == "as_of_date"} == {str(cutoff)}:
        # frozen between retrains: the stored model stays, nothing appended
        return session.sql(f"select * from {dbt.this} where false")

    # the most recent examined lines only, chosen in the database: at 10M lines that keeps
    # 1.8M examined lines out of pandas; then in date order, as the trainer expects.
    # Chosen on their keys, then their features fetched: a top-N over the wide joined rows
    # read every examined line's 60 features, and did so twice (issue 13)
    columns = ["declaration_date", "declaration_id", "item_no", "is_irregular"] + feature_columns
    latest_keys = features.select(
        "declaration_id as key_declaration_id, item_no as key_item_no, declaration_date as key_date"
    ).join(
        labels, "key_declaration_id = label_declaration_id and key_item_no = label_item_no"
    ).order("key_date desc, key_declaration_id desc, key_item_no desc").limit(
        settings.max_training_lines
    ).select("key_declaration_id, key_item_no, is_irregular")
    # a line is unique in both tables (tested): the same rows as a top-N of the joined rows
    session.register(TRAINING_KEYS, latest_keys.to_arrow_table())
    try:
        # the training rows are joined and their features derived once, into a temporary table that
        # both the fingerprint and the training frame read (issue 13: each used to compute the join
        # of the features view again, ~1.5 s apiece at 10M)
        rows = features.join(
            session.table(TRAINING_KEYS), "declaration_id = key_declaration_id and item_no = key_item_no"
        ).select(", ".join(columns))
        session.execute(f"create or replace temporary table {TRAINING_ROWS} as {rows.sql_query()}")
        latest = session.table(TRAINING_ROWS)
        # the fingerprint is summed in the database: deciding to keep the model costs no pandas frame
        content = latest.aggregate(f"count(*) as n, sum(hash({', '.join(columns)})) as h").fetchall()[0]
        fingerprint = training_fingerprint(content, cutoff, settings)
        if stored and {text for name, text in stored if name == "training_fingerprint"} == {fingerprint}:
            # the same training input: training would give the same model
            return session.sql(f"select * from {dbt.this} where false")
        if dbt.is_incremental:
            # a new model replaces the stored one (append strategy: the old rows go first)
            session.execute(f"delete from {dbt.this}")

        # the training frame and the fit's copies live in this process beside DuckDB's buffer pool:
        # DuckDB's memory_limit is lowered by what they take while Python holds them, so the build's
        # peak stays within the limit (issue 13: at 10M the training added 1 GB on top of a full pool)
        with memory_lent(session, content[0] * len(columns) * TRAINING_BYTES_PER_CELL,
                         configured=dbt.config.get("duckdb_memory_limit")):
            training = latest.order("declaration_date, declaration_id, item_no").df()
            session.execute(f"drop table {TRAINING_ROWS}")
            # BLAS on var line_risk_threads threads too: OpenBLAS's default (a thread per core), beside
            # the DuckDB query dbt runs next to this model, made the logistic fit's Hessian products
            # 10-20x slower (training at 200k lines 21.9 s -> 6.4 s, same weights within 1e-13)
            with threadpool_limits(limits=settings.threads):
                artifacts = train(training, cutoff, settings, fingerprint=fingerprint)
            del training
    finally:
        session.unregister(TRAINING_KEYS)
        session.execute(f"drop table if exists {TRAINING_ROWS}")
    return artifacts if len(artifacts) else artifacts_frame([])
