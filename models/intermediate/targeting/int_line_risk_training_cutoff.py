"""M10 / M4 learned at the line (issue 13): the training cut-off the trainer uses on this
run, one row: the as-of date and cip.line_models.training_cutoff of it under var
line_risk_training_cutoff. Computed by the trainer's own function, so there is one
definition of the cut-off. int_line_entity_history and int_declaration_line_feature_counts read
it, before the trainer runs, to know whether a retrain is due (macro
line_risk_recompute_all): then they recompute every line, so the retrained model learns
from the features a full refresh gives (docs/incremental.md)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from cip.line_models import training_cutoff

    as_of = dbt.ref("int_evaluation_window").select("as_of_date").fetchall()[0][0]
    cutoff = training_cutoff(as_of, dbt.config.get("training_cutoff"))
    return session.sql(f"select date '{as_of}' as as_of_date, date '{cutoff}' as training_cutoff")
