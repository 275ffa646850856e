"""The semantic layer (models/semantic, docs/semantic_layer.md): every metric queried through
MetricFlow (`mf query`) equals the matching figure of the KPI marts, for every month, quarter
and year the mart holds, and the as-of metrics equal marts.gri_quantiles and segment_summary.

MetricFlow reads `<project>/target/semantic_manifest.json` and opens the warehouse through the
dbt profile, read-write. So the test works on a copy of the test warehouse, in a throw-away
project folder whose files link to the real ones and whose target/ is its own; there it builds
the three semantic views (`dbt build --select models/semantic`) and runs `mf query --csv`.
"""

from __future__ import annotations

import csv
import math
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
TEST_DB = Path(os.environ.get("CIP_TEST_DB", ROOT / "warehouse" / "test.duckdb"))
if not TEST_DB.is_absolute():
    TEST_DB = ROOT / TEST_DB
BIN = Path(os.environ.get("VIRTUAL_ENV") or ROOT / ".venv") / "bin"

# metric -> (mart, kpi_code, dimension_name, dimension_value)
PERIOD_METRICS = {
    "trade_value_usd": ("kpi_strategic", "trade_value_usd", "total", "all"),
    "cif_imports_consumption_usd": ("kpi_strategic", "cif_imports_consumption_usd", "total", "all"),
    "collection_usd": ("kpi_strategic", "collection_usd", "tax", "all"),
    "duty_collected_usd": ("kpi_strategic", "collection_usd", "tax", "duty"),
    "vat_collected_usd": ("kpi_strategic", "collection_usd", "tax", "vat"),
    "excise_collected_usd": ("kpi_strategic", "collection_usd", "tax", "excise"),
    "collection_to_cif_ratio": ("kpi_strategic", "collection_to_cif_ratio", "tax", "all"),
    "duty_to_cif_ratio": ("kpi_strategic", "collection_to_cif_ratio", "tax", "duty"),
    "vat_to_cif_ratio": ("kpi_strategic", "collection_to_cif_ratio", "tax", "vat"),
    "excise_to_cif_ratio": ("kpi_strategic", "collection_to_cif_ratio", "tax", "excise"),
    "release_hours_mean": ("kpi_strategic", "release_hours_mean", "transport_mode", "all"),
    "release_hours_median": ("kpi_strategic", "release_hours_median", "transport_mode", "all"),
    "declarations": ("kpi_tactical", "declarations_count", "channel", "all"),
    "aeo_declaration_share": ("kpi_tactical", "aeo_declaration_share", "flow", "all"),
    "aeo_value_share": ("kpi_tactical", "aeo_value_share", "flow", "all"),
    "examinations": ("kpi_tactical", "examinations_count", "channel", "all"),
    "selectivity_hit_rate": ("kpi_tactical", "selectivity_hit_rate", "channel", "all"),
    "pcas": ("kpi_tactical", "pcas_count", "audit_scope", "all"),
    "pca_hit_rate": ("kpi_tactical", "pca_hit_rate", "audit_scope", "all"),
}
OPERATIONAL_METRICS = ["cases_detected", "amount_reassessed_usd", "amount_collected_usd",
                       "amount_reassessed_lcu", "amount_collected_lcu"]
ADDITIVE = {"trade_value_usd", "cif_imports_consumption_usd", "collection_usd", "duty_collected_usd",
            "vat_collected_usd", "excise_collected_usd", "declarations", "examinations", "pcas",
            *OPERATIONAL_METRICS}
GRAINS = ("month", "quarter", "year")


@pytest.fixture(scope="module")
def semantic_project(tmp_path_factory):
    if not TEST_DB.exists():
        pytest.skip(f"no test warehouse at {TEST_DB}: run `make test-build` (or set CIP_TEST_DB)")
    if not (BIN / "mf").exists():
        pytest.skip("MetricFlow (dbt-metricflow) is not installed: pip install -e '.[dev]'")
    work = tmp_path_factory.mktemp("semantic")
    project = work / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests", "analyses"):
        if (ROOT / name).exists():
            (project / name).symlink_to(ROOT / name)
    database = work / "warehouse.duckdb"
    shutil.copy(TEST_DB, database)
    env = dict(os.environ)
    env.pop("DBT_TARGET_PATH", None)
    env.update({"DBT_PROFILES_DIR": str(project), "CIP_DB_PATH": str(database),
                "CIP_DATA_DIR": os.environ.get("CIP_TEST_DATA", str(ROOT / "data" / "test")),
                "DBT_LOG_PATH": str(work / "logs"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                "DBT_USE_COLORS": "false"})
    built = subprocess.run([str(BIN / "dbt"), "build", "--select", "models/semantic", "--quiet"],
                           cwd=project, env=env, capture_output=True, text=True)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    # marts are read (and `mf query` runs) on a second copy, as MetricFlow holds the first one open;
    # same file name, as the manifest names the catalog after it
    marts = work / "reference" / database.name
    marts.parent.mkdir()
    shutil.copy(database, marts)
    context = {"project": project, "env": env, "database": database, "marts": marts, "work": work}
    # MetricFlow in this process for the comparisons (one start-up instead of one per query);
    # test_mf_query_cli runs the `mf query` command itself
    from dbt_metricflow.cli.cli_configuration import CLIConfiguration

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        configuration = CLIConfiguration()
        configuration.setup(dbt_profiles_path=project, dbt_project_path=project, configure_file_logging=False)
        context["mf"] = configuration.mf
        yield context
    finally:
        os.environ.clear()
        os.environ.update(saved)


def mf_query(context: dict, metrics: list[str], group_by: list[str], name: str) -> list[dict]:
    """The rows of a MetricFlow query, each a dict of column -> text (as `mf query --csv` writes)."""
    from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

    result = context["mf"].query(MetricFlowQueryRequest.create(metric_names=metrics, group_by_names=group_by))
    frame = result.result_df
    return [{column: (None if value is None else str(value)) for column, value in zip(frame.column_names, row)}
            for row in frame.rows]


def mf_query_cli(context: dict, metrics: list[str], group_by: list[str], name: str) -> list[dict]:
    out = context["work"] / f"{name}.csv"
    completed = subprocess.run(
        [str(BIN / "mf"), "query", "--metrics", ",".join(metrics), "--group-by", ",".join(group_by),
         "--csv", str(out)], cwd=context["project"], env={**context["env"], "CIP_DB_PATH": str(context["marts"])},
        capture_output=True, text=True)
    assert completed.returncode == 0 and out.exists(), completed.stdout[-3000:] + completed.stderr[-3000:]
    with open(out, newline="") as handle:
        return list(csv.DictReader(handle))


def number(text: str | None) -> float | None:
    if text is None or text == "" or text.lower() in ("none", "nan", "null"):
        return None
    return float(text)


def close(metric_value: float | None, mart_value: float | None) -> bool:
    if mart_value is None or metric_value is None:
        return mart_value == metric_value
    return math.isclose(metric_value, mart_value, rel_tol=1e-8, abs_tol=1e-9)


def mart_rows(context: dict, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(context["marts"]), read_only=True) as connection:
        return connection.execute(sql, params or []).fetchall()


@pytest.mark.parametrize("grain", GRAINS)
def test_kpi_metrics_equal_the_kpi_marts(semantic_project, grain):
    time = f"metric_time__{grain}"
    rows = mf_query(semantic_project, list(PERIOD_METRICS), [time], f"kpi-{grain}")
    by_period = {row[time][:10]: row for row in rows}
    compared, wrong = 0, []
    for metric, (mart, kpi_code, dimension, value) in PERIOD_METRICS.items():
        marts = mart_rows(semantic_project,
                          f"select cast(period_start as varchar), kpi_value from marts.{mart} where period_grain = ? "
                          f"and kpi_code = ? and dimension_name = ? and dimension_value = ?",
                          [grain, kpi_code, dimension, value])
        assert marts, f"{mart} has no {grain} rows of {kpi_code}"
        for period, mart_value in marts:
            metric_value = number(by_period.get(period, {}).get(metric))
            if metric_value is None and metric in ADDITIVE:
                metric_value = 0.0  # no row in the period: nothing to add up
            compared += 1
            if not close(metric_value, mart_value):
                wrong.append(f"{metric} {grain} {period}: metric {metric_value} != {mart}.{kpi_code} {mart_value}")
    assert not wrong, "\n".join(wrong[:20])
    assert compared >= len(PERIOD_METRICS) * 2


@pytest.mark.parametrize("grain", GRAINS)
def test_operational_metrics_equal_kpi_operational(semantic_project, grain):
    time = f"metric_time__{grain}"
    rows = mf_query(semantic_project, OPERATIONAL_METRICS, [time, "control__offence_type"], f"ops-{grain}")
    found = {(row[time][:10], row["control__offence_type"]): row for row in rows}
    marts = mart_rows(semantic_project,
                      f"select cast(period_start as varchar), offence_type, {', '.join(OPERATIONAL_METRICS)} "
                      f"from marts.kpi_operational where period_grain = ? and control_type = 'all'", [grain])
    assert marts
    wrong = []
    for period, offence, *values in marts:
        row = found.get((period, offence), {})
        for metric, mart_value in zip(OPERATIONAL_METRICS, values):
            metric_value = number(row.get(metric)) or 0.0
            if not close(metric_value, mart_value or 0.0):
                wrong.append(f"{metric} {grain} {period} {offence}: {metric_value} != {mart_value}")
    assert not wrong, "\n".join(wrong[:20])


@pytest.mark.parametrize("grain", GRAINS)
def test_operators_by_risk_level_equals_kpi_tactical(semantic_project, grain):
    time = f"metric_time__{grain}"
    rows = mf_query(semantic_project, ["operators_by_risk_level"], [time, "operator_quarter__risk_level"],
                    f"levels-{grain}")
    found = {(row[time][:10], row["operator_quarter__risk_level"]): number(row["operators_by_risk_level"])
             for row in rows}
    marts = mart_rows(semantic_project,
                      "select cast(period_start as varchar), dimension_value, kpi_value from marts.kpi_tactical "
                      "where period_grain = ? and kpi_code = 'operators_by_risk_level'", [grain])
    assert marts or grain == "year"
    wrong = [f"{period} {level}: {found.get((period, level))} != {value}" for period, level, value in marts
             if not close(found.get((period, level)), value)]
    assert not wrong, "\n".join(wrong[:20])


def test_as_of_metrics_equal_gri_quantiles_and_segment_summary(semantic_project):
    rows = mf_query(semantic_project, ["operators_active", "high_risk_operators", "mean_gri", "repeat_offenders",
                                       "operators_never_controlled"], [], "as-of")
    assert len(rows) == 1
    metric = {name: number(value) for name, value in rows[0].items()}
    operators, mean_gri, high = mart_rows(
        semantic_project, "select operators, mean_gri, operators_high from marts.gri_quantiles "
                          "where gri_type = 'global'")[0]
    repeat, never = mart_rows(semantic_project, "select repeat_offenders, operators_without_control "
                                                "from marts.segment_summary where row_type = 'total'")[0]
    assert metric["operators_active"] == operators
    assert metric["high_risk_operators"] == high
    assert close(metric["mean_gri"], mean_gri)
    assert metric["repeat_offenders"] == repeat
    assert metric["operators_never_controlled"] == never


def test_mf_query_cli(semantic_project):
    """The command a BI analyst runs (README): `mf query` in the project folder."""
    rows = mf_query_cli(semantic_project, ["collection_usd", "pca_hit_rate"], ["metric_time__year"], "cli")
    marts = mart_rows(semantic_project, "select cast(period_start as varchar), kpi_value from marts.kpi_strategic "
                                        "where period_grain = 'year' and kpi_code = 'collection_usd' "
                                        "and dimension_value = 'all'")
    by_year = {row["metric_time__year"][:10]: number(row["collection_usd"]) for row in rows}
    assert marts and all(close(by_year.get(period), value) for period, value in marts)
