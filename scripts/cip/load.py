"""Load the raw files into a server database or Spark (`cip load --target postgres|spark`).

DuckDB reads the raw files where they lie (var data_dir). Another engine reads tables:
this command copies every source table of the contract (models/staging/*/_*__sources.yml)
from the data folder - <table>.parquet, <table>/*.parquet or <table>.csv, the same files
DuckDB reads - into the schema named after its source (customs.declarations,
tax.taxpayers, reference.hs_nomenclature, ...), replacing what was there.

Nothing is checked or converted here beyond the file format: the columns keep their names
as exported and their types as read (Parquet types map to the nearest Postgres type, a CSV
loads as text, as DuckDB reads it), plus _cip_source_file, the file each row came from
relative to the data folder. A CSV is read record by record as the DuckDB build reads it
(cip/raw_csv.py): a record with more or fewer fields than its header is loaded, its
_cip_record_error column saying so, and the build quarantines it on every engine. The contract reader (macros/contract/read_raw_source.sql)
then applies the same rules as on DuckDB: required columns, types, quarantine. A source
without files leaves no table: an optional one is disabled with a warning by the build,
a required one stops it. A file whose columns collide (names differing only in case)
stops the load with the same message as the DuckDB reader.

Postgres: DuckDB reads the files and writes them as CSV; Postgres takes them by COPY
(psycopg2). Connection: CIP_PG_HOST / CIP_PG_PORT / CIP_PG_USER / CIP_PG_PASSWORD /
CIP_PG_DATABASE, defaults matching scripts/postgres.sh and the profile's `postgres` target.

Spark: a local Spark session with the settings of the profile's `spark` target
(profiles.yml, rendered here with the same environment, so the tables land in the warehouse
and metastore dbt reads) reads each file (Parquet as typed; a CSV as DuckDB reads it, converted to a text-only
Parquet file first, with _cip_record_error) and writes
one Parquet table per source table. Files of one table are united by column name, as
DuckDB's union_by_name does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from cip import raw_csv
from cip.contract import column_key, load_contract
from cip.paths import data_dir, load_vars

HELP = "Load the raw files into a server database or Spark (--target postgres|spark) for dbt to read."

SOURCE_FILE_COLUMN = "_cip_source_file"

# DuckDB type (as read from the files) -> Postgres type of the raw column
_PG_TYPES = {
    "VARCHAR": "text",
    "DOUBLE": "double precision",
    "FLOAT": "real",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "UTINYINT": "smallint",
    "INTEGER": "integer",
    "USMALLINT": "integer",
    "BIGINT": "bigint",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20, 0)",
    "HUGEINT": "numeric(39, 0)",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP_NS": "timestamp",
    "TIMESTAMP_MS": "timestamp",
    "TIMESTAMP_S": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "TIME": "time",
}


def pg_type(duckdb_type: str) -> str:
    kind = duckdb_type.upper()
    if kind.startswith("DECIMAL"):
        return kind.replace("DECIMAL", "numeric").lower()
    return _PG_TYPES.get(kind, "text")


raw_files = raw_csv.raw_files   # the files of one raw table, as the DuckDB reader finds them


def pg_connect():
    import psycopg2

    return psycopg2.connect(
        host=os.environ.get("CIP_PG_HOST", "localhost"),
        port=int(os.environ.get("CIP_PG_PORT", "55432")),
        user=os.environ.get("CIP_PG_USER", "cip"),
        password=os.environ.get("CIP_PG_PASSWORD", ""),
        dbname=os.environ.get("CIP_PG_DATABASE", "customs_cip"),
    )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _reader(con, files: list[Path], config: dict | None = None) -> str:
    listed = "[" + ", ".join(_sql_string(str(f)) for f in files) + "]"
    if files[0].suffix == ".parquet":
        return f"read_parquet({listed}, union_by_name = true, filename = '_cip_raw_file')"
    # every value as text, plus _cip_record_error for a record that does not fit the header
    return "(" + " union all by name ".join(f"select * from {raw_csv.reader(con, f, config)}" for f in files) + ")"


def _check_duplicate_columns(con, label: str, files: list[Path], config: dict | None = None) -> None:
    problems = []
    for file in files:
        if file.suffix == ".parquet":
            names = [r[0] for r in con.execute(
                "select name from parquet_schema(?) where num_children is null", [str(file)]).fetchall()]
        else:
            names = raw_csv.dialect(con, file, config)[1]
        lowered = [column_key(n) for n in names]
        for name in sorted(set(lowered)):
            if lowered.count(name) > 1:
                problems.append(f"{file} has the column {name} twice (names differ only in case or spaces): keep one")
    if problems:
        raise SystemExit(f"cip load: Source {label}: " + "; ".join(problems)
                         + ". Add the column(s) to the export (see docs/source_contract.md) or remove the file.")


def load_postgres(folder: Path, *, quiet: bool = False, config: dict | None = None) -> dict[str, int | None]:
    """Replace every raw table in Postgres with the files of `folder`; rows per table (None: no files).
    `config`: the effective vars (dbt_project.yml with --vars), as the build will see them."""
    contract = load_contract()
    loaded: dict[str, int | None] = {}
    duck = duckdb.connect()
    pg = pg_connect()
    prefix = len(str(folder)) + 1
    with tempfile.TemporaryDirectory(prefix="cip-load-") as tmp:
        for table in contract.values():
            label = f"{table.source}.{table.name}"
            target = f"{_quote(table.source)}.{_quote(table.name)}"
            files = raw_files(folder, table.name)
            formats = {f.suffix for f in files}
            if len(formats) > 1:
                raise SystemExit(f"cip load: Source {label} has both Parquet and CSV files in {folder}: "
                                 + ", ".join(map(str, files)) + ". Keep one format.")
            with pg, pg.cursor() as cur:
                cur.execute(f"create schema if not exists {_quote(table.source)}")
                cur.execute(f"drop table if exists {target} cascade")
            if not files:
                loaded[label] = None
                if not quiet:
                    print(f"  {label:<34} no file ({'optional: the build disables it' if table.optional else 'REQUIRED: the build will stop'})")
                continue
            _check_duplicate_columns(duck, label, files, config)
            reader = _reader(duck, files, config)
            described = duck.execute(f"describe select * from {reader}").fetchall()
            columns = [(name, kind) for name, kind, *_ in described if name != "_cip_raw_file"]
            ddl = ", ".join(f"{_quote(name)} {pg_type(kind)}" for name, kind in columns)
            ddl += f", {SOURCE_FILE_COLUMN} text"
            csv_path = Path(tmp) / f"{table.source}.{table.name}.csv"
            selected = ", ".join(
                # text as written; doubles with every digit (DuckDB's shortest round-trip form)
                _quote(name) for name, _ in columns)
            duck.execute(
                f"copy (select {selected}, substr(_cip_raw_file, {prefix + 1}) from {reader}) "
                f"to {_sql_string(str(csv_path))} (header false, delimiter ',', quote '\"', null '\\N')")
            with pg, pg.cursor() as cur:
                cur.execute(f"create table {target} ({ddl})")
                with open(csv_path, encoding="utf-8") as handle:
                    cur.copy_expert(
                        f"copy {target} from stdin with (format csv, null '\\N')", handle)
                cur.execute(f"analyze {target}")
                cur.execute(f"select count(*) from {target}")
                loaded[label] = cur.fetchone()[0]
            if not quiet:
                print(f"  {label:<34} {loaded[label]:>10,} rows from {len(files)} file(s)")
    pg.close()
    return loaded


def spark_settings() -> dict[str, str]:
    """The Spark settings of the profile's `spark` output, rendered with this environment."""
    import jinja2
    import yaml

    from cip.paths import project_root

    profiles_dir = Path(os.environ.get("DBT_PROFILES_DIR") or project_root())
    profiles = yaml.safe_load((profiles_dir / "profiles.yml").read_text(encoding="utf-8"))
    output = profiles["customs_cip"]["outputs"]["spark"]

    def env_var(name, default=None):
        value = os.environ.get(name, default)
        if value is None:
            raise SystemExit(f"cip load: profiles.yml needs the environment variable {name}")
        return value

    render = jinja2.Environment().from_string
    return {key: render(str(value)).render(env_var=env_var)
            for key, value in output.get("server_side_parameters", {}).items()}


def spark_session():
    from pyspark.sql import SparkSession

    from cip.paths import project_root

    os.chdir(project_root())  # the profile's folders (.spark/...) are relative to the project, as for dbt
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in spark_settings().items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def load_spark(folder: Path, *, quiet: bool = False, config: dict | None = None) -> dict[str, int | None]:
    """Replace every raw table in Spark's warehouse with the files of `folder`."""
    from functools import reduce

    from pyspark.sql import functions as F

    contract = load_contract()
    loaded: dict[str, int | None] = {}
    duck = duckdb.connect()
    spark = spark_session()
    prefix = len(str(folder)) + 1
    tmp = tempfile.mkdtemp(prefix="cip-load-")
    try:
        for table in contract.values():
            label = f"{table.source}.{table.name}"
            target = f"`{table.source}`.`{table.name}`"
            files = raw_files(folder, table.name)
            formats = {f.suffix for f in files}
            if len(formats) > 1:
                raise SystemExit(f"cip load: Source {label} has both Parquet and CSV files in {folder}: "
                                 + ", ".join(map(str, files)) + ". Keep one format.")
            spark.sql(f"create database if not exists `{table.source}`")
            spark.sql(f"drop table if exists {target}")
            if not files:
                loaded[label] = None
                if not quiet:
                    print(f"  {label:<34} no file ({'optional: the build disables it' if table.optional else 'REQUIRED: the build will stop'})")
                continue
            _check_duplicate_columns(duck, label, files, config)
            frames = []
            for file in files:
                if file.suffix == ".parquet":
                    frame = spark.read.parquet(str(file))
                else:
                    # read by DuckDB as the build reads it (every value text, _cip_record_error per
                    # record), not by Spark's CSV reader, which pads a short record and drops the
                    # extra field of a long one without a word
                    converted = Path(tmp) / f"{table.source}.{table.name}.{len(frames)}.parquet"
                    duck.execute(f"copy (select * exclude (_cip_raw_file) from {raw_csv.reader(duck, file, config)}) "
                                 f"to {_sql_string(str(converted))} (format parquet)")
                    frame = spark.read.parquet(str(converted))
                frames.append(frame.withColumn(SOURCE_FILE_COLUMN, F.lit(str(file)[prefix:])))
            united = reduce(lambda left, right: left.unionByName(right, allowMissingColumns=True), frames)
            united.write.format("parquet").mode("overwrite").saveAsTable(f"{table.source}.{table.name}")
            loaded[label] = spark.table(f"{table.source}.{table.name}").count()
            if not quiet:
                print(f"  {label:<34} {loaded[label]:>10,} rows from {len(files)} file(s)")
    finally:
        spark.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return loaded


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", choices=["postgres", "spark"], default="postgres",
                        help="the engine to load into (default postgres; DuckDB reads the files directly)")
    parser.add_argument("--data", type=Path, default=None,
                        help="the raw files' folder (default CIP_DATA_DIR, else data/demo)")
    parser.add_argument("--vars", default=None,
                        help="dbt vars as YAML, the same as given to the build (e.g. \"{csv_encoding: latin-1}\")")
    parser.add_argument("--quiet", action="store_true")


def run(args: argparse.Namespace) -> int:
    folder = (args.data or data_dir()).resolve()
    if not folder.is_dir():
        print(f"cip load: no data folder {folder}", file=sys.stderr)
        return 2
    started = time.monotonic()
    if not args.quiet:
        print(f"cip load: {folder} -> {args.target}")
    try:
        config = load_vars(getattr(args, "vars", None))
        (load_spark if args.target == "spark" else load_postgres)(folder, quiet=args.quiet, config=config)
    except Exception as error:  # connection refused and the like: one line, not a traceback
        if isinstance(error, SystemExit):
            raise
        if isinstance(error, duckdb.Error):   # reading a raw file, not the target engine
            text = str(error)
            file = next((line.split("=", 1)[1].strip() for line in text.splitlines() if line.strip().startswith("file =")), "")
            fix = (": save it as UTF-8, or give its encoding with --vars '{csv_encoding: latin-1}' as to the build"
                   if "not utf-8" in text or "Invalid unicode" in text else "")
            print(f"cip load: {type(error).__name__}: {text.strip().splitlines()[0]}"
                  + (f" in {file}" if file else "") + fix + " (docs/source_contract.md)", file=sys.stderr)
            return 1
        print(f"cip load: {type(error).__name__}: {str(error).strip().splitlines()[0]}"
              + (" (is Postgres running? `make postgres`)" if args.target == "postgres"
                 else " (Spark needs Java 17: `java -version`; one process at a time on the metastore)"),
              file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"cip load: done in {time.monotonic() - started:.1f} s")
    return 0
