"""One warehouse, three engines (issue 12, docs/engines.md): the same generated set
(cip generate --declarations 5000 --seed 5 --corrupt-rate 0.01,
so the quarantine rules are exercised too) built with every dbt test on DuckDB, on Postgres
and on Spark gives the same marts - every mart, same row count, keys and non-float columns
exactly, floats within 1e-9 relative.

Postgres is started by scripts/postgres.sh (a data folder under .pg/, `make postgres`);
its tests are skipped, saying why, when it cannot start. Spark runs in session mode inside
dbt (pyspark, Java 17), with its warehouse and metastore in a temporary folder
(CIP_SPARK_DIR); its tests are skipped when there is no `java` (they fail instead under
`make test`, which installs it) or when a developer sets CIP_TEST_SPARK=0. Every build uses
a separate database / warehouse, never the user's.

The learned declaration scorers are trained by a dbt Python model that only DuckDB runs
(docs/engines.md): both builds here set var line_risk_min_training_lines out of reach,
so DuckDB takes the same no-learned-score path as Postgres and Spark (risk_score = the rule score)
and every mart, declaration_risk included, is comparable. The learned path itself is
tested on DuckDB by test_targeting.py.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_DATABASE = "cip_engines_test"
PORT = os.environ.get("CIP_PG_PORT", "55432")
VARS = "{line_risk_min_training_lines: 1000000000}"
RTOL = 1e-9
DECLARATIONS = "5000"

pytestmark = pytest.mark.warehouse


def _env(**extra) -> dict:
    env = {**os.environ, "DBT_PROFILES_DIR": str(ROOT), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           "DBT_USE_COLORS": "false", "CIP_PG_PORT": PORT, "CIP_PG_DATABASE": PG_DATABASE}
    env.update(extra)
    return env


def _run(cmd: list[str], env: dict, what: str, timeout: float | None = 1800) -> None:
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise AssertionError(f"{what} failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}")


@pytest.fixture(scope="module")
def duckdb_built(tmp_path_factory):
    """The generated set and its DuckDB build (the reference)."""
    work = tmp_path_factory.mktemp("engines")
    data = work / "data"
    _run([str(BIN / "cip"), "generate", "--declarations", DECLARATIONS, "--seed", "5", "--corrupt-rate", "0.01",
          "--out", str(data), "--quiet"],
         _env(), "cip generate")
    duck_db = work / "engines.duckdb"
    _run([str(BIN / "dbt"), "build", "--target-path", str(work / "target-duckdb"), "--vars", VARS,
          "--log-path", str(work / "logs")],
         _env(CIP_DATA_DIR=str(data), CIP_DB_PATH=str(duck_db), CIP_TARGET="duckdb"), "dbt build on DuckDB")
    duck = duckdb.connect(str(duck_db), read_only=True)
    yield {"data": data, "work": work, "duck": duck}
    duck.close()


@pytest.fixture(scope="module")
def engines(duckdb_built):
    """DuckDB and Postgres, both built (every dbt test passing) from the same files."""
    started = subprocess.run(["bash", "scripts/postgres.sh", "start"], cwd=ROOT, env=_env(),
                             capture_output=True, text=True)
    if started.returncode != 0:
        pytest.skip("Postgres cannot start here (scripts/postgres.sh start: "
                    + (started.stderr.strip().splitlines() or ["no output"])[-1] + ")")
    import psycopg2

    data, work = duckdb_built["data"], duckdb_built["work"]
    _run([str(BIN / "cip"), "load", "--target", "postgres", "--data", str(data), "--quiet"],
         _env(), "cip load --target postgres")
    # --full-refresh: a database left by an earlier run (a local .pg/) gets seeds and incremental
    # models rebuilt with today's columns instead of appended to
    _run([str(BIN / "dbt"), "build", "--full-refresh", "--target-path", str(work / "target-postgres"), "--vars", VARS,
          "--log-path", str(work / "logs")],
         _env(CIP_DATA_DIR=str(data), CIP_TARGET="postgres"), "dbt build on Postgres")
    pg = psycopg2.connect(host="localhost", port=int(PORT), user=os.environ.get("CIP_PG_USER", "cip"),
                          dbname=PG_DATABASE)
    yield duckdb_built["duck"], pg
    pg.close()


def _spark_env(spark_dir: Path, **extra) -> dict:
    return _env(CIP_TARGET="spark", CIP_SPARK_DIR=str(spark_dir), **extra)


def _skip_without_spark() -> None:
    if os.environ.get("CIP_TEST_SPARK") == "0":  # a developer's opt-out: the Spark part takes 8-12 minutes here
        pytest.skip("CIP_TEST_SPARK=0: the Spark build is skipped (docs/engines.md)")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        if os.environ.get("CIP_REQUIRE_SPARK") == "1":  # make test: Java is installed by `make java`
            pytest.fail("Spark needs Java 17 and there is no `java` (make java)")
        pytest.skip("Spark needs Java 17 (no `java` here)")


@pytest.fixture(scope="module")
def spark_built(duckdb_built):
    """The same files loaded into a local Spark (its own warehouse and metastore) and
    built with every dbt test; then read back by a Spark session of the same settings."""
    _skip_without_spark()
    data, work = duckdb_built["data"], duckdb_built["work"]
    env = _spark_env(work / "spark")
    _run([str(BIN / "cip"), "load", "--target", "spark", "--data", str(data), "--quiet"], env,
         "cip load --target spark")
    # models first, then every test in a second dbt process (a second Spark session): one
    # session of ~600 statements filled the 3 GB driver heap near the end (docs/engines.md)
    options = ["--target-path", str(work / "target-spark"), "--log-path", str(work / "logs"),
               "--vars", VARS]
    _run([str(BIN / "dbt"), "build", "--exclude-resource-type", "test", "unit_test", *options],
         {**env, "CIP_DATA_DIR": str(data)}, "dbt build (models) on Spark")
    _run([str(BIN / "dbt"), "test", *options], {**env, "CIP_DATA_DIR": str(data)}, "dbt test on Spark")
    from cip.load import spark_session

    previous = {k: os.environ.get(k) for k in ("CIP_SPARK_DIR",)}
    os.environ["CIP_SPARK_DIR"] = str(work / "spark")
    cwd = os.getcwd()
    spark = spark_session()
    yield duckdb_built["duck"], spark
    spark.stop()
    os.chdir(cwd)
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _marts(duck) -> list[str]:
    return [r[0] for r in duck.execute(
        "select table_name from information_schema.tables where table_schema = 'marts' "
        "and table_type in ('BASE TABLE', 'VIEW') order by 1").fetchall()]


def _frame(rows, names) -> pd.DataFrame:
    return pd.DataFrame([list(r) for r in rows], columns=names, dtype=object)


def _is_float_column(values) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, float) for v in present)


def _sorted(frame: pd.DataFrame, float_columns: set[str]) -> pd.DataFrame:
    def key(value, is_float):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "~null"
        return f"{value:.6g}" if is_float else repr(value)
    keys = pd.DataFrame({c: [key(v, c in float_columns) for v in frame[c]] for c in frame.columns})
    order = keys.sort_values(list(frame.columns), kind="stable").index
    return frame.loc[order].reset_index(drop=True)


def _same(a, b, is_float: bool) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if is_float:
        a, b = float(a), float(b)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=RTOL, abs_tol=1e-12)
    return a == b


def _compare_marts(duck, read_other, engine: str) -> None:
    """Every DuckDB mart against the other engine's (read_other(mart, names) -> rows)."""
    marts = _marts(duck)
    assert len(marts) > 40, marts
    problems = []
    for mart in marts:
        duck_result = duck.execute(f"select * from marts.{mart}")
        names = [d[0] for d in duck_result.description]
        left = _frame(duck_result.fetchall(), names)
        right = _frame(read_other(mart, names), names)
        if len(left) != len(right):
            problems.append(f"{mart}: {len(left)} rows on DuckDB, {len(right)} on {engine}")
            continue
        floats = {c for c in names if _is_float_column(left[c]) or _is_float_column(right[c])}
        # numeric (Decimal) on one side only: compare as numbers
        for c in names:
            if any(type(v).__name__ == "Decimal" for v in list(left[c]) + list(right[c])):
                floats.add(c)
        left, right = _sorted(left, floats), _sorted(right, floats)
        for c in names:
            bad = [i for i in range(len(left)) if not _same(left[c][i], right[c][i], c in floats)]
            if bad:
                i = bad[0]
                problems.append(f"{mart}.{c}: {len(bad)} of {len(left)} rows differ, e.g. "
                                f"DuckDB {left[c][i]!r} vs {engine} {right[c][i]!r}")
    assert not problems, f"marts differ between DuckDB and {engine}:\n" + "\n".join(problems)


def test_every_mart_is_equal_on_duckdb_and_postgres(engines):
    duck, pg = engines

    def read(mart, names):
        with pg.cursor() as cur:
            cur.execute(f"select {', '.join(chr(34) + n + chr(34) for n in names)} from marts.{mart}")
            return cur.fetchall()

    _compare_marts(duck, read, "Postgres")


def test_every_mart_is_equal_on_duckdb_and_spark(spark_built):
    duck, spark = spark_built
    spark_marts = sorted(r[1] for r in spark.sql("show tables in marts").collect())
    assert spark_marts == _marts(duck), "the marts built on Spark are not DuckDB's"

    def read(mart, names):
        return [tuple(row) for row in spark.table(f"marts.{mart}").select(*[f"`{n}`" for n in names]).collect()]

    _compare_marts(duck, read, "Spark")


QUARANTINE_QUERIES = ["select source_name, table_name, source_file, row_key, reject_reasons"
                  " from staging.stg_quarantine__rejected_rows order by 1, 2, 3, 4, 5",
                  "select source_name, table_name, is_required, is_available, raw_rows, staged_rows, rejected_rows,"
                  " superseded_rows from staging.stg_source_inventory order by 1, 2"]


def test_postgres_reader_quarantines_the_same_rows(engines):
    """Same rejected rows with the same reasons, and the same inventory, as DuckDB (staging)."""
    duck, pg = engines
    for query in QUARANTINE_QUERIES:
        with pg.cursor() as cur:
            cur.execute(query)
            got = [tuple(r) for r in cur.fetchall()]
        expected = [tuple(r) for r in duck.execute(query).fetchall()]
        assert len(got) == len(expected) and got == expected, query
    assert expected, "the generated set should have rejected rows"


def test_spark_reader_quarantines_the_same_rows(spark_built):
    """The same rejected rows, reasons and inventory on Spark as on DuckDB."""
    duck, spark = spark_built
    for query in QUARANTINE_QUERIES:
        got = [tuple(r) for r in spark.sql(query).collect()]
        expected = [tuple(r) for r in duck.execute(query).fetchall()]
        assert len(got) == len(expected) and got == expected, query
    assert expected, "the generated set should have rejected rows"


def _bad_data(source: Path, tmp_path: Path) -> Path:
    """The generated set without tax_audits (optional) and with declarations lacking hs_code."""
    data = tmp_path / "data"
    shutil.copytree(source, data, ignore=shutil.ignore_patterns("_truth", "tax_audits.parquet", "declarations.parquet"))
    duckdb.execute(f"copy (select * exclude (hs_code) from '{source}/declarations.parquet') "
                   f"to '{data}/declarations.parquet'")
    return data


def _assert_stops_and_disables(target: str, env: dict, data: Path, tmp_path: Path) -> None:
    _run([str(BIN / "cip"), "load", "--target", target, "--data", str(data), "--quiet"], env, "cip load")
    done = subprocess.run(
        [str(BIN / "dbt"), "run", "--select", "base_tax__tax_audits", "base_customs__declarations",
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=ROOT, env={**env, "CIP_TARGET": target, "CIP_DATA_DIR": str(data)}, capture_output=True, text=True)
    out = done.stdout + done.stderr
    assert done.returncode != 0
    assert "Source customs.declarations:" in out and "lacks the required column(s) hs_code" in out, out[-3000:]
    assert "WARNING: optional source tax.tax_audits not found" in out, out[-3000:]


def _postgres_env(database: str) -> dict:
    """The environment of a build into its own Postgres database, created if needed."""
    env = _env(CIP_PG_DATABASE=database)
    subprocess.run(["bash", "scripts/postgres.sh", "start"], cwd=ROOT, env=env, check=True, capture_output=True)
    return env


def test_postgres_reader_stops_and_disables_as_duckdb_does(engines, duckdb_built, tmp_path):
    """A required column missing stops the build naming the source, table and column; a
    missing optional source is disabled with a warning (docs/engines.md)."""
    _assert_stops_and_disables("postgres", _postgres_env("cip_engines_bad"), _bad_data(duckdb_built["data"], tmp_path),
                               tmp_path)


def test_spark_reader_stops_and_disables_as_duckdb_does(spark_built, duckdb_built, tmp_path):
    """The same stop and warning on Spark (its own warehouse and metastore)."""
    _assert_stops_and_disables("spark", _spark_env(tmp_path / "spark"),
                               _bad_data(duckdb_built["data"], tmp_path), tmp_path)


def _malformed_csv_data(source: Path, tmp_path: Path) -> Path:
    """The generated set with declarations as a CSV export holding three records that do not fit
    the header: a field too many, the last field missing, ';' for the first three commas."""
    data = tmp_path / "data"
    shutil.copytree(source, data, ignore=shutil.ignore_patterns("_truth", "declarations.parquet"))
    duckdb.execute(f"copy (select * from '{source}/declarations.parquet') to '{data}/plain.csv' (header)")
    header, *lines = (data / "plain.csv").read_text(encoding="utf-8").splitlines()
    (data / "plain.csv").unlink()
    lines[10] += ",EXTRA"
    lines[20] = lines[20].rsplit(",", 1)[0]
    lines[30] = lines[30].replace(",", ";", 3)
    (data / "declarations.csv").write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return data


def _assert_csv_records_quarantined(target: str, env: dict, data: Path, tmp_path: Path) -> None:
    """cip load keeps the malformed records with _cip_record_error; the build quarantines them
    with the reason, as on DuckDB (tests/python/test_bad_inputs.py), and stages the rest."""
    _run([str(BIN / "cip"), "load", "--target", target, "--data", str(data), "--quiet"], env, "cip load")
    env = {**env, "CIP_TARGET": target, "CIP_DATA_DIR": str(data)}
    options = ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"), "--vars", VARS]
    _run([str(BIN / "dbt"), "build", "--full-refresh", "--select", "+base_customs__declarations",
          "--exclude-resource-type", "test", "unit_test", *options], env, "dbt build (base_customs__declarations)")
    done = subprocess.run(
        [str(BIN / "dbt"), "show", "--inline", "select _reject_reasons as reasons, count(*) as n_rows from "
         "{{ ref('base_customs__declarations') }} group by 1 order by 1", "--limit", "1000", "--output", "json",
         *options], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    shown = json.loads(done.stdout[done.stdout.index("{"):done.stdout.rindex("}") + 1])["show"]
    reasons = {row["reasons"]: row["n_rows"] for row in shown}
    structural = {reason: n for reason, n in reasons.items() if reason.startswith("CSV record")}
    assert sum(n for r, n in structural.items() if r.startswith("CSV record has more fields than the header")) == 1, reasons
    assert sum(n for r, n in structural.items() if r.startswith("CSV record has fewer fields than the header")) == 2, reasons
    records = len((data / "declarations.csv").read_text(encoding="utf-8").splitlines()) - 1
    assert sum(reasons.values()) == records, "every record is in the base model, staged or not"


def test_postgres_quarantines_csv_records_that_do_not_fit_the_header(engines, duckdb_built, tmp_path):
    _assert_csv_records_quarantined("postgres", _postgres_env("cip_engines_csv"),
                                    _malformed_csv_data(duckdb_built["data"], tmp_path), tmp_path)


def test_spark_quarantines_csv_records_that_do_not_fit_the_header(duckdb_built, tmp_path):
    """Its own warehouse and metastore; only the models up to base_customs__declarations."""
    _skip_without_spark()
    _assert_csv_records_quarantined("spark", _spark_env(tmp_path / "spark"),
                                    _malformed_csv_data(duckdb_built["data"], tmp_path), tmp_path)
