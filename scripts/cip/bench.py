"""`cip bench`: how fast and how lean the warehouse is, against a floor and a peer (issue 7).

For each size N it generates N declaration lines, builds the warehouse with one fresh
`dbt build` (seeds, models, tests) and reports per stage the wall time and the peak
resident memory of the child process doing it (DuckDB runs inside the dbt process, so
its memory is included). Per-layer figures (seeds, staging, intermediate, marts,
tests) come from dbt's run_results.json timings and a 0.2 s RSS sampler of the dbt
process. In the same run it times:

* the GRI path: `dbt build --select +operator_gri --exclude-resource-type test unit_test`
  (its seeds and models, no tests) on a fresh DuckDB file;
* the floor: one hand-written DuckDB query over the raw files (scripts/cip/bench_floor.sql)
  plus a tiny Table 4 aggregate over its result;
* the peer: the same computation in plain pandas (scripts/cip/bench_peer.py);

and reports the GRI path and the peer as ratios to the floor. With --incremental it
also appends a one-day file (new lines and late corrections) and times the
incremental `dbt build` of the whole project, then a second day building only the
incremental layer (base, fact, monthly aggregates, quarantine, inventory). Results: a table on stdout, results.json in the work
folder, and a markdown block appended to docs/benchmarks.md (unless --no-docs).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from cip import dbt as cip_dbt
from cip import run_profile, schedule
from cip.paths import project_root
from cip.progress import Progress

HELP = ("Benchmark: generate N declarations, build the warehouse, time every layer and the "
        "GRI path against a hand-written DuckDB floor and a pandas peer.")

FLOOR_SQL = Path(__file__).with_name("bench_floor.sql")
FLOOR_INDICATORS = ["TX_RISKY_ORIGIN", "TX_UNIT_PRICE_DEVIATION", "CR_EXEMPT_GROWTH",
                    "CR_REPEAT_OFFENDER", "XC_VAT_MISMATCH"]
# cip check is another engineer's module (run(args) with --data/--db); called directly so the
# bench does not depend on it being wired into the CLI.
CHECK_SNIPPET = ("import argparse, sys; from cip import check; parser = argparse.ArgumentParser(); "
                 "check.add_arguments(parser); sys.exit(check.run(parser.parse_args(['--data', sys.argv[1], '--db', sys.argv[2]])))")
PARSE_STAGE = "dbt parse (project, once)"
DAILY_STAGE = "daily load: dbt build (all, incremental)"
DAILY_LAYER_STAGE = "daily load: incremental layer only"
INCREMENTAL_LAYER = ["base_customs__declarations", "stg_customs__declarations", "int_operator_monthly_activity",
                     "stg_quarantine__rejected_rows", "stg_source_inventory"]
GRI_STAGE = "GRI path (dbt build +operator_gri, no tests)"
LAYERS = ["seeds", "staging", "utilities", "intermediate", "marts", "tests"]
PEERS = {"peer (pandas)": "peer", "peer (polars)": "polars"}
SCHEDULES = {schedule.CRITICAL_PATH: "critical path first (cip.schedule)",
             schedule.DBT_ORDER: f"dbt's own order ({schedule.ENV}={schedule.DBT_ORDER})"}
# issue 13: full build <= 45 s on 10M lines, GRI path <= 1.5x the floor and >= 1.5x faster than
# the fastest peer, a daily whole-project rebuild <= 20 s, peak memory <= 6 GB
TARGETS = {"build_10m_s": 45.0, "peak_gb": 6.0, "gri_over_floor": 1.5, "gri_speedup_over_peer": 1.5,
           "daily_s": 20.0}

FLOOR_TABLE4 = """
select
    size_segment,
    case
        when gri >= {risk_cutoff_high} then 'high'
        when gri >= {risk_cutoff_medium} then 'medium'
        else 'low'
    end as risk_level,
    count(*) as operators,
    sum(trade_value_usd) as trade_value_usd,
    sum(vat_paid_usd) as vat_paid_usd,
    sum(duty_paid_usd) as duty_paid_usd,
    sum(excise_paid_usd) as excise_paid_usd,
    sum(case when quarters_with_irregularity >= {repeat_offender_min_quarters} then 1 else 0 end) as repeat_offenders,
    sum(case when is_without_control then 1 else 0 end) as operators_without_control
from floor_operators
group by all
order by size_segment, risk_level
"""


# ----------------------------------------------------------------------------- parameters
def load_params(root: Path | None = None) -> dict:
    """Vars of dbt_project.yml and the catalogue thresholds of the five floor indicators."""
    import yaml

    root = root or project_root()
    project = yaml.safe_load((root / "dbt_project.yml").read_text())
    variables = project["vars"]
    params = {name: variables[name] for name in (
        "national_currency", "window_months", "size_large_min_usd", "size_medium_min_usd",
        "risky_min_examined_lines", "risky_min_lift", "unit_value_lower_bound_ratio",
        "unit_value_min_lines", "weight_tolerance", "risk_cutoff_medium", "risk_cutoff_high",
        "repeat_offender_min_quarters")}
    params["half_months"] = int(params["window_months"]) // 2
    with open(root / "seeds" / "config" / "indicator_catalogue.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["indicator_code"] in FLOOR_INDICATORS:
                if row["comparison"] not in (">", ">="):
                    raise ValueError(f"unsupported comparison {row['comparison']!r} for {row['indicator_code']}")
                params[f"cmp_{row['indicator_code']}"] = row["comparison"]
                params[f"thr_{row['indicator_code']}"] = float(row["threshold"])
    return params


def _parquet_list(data_dir: Path, table: str) -> str:
    files = sorted(data_dir.glob(f"{table}.parquet")) + sorted(data_dir.glob(f"{table}/*.parquet"))
    if not files:
        raise FileNotFoundError(f"no {table}.parquet or {table}/*.parquet in {data_dir}")
    return "[" + ", ".join("'" + str(path).replace("'", "''") + "'" for path in files) + "]"


def floor_query(data_dir: Path, params: dict) -> str:
    tables = {name: _parquet_list(Path(data_dir), name) for name in (
        "declarations", "exchange_rates", "control_results", "country_risk", "tax_returns", "tax_audits")}
    return FLOOR_SQL.read_text().format(**tables, **params)


# ----------------------------------------------------------------------------- floor and peer
def run_floor(data_dir: Path, params: dict, memory_limit: str = "6GB"):
    """Runs the floor in-process; returns (operators, table4) as pandas frames and seconds."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"set memory_limit = '{memory_limit}'")
    con.execute("set preserve_insertion_order = false")
    con.execute("set enable_progress_bar = false")
    started = time.perf_counter()
    con.execute("create temp table floor_operators as " + floor_query(data_dir, params))
    table4 = con.execute(FLOOR_TABLE4.format(**params)).df()
    seconds = time.perf_counter() - started
    operators = con.execute("select * from floor_operators order by tin").df()
    con.close()
    return operators, table4, seconds


def run_peer(data_dir: Path, params: dict, engine: str = "pandas"):
    """The peer in pandas (engine 'pandas') or Polars' lazy API ('polars'); same outputs."""
    from cip import bench_peer

    compute = {"pandas": bench_peer.peer_operators, "polars": bench_peer.polars_operators}[engine]
    started = time.perf_counter()
    operators = compute(Path(data_dir), params)
    table4 = bench_peer.table4(operators, params)
    seconds = time.perf_counter() - started
    return operators.sort_values("tin").reset_index(drop=True), table4, seconds


def compare_gri(left, right) -> dict:
    """Operators in both, in one only, and the largest GRI difference."""
    merged = left[["tin", "gri"]].merge(right[["tin", "gri"]], on="tin", how="outer",
                                        suffixes=("_left", "_right"), indicator=True)
    both = merged[merged["_merge"] == "both"]
    return {
        "operators_both": int(len(both)),
        "operators_only_one": int((merged["_merge"] != "both").sum()),
        "max_abs_gri_diff": float((both["gri_left"] - both["gri_right"]).abs().max()) if len(both) else 0.0,
    }


# ----------------------------------------------------------------------------- child processes
def _rss_mb(pid: int) -> tuple[float, float]:
    """(current RSS, high-water RSS) of a process in MB, from /proc (0 when it is gone)."""
    values = {"VmRSS:": 0.0, "VmHWM:": 0.0}
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                key = line.split(maxsplit=1)[0] if line.strip() else ""
                if key in values:
                    values[key] = int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return values["VmRSS:"], values["VmHWM:"]


def measure(cmd: list[str], env: dict | None = None, cwd: Path | None = None, log: Path | None = None,
            sample_every: float = 0.2) -> dict:
    """Runs cmd as a child; wall seconds, exit code, peak RSS (MB, VmHWM of the child) and RSS samples."""
    out = open(log, "ab") if log else subprocess.DEVNULL
    started_wall = time.time()
    started = time.perf_counter()
    process = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    samples: list[tuple[float, float]] = []
    high_water = [0.0]
    stop = threading.Event()

    def sampler():
        while not stop.is_set():
            rss, hwm = _rss_mb(process.pid)
            if rss:
                samples.append((time.time(), rss))
            high_water[0] = max(high_water[0], hwm)
            stop.wait(sample_every)

    thread = threading.Thread(target=sampler, daemon=True)
    thread.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    except BaseException:
        # interrupted: do not leave the child (a dbt build) running on a shared machine
        process.terminate()
        process.wait()
        stop.set()
        raise
    seconds = time.perf_counter() - started
    stop.set()
    thread.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if log:
        out.close()
    # Peak = the exec'd process's own high-water mark (VmHWM, read every sample_every s) and
    # the RSS samples. Not wait4's ru_maxrss: on Linux it also counts the parent's RSS at fork
    # time (exec keeps the pre-exec high-water mark), which inflated the daily-load figure
    # after the bench had read 10M lines in-process.
    peak = max([high_water[0]] + [rss for _, rss in samples]) or usage.ru_maxrss / 1024.0
    return {"cmd": cmd, "rc": process.returncode, "wall_s": seconds, "started_at": started_wall,
            "peak_rss_mb": peak, "ru_maxrss_mb": usage.ru_maxrss / 1024.0, "samples": samples}


def _python_child(function: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "cip.bench", "--child", function, *args]


def dbt_env(data: Path, db: Path, target: Path, logs: Path) -> dict:
    """The project's dbt environment (cip.dbt.dbt_env) with this run's target and log folders."""
    env = cip_dbt.dbt_env(data, db)
    env.update({"DBT_TARGET_PATH": str(target.resolve()), "DBT_LOG_PATH": str(logs.resolve())})
    return env


def dbt_cmd(*args: str) -> list[str]:
    """`dbt <args>` as `cip build` runs it: builds critical path first (cip.schedule), still a
    child process whose memory the sampler reads."""
    return schedule.command(*args)


def _iso_epoch(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=dt.timezone.utc).timestamp()


def layer_breakdown(target: Path, samples: list[tuple[float, float]], started_at: float | None = None) -> dict:
    """Per layer: nodes, span (first start to last end, s), summed node seconds, peak RSS in the span.

    A dbt stopped by a signal (killed, out of memory) writes no run_results.json, or leaves the one
    of an earlier command: then there is no breakdown, and `missing` says why."""
    path = target / "run_results.json"
    if not path.exists() or (started_at is not None and path.stat().st_mtime < started_at):
        state = "absent" if not path.exists() else "older than this dbt command"
        return {"layers": {}, "slowest": [], "first_start": None,
                "missing": f"{path} is {state}: dbt stopped before writing its results, no per-node timings"}
    results = json.loads(path.read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    layers: dict[str, dict] = {}
    slowest = []
    for result in results["results"]:
        node = manifest["nodes"].get(result["unique_id"], {})
        kind = node.get("resource_type", result["unique_id"].split(".")[0])
        if kind == "seed":
            layer = "seeds"
        elif kind in ("test", "unit_test"):
            layer = "tests"
        else:
            parts = Path(node.get("original_file_path", "models/other/x.sql")).parts
            layer = parts[1] if len(parts) > 2 else "other"
        spans = [(_iso_epoch(t["started_at"]), _iso_epoch(t["completed_at"]))
                 for t in result.get("timing", []) if t.get("started_at") and t.get("completed_at")]
        entry = layers.setdefault(layer, {"nodes": 0, "node_s": 0.0, "start": None, "end": None,
                                          "failed": 0})
        entry["nodes"] += 1
        entry["node_s"] += float(result.get("execution_time") or 0.0)
        # no-op: nodes dbt has nothing to run for (not a failure; 3 in every build)
        entry["failed"] += result.get("status") not in ("success", "pass", "no-op")
        if spans:
            start = min(s for s, _ in spans)
            end = max(e for _, e in spans)
            entry["start"] = start if entry["start"] is None else min(entry["start"], start)
            entry["end"] = end if entry["end"] is None else max(entry["end"], end)
        slowest.append((float(result.get("execution_time") or 0.0), result["unique_id"]))
    for entry in layers.values():
        if entry["start"] is not None:
            entry["span_s"] = entry["end"] - entry["start"]
            inside = [rss for when, rss in samples if entry["start"] - 0.2 <= when <= entry["end"] + 0.2]
            entry["peak_rss_mb"] = max(inside) if inside else None
        else:
            entry["span_s"], entry["peak_rss_mb"] = 0.0, None
    slowest.sort(reverse=True)
    return {"layers": layers, "slowest": slowest[:12],
            "first_start": min((e["start"] for e in layers.values() if e["start"]), default=None)}


def keep_run_profile(target: Path, keep: Path, started_at: float | None = None) -> dict | None:
    """Copies the run's run_results.json and manifest.json to `keep` and returns the critical
    path of the run (cip.run_profile), or None when the run left no results of its own (a dbt
    stopped by a signal leaves none, or those of an earlier command: layer_breakdown)."""
    path = target / "run_results.json"
    if not path.exists() or (started_at is not None and path.stat().st_mtime < started_at):
        return None
    keep.mkdir(parents=True, exist_ok=True)
    for name in ("run_results.json", "manifest.json"):
        shutil.copy2(target / name, keep / name)
    try:
        nodes = run_profile.load_run(keep)
    except (OSError, ValueError, KeyError) as error:
        # a profile is a diagnosis: an unreadable one must not end the bench after the build
        print(f"cip bench: no run profile of {keep}: {error!r}", file=sys.stderr)
        return None
    if not nodes:
        return None
    summary = run_profile.summarise(nodes)
    return {key: summary[key] for key in ("wall_s", "node_s", "critical_path_work_s", "critical_path_wait_s")} | {
        "critical_path": [step for step in summary["critical_path"] if step["seconds"] >= 1.0]}


# ----------------------------------------------------------------------------- daily load
def write_daily_file(data: Path, corrections: int = 50, lines_per_day: int | None = None) -> dict:
    """Appends declarations/part-YYYYMMDD.parquet: one day of new lines (copies of the last day's
    lines under new declaration ids, dated the next day) and late corrections (version + 1 of
    existing lines with a changed customs value)."""
    import duckdb

    files = _parquet_list(data, "declarations")
    con = duckdb.connect()
    last = con.execute(f"select max(try_cast(declaration_date as date)) from read_parquet({files}, union_by_name = true)").fetchone()[0]
    day = last + dt.timedelta(days=1)
    folder = data / "declarations"
    folder.mkdir(exist_ok=True)
    path = folder / f"part-{day:%Y%m%d}.parquet"
    limit = f"limit {int(lines_per_day)}" if lines_per_day else ""
    con.execute(f"""
        copy (
            with source as (
                select * from read_parquet({files}, union_by_name = true)
            ),
            last_day as (
                select * exclude (declaration_id, declaration_date, version),
                    'D{day:%Y%m%d}-' || declaration_id as declaration_id,
                    cast(date '{day}' as varchar) as declaration_date,
                    1 as version
                from source
                where try_cast(declaration_date as date) = date '{last}'
                {limit}
            ),
            latest as (
                select * from source
                qualify row_number() over (partition by declaration_id, item_no order by coalesce(version, 1) desc) = 1
            ),
            corrected as (
                select * exclude (version, customs_value),
                    coalesce(version, 1) + 1 as version,
                    round(customs_value * 1.25, 2) as customs_value
                from latest
                where customs_value > 0 and try_cast(declaration_date as date) is not null
                    and declaration_id is not null and item_no is not null
                using sample reservoir({int(corrections)} rows) repeatable (7)
            )
            select * from last_day
            union all by name
            select * from corrected
        ) to '{path}' (format parquet)
    """)
    rows = con.execute(f"select count(*), count(*) filter (where version > 1) from read_parquet('{path}')").fetchone()
    con.close()
    rates = carry_exchange_rates(data, day)
    return {"file": str(path), "day": str(day), "rows": rows[0], "corrections": rows[1], "rate_file": rates}


def carry_exchange_rates(data: Path, day: dt.date) -> str | None:
    """When the new day opens a month without exchange rates, appends
    exchange_rates/part-YYYYMM.parquet with the latest month's rates carried forward, as an
    administration loads the month's rates before its first declaration; without them staging
    quarantines every new line ("no exchange rate for the month") and the daily load would time
    the corrections alone. Returns the file written, or None when the month has rates."""
    import duckdb

    files = _parquet_list(data, "exchange_rates")
    month = day.replace(day=1)
    con = duckdb.connect()
    covered = con.execute(f"select count(*) from read_parquet({files}, union_by_name = true) "
                          f"where month_start = date '{month}'").fetchone()[0]
    if covered:
        con.close()
        return None
    folder = data / "exchange_rates"
    folder.mkdir(exist_ok=True)
    path = folder / f"part-{month:%Y%m}.parquet"
    con.execute(f"""
        copy (
            select * exclude (month_start), date '{month}' as month_start
            from read_parquet({files}, union_by_name = true)
            qualify month_start = max(month_start) over ()
        ) to '{path}' (format parquet)
    """)
    con.close()
    return str(path)


# ----------------------------------------------------------------------------- machine
def machine_info() -> dict:
    info = {"nproc": os.cpu_count(), "os": platform.platform(), "python": platform.python_version(),
            "schedule": os.environ.get(schedule.ENV, schedule.CRITICAL_PATH)}
    try:
        meminfo = Path("/proc/meminfo").read_text().split("\n")
        total_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
        info["ram_gb"] = round(total_kb / 1024 / 1024, 1)
    except (OSError, StopIteration):
        info["ram_gb"] = None
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text().split("\n")
        info["cpu"] = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        info["cpu"] = platform.processor() or "unknown"
    for package in ("dbt-core", "dbt-duckdb", "duckdb", "pandas", "pyarrow"):
        try:
            info[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            info[package] = None
    return info


def load_average() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "?"


# ----------------------------------------------------------------------------- one size
# DuckDB spills past its memory limit into <warehouse>.duckdb.tmp: at 50M lines two models
# spilling side by side filled the 51-61 GB free on this machine's disk (docs/benchmarks.md,
# run of 18:46), so the bench warns below about this much free space per million lines
SPILL_GB_PER_MILLION = 1.2


def disk_warning(n: int, free_bytes: int) -> str | None:
    """A warning when the work folder's disk looks too small for a run of n lines, else None."""
    needed_gb = SPILL_GB_PER_MILLION * n / 1_000_000
    free_gb = free_bytes / 1024 ** 3
    if free_gb >= needed_gb:
        return None
    return (f"{free_gb:.0f} GB free for {n:,} lines, where about {needed_gb:.0f} GB may be needed for the "
            f"warehouse and DuckDB's spill files; models may fail with 'No space left on device'. "
            f"Free space, or use a --work folder on a larger disk, or fewer threads (CIP_THREADS=1).")


def bench_size(n: int, work: Path, args, progress: Progress) -> dict:
    root = project_root()
    folder = work / f"n{n}"
    data, logs = folder / "data", folder / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / "bench.log"
    result: dict = {"declarations": n, "stages": {}, "load_before": load_average()}
    stages = result["stages"]
    warning = disk_warning(n, shutil.disk_usage(folder).free)
    if warning:
        result["disk_warning"] = warning
        print(f"cip bench: warning: {warning}", file=sys.stderr)

    def record(name, measured, note="", fatal=True):
        stages[name] = {"wall_s": measured["wall_s"], "peak_rss_mb": measured["peak_rss_mb"],
                        "rc": measured["rc"], "note": note}
        if measured["rc"] != 0:
            if fatal:
                raise RuntimeError(f"stage {name} failed (exit {measured['rc']}); see {log}")
            stages[name]["note"] = (note + "; " if note else "") + f"exit code {measured['rc']}, see {log}"
            print(f"cip bench: {name} exited with {measured['rc']} (timing kept); see {log}", file=sys.stderr)

    with progress.stage(f"{n:,}: generate"):
        if args.reuse_data and (data / "declarations.parquet").exists():
            stages["generate"] = {"wall_s": None, "peak_rss_mb": None, "rc": 0, "note": "reused"}
        else:
            shutil.rmtree(data, ignore_errors=True)
            record("generate", measure([sys.executable, "-m", "cip.generate", "--declarations", str(n),
                                        "--seed", str(args.seed), "--out", str(data), "--quiet"],
                                       cwd=root, log=log))

    # full build on a fresh warehouse: seeds, all models, all tests
    db, target = folder / "warehouse.duckdb", folder / "target"
    db.unlink(missing_ok=True)
    env = dbt_env(data, db, target, logs)
    # dbt parses the project once (seconds, whatever N) and re-parses only changed files
    # afterwards: timed apart, so the build below is what a user waits for on a project
    # already in use (the parse time is in the table)
    with progress.stage(f"{n:,}: dbt parse"):
        record(PARSE_STAGE, measure(dbt_cmd("parse"), env=env, cwd=root, log=log))
    with progress.stage(f"{n:,}: dbt build (all)"):
        build = measure(dbt_cmd("build"), env=env, cwd=root, log=log)
        record("dbt build (all)", build, fatal=False)
    breakdown = layer_breakdown(target, build["samples"], build["started_at"])
    if breakdown.get("missing"):
        stages["dbt build (all)"]["note"] = breakdown["missing"] + "; " + stages["dbt build (all)"]["note"]
        print(f"cip bench: {breakdown['missing']}", file=sys.stderr)
    result["layers"] = {name: {key: value for key, value in entry.items() if key not in ("start", "end")}
                        for name, entry in breakdown["layers"].items()}
    result["slowest"] = breakdown["slowest"]
    failed = sum(entry["failed"] for entry in breakdown["layers"].values())
    if failed:
        stages["dbt build (all)"]["note"] = f"{failed} node(s) failed or skipped; " + stages["dbt build (all)"]["note"]
    if breakdown["first_start"]:
        result["dbt_startup_s"] = breakdown["first_start"] - build["started_at"]

    if args.skip_check:
        stages["cip check"] = {"wall_s": None, "peak_rss_mb": None, "rc": 0, "note": "skipped (--skip-check)"}
    elif importlib.util.find_spec("cip.check") is not None:
        with progress.stage(f"{n:,}: cip check"):
            check = measure([sys.executable, "-c", CHECK_SNIPPET, str(data), str(db)], env=env, cwd=root, log=log)
            stages["cip check"] = {"wall_s": check["wall_s"], "peak_rss_mb": check["peak_rss_mb"],
                                   "rc": check["rc"], "note": "" if check["rc"] == 0 else "exit code != 0"}
    else:
        stages["cip check"] = {"wall_s": None, "peak_rss_mb": None, "rc": 0, "note": "module cip.check absent"}

    # the GRI path on its own fresh file
    gri_db = folder / "gri.duckdb"
    gri_db.unlink(missing_ok=True)
    gri_env = dbt_env(data, gri_db, folder / "target-gri", logs)
    measure(dbt_cmd("parse"), env=gri_env, cwd=root, log=log)  # untimed: as for the build
    with progress.stage(f"{n:,}: GRI path"):
        record(GRI_STAGE,
               measure(dbt_cmd("build", "--select", "+operator_gri", "--exclude-resource-type", "test", "unit_test"),
                       env=gri_env, cwd=root, log=log),
               "seeds + models, no tests, fresh DuckDB file, project parsed", fatal=False)
    gri_db.unlink(missing_ok=True)

    with progress.stage(f"{n:,}: floor"):
        floor = measure(_python_child("floor", str(data), str(folder / "floor.parquet")), cwd=root, log=log)
        record("floor (DuckDB query)", floor)
    floor_inner = json.loads((folder / "floor.json").read_text())
    stages["floor (DuckDB query)"]["note"] = f"query {floor_inner['seconds']:.2f}s"
    result["table4_floor"] = floor_inner["table4"]

    if not args.skip_peer:
        import pandas as pd

        for stage, function in PEERS.items():
            with progress.stage(f"{n:,}: {stage}"):
                out = folder / f"{function}.parquet"
                record(stage, measure(_python_child(function, str(data), str(out)), cwd=root, log=log))
            inner = json.loads(out.with_suffix(".json").read_text())
            stages[stage]["note"] = f"compute {inner['seconds']:.2f}s"
            # every run proves each peer equal to the floor again
            result.setdefault("floor_vs_peers", {})[stage] = compare_gri(
                pd.read_parquet(folder / "floor.parquet"), pd.read_parquet(out))
        result["floor_vs_peer"] = result["floor_vs_peers"]["peer (pandas)"]

    if args.incremental:
        with progress.stage(f"{n:,}: daily incremental load"):
            if not args.skip_daily_full:
                daily = write_daily_file(data, corrections=args.daily_corrections)
                inc = measure(dbt_cmd("build"), env=env, cwd=root, log=log)
                record(DAILY_STAGE, inc, f"{daily['rows']:,} rows incl. {daily['corrections']} corrections",
                       fatal=False)
                result["daily"] = daily
                result["daily_slowest"] = layer_breakdown(target, inc["samples"], inc["started_at"])["slowest"][:8]
                # the next day's build overwrites target/: keep this run's results for
                # `cip run-profile <folder>/target-daily`, and its critical path in results.json
                result["daily_profile"] = keep_run_profile(target, folder / "target-daily", inc["started_at"])
            # the next day, building only the incremental layer and the quarantine (with their tests)
            second = write_daily_file(data, corrections=args.daily_corrections)
            only = measure(dbt_cmd("build", "--select", *INCREMENTAL_LAYER), env=env, cwd=root, log=log)
            record(DAILY_LAYER_STAGE, only, f"{second['rows']:,} rows; {' '.join(INCREMENTAL_LAYER)} and their tests",
                   fatal=False)
            shutil.rmtree(data / "declarations", ignore_errors=True)
            # the carried rates too, so that --reuse-data starts from the generated files again
            for carried in {day.get("rate_file") for day in (result.get("daily", {}), second)} - {None}:
                Path(carried).unlink(missing_ok=True)
                if not any(Path(carried).parent.iterdir()):
                    Path(carried).parent.rmdir()

    floor_s = stages["floor (DuckDB query)"]["wall_s"]
    peers = [stages[name]["wall_s"] for name in PEERS if name in stages]
    result["ratios"] = {
        "gri_path_over_floor": stages[GRI_STAGE]["wall_s"] / floor_s,
        "peer_over_floor": (stages["peer (pandas)"]["wall_s"] / floor_s) if "peer (pandas)" in stages else None,
        "polars_over_floor": (stages["peer (polars)"]["wall_s"] / floor_s) if "peer (polars)" in stages else None,
        # how many times faster the GRI path is than the fastest peer
        "fastest_peer_over_gri_path": (min(peers) / stages[GRI_STAGE]["wall_s"]) if peers else None,
    }
    result["load_after"] = load_average()
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return result


# ----------------------------------------------------------------------------- reporting
def _cell(value, digits=1):
    return "-" if value is None else f"{value:,.{digits}f}"


def render_table(results: list[dict]) -> str:
    sizes = [r["declarations"] for r in results]
    header = "| stage | " + " | ".join(f"{n:,} wall s | {n:,} peak MB" for n in sizes) + " |"
    rule = "|---|" + "---:|---:|" * len(sizes)
    names: list[str] = []
    for result in results:
        for name in result["stages"]:
            if name not in names:
                names.append(name)
    rows = [header, rule]
    for name in names:
        cells = []
        for result in results:
            stage = result["stages"].get(name, {})
            cells += [_cell(stage.get("wall_s")), _cell(stage.get("peak_rss_mb"), 0)]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
        if name == "dbt build (all)":
            for layer in LAYERS + ["other"]:
                if not any(layer in r.get("layers", {}) for r in results):
                    continue
                cells = []
                for result in results:
                    entry = result.get("layers", {}).get(layer, {})
                    cells += [_cell(entry.get("span_s")), _cell(entry.get("peak_rss_mb"), 0)]
                rows.append(f"| &nbsp;&nbsp;{layer} (span) | " + " | ".join(cells) + " |")
    ratio_rows = [("GRI path / floor", "gri_path_over_floor"), ("peer (pandas) / floor", "peer_over_floor"),
                  ("peer (polars) / floor", "polars_over_floor"),
                  ("fastest peer / GRI path", "fastest_peer_over_gri_path")]
    for label, key in ratio_rows:
        cells = []
        for result in results:
            cells += [_cell(result["ratios"].get(key), 2) + "x", ""]
        rows.append(f"| **{label}** | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def verdicts(results: list[dict]) -> list[str]:
    lines = []
    by_n = {r["declarations"]: r for r in results}
    for result in results:
        n = result["declarations"]
        build = result["stages"]["dbt build (all)"]
        # the warehouse's own stages: not the two references computed beside it
        references = (*PEERS, "floor (DuckDB query)")
        peak = max(stage["peak_rss_mb"] or 0 for name, stage in result["stages"].items()
                   if name not in references) / 1024
        ratio = result["ratios"]["gri_path_over_floor"]
        peer = result["ratios"]["peer_over_floor"]
        status = lambda ok: "met" if ok else "MISSED"  # noqa: E731
        # a stage that did not finish (failed, killed) cannot meet a target with its time or
        # its memory: it is stated as missed, with the reason
        failed = [name for name, stage in result["stages"].items()
                  if name not in references and stage.get("rc")]

        def timed(name: str, ok: bool) -> str:
            rc = result["stages"][name].get("rc")
            return f"MISSED (did not finish: exit {rc})" if rc else status(ok)
        if n == 10_000_000:
            parse = result["stages"].get(PARSE_STAGE, {}).get("wall_s")
            first = f"; {build['wall_s'] + parse:.1f} s with the first parse of the project" if parse else ""
            lines.append(f"- 10M full dbt build <= {TARGETS['build_10m_s']:.0f} s: "
                         f"{timed('dbt build (all)', build['wall_s'] <= TARGETS['build_10m_s'])} ({build['wall_s']:.1f} s{first})")
        memory = (f"MISSED (not measured on a whole run: {', '.join(failed)} did not finish)" if failed
                  else status(peak <= TARGETS['peak_gb']))
        lines.append(f"- {n:,}: peak memory of warehouse stages <= {TARGETS['peak_gb']:.0f} GB: "
                     f"{memory} ({peak:.2f} GB)")
        lines.append(f"- {n:,}: GRI path <= {TARGETS['gri_over_floor']:.1f}x floor: "
                     f"{timed(GRI_STAGE, ratio <= TARGETS['gri_over_floor'])} ({ratio:.2f}x)")
        speedup = result["ratios"].get("fastest_peer_over_gri_path")
        if speedup is not None:
            lines.append(f"- {n:,}: GRI path >= {TARGETS['gri_speedup_over_peer']:.1f}x faster than the fastest peer: "
                         f"{timed(GRI_STAGE, speedup >= TARGETS['gri_speedup_over_peer'])} ({speedup:.2f}x; GRI path "
                         f"{ratio:.2f}x floor, pandas {peer:.2f}x, polars "
                         f"{result['ratios'].get('polars_over_floor') or float('nan'):.2f}x)")
        if DAILY_STAGE in result["stages"]:
            daily = result["stages"][DAILY_STAGE]["wall_s"]
            lines.append(f"- {n:,}: daily load, whole project rebuilt (dbt build) <= {TARGETS['daily_s']:.0f} s: "
                         f"{timed(DAILY_STAGE, daily <= TARGETS['daily_s'])} ({daily:.1f} s)")
        if DAILY_LAYER_STAGE in result["stages"]:
            layer = result["stages"][DAILY_LAYER_STAGE]["wall_s"]
            lines.append(f"- {n:,}: daily load, incremental layer only <= {TARGETS['daily_s']:.0f} s: "
                         f"{timed(DAILY_LAYER_STAGE, layer <= TARGETS['daily_s'])} ({layer:.1f} s)")
    if 1_000_000 in by_n and 10_000_000 in by_n:
        small = by_n[1_000_000]["stages"]["dbt build (all)"]["wall_s"]
        large = by_n[10_000_000]["stages"]["dbt build (all)"]["wall_s"]
        lines.append(f"- 1M -> 10M at most linear (<= 10x): {'met' if large <= 10 * small else 'MISSED'} "
                     f"({small:.1f} s -> {large:.1f} s, {large / small:.1f}x)")
    return lines


def markdown_block(results: list[dict], command: str, machine: dict) -> str:
    now = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = [f"### Run of {now}", "", f"Command: `{command}`", "",
             f"Machine: {machine['nproc']} cores ({machine['cpu']}), {machine['ram_gb']} GB RAM, {machine['os']}; "
             f"Python {machine['python']}, dbt-core {machine['dbt-core']}, dbt-duckdb {machine['dbt-duckdb']}, "
             f"DuckDB {machine['duckdb']}, pandas {machine['pandas']}, pyarrow {machine['pyarrow']}."
             + (f" dbt builds: {SCHEDULES.get(machine['schedule'], machine['schedule'])}." if machine.get("schedule") else ""),
             ""]
    for result in results:
        lines.append(f"Load average (1/5/15 min) at {result['declarations']:,}: before {result['load_before']}, "
                     f"after {result['load_after']}.")
    lines += ["", render_table(results), ""]
    for result in results:
        comparisons = result.get("floor_vs_peers") or (
            {"peer (pandas)": result["floor_vs_peer"]} if result.get("floor_vs_peer") else {})
        for stage, comparison in comparisons.items():
            lines.append(f"Floor vs {stage} at {result['declarations']:,}: {comparison['operators_both']:,} operators "
                         f"in both, {comparison['operators_only_one']} in one only, max |GRI diff| "
                         f"{comparison['max_abs_gri_diff']:.2e}.")
        if result.get("dbt_startup_s") is not None:
            lines.append(f"dbt start-up before the first node at {result['declarations']:,}: {result['dbt_startup_s']:.1f} s.")
        slow = ", ".join(f"{uid.split('.')[-1]} {seconds:.1f}s" for seconds, uid in result.get("slowest", [])[:6])
        lines.append(f"Slowest nodes at {result['declarations']:,}: {slow}.")
        for name, stage in result["stages"].items():
            if stage.get("rc") or "failed" in (stage.get("note") or ""):
                lines.append(f"**{name} at {result['declarations']:,} did not succeed:** {stage['note']}.")
        if result.get("disk_warning"):
            lines.append(f"Disk warning at {result['declarations']:,}: {result['disk_warning']}")
        if result.get("daily_slowest"):
            slow = ", ".join(f"{uid.split('.')[-1]} {seconds:.1f}s" for seconds, uid in result["daily_slowest"][:6])
            lines.append(f"Slowest nodes of the daily load at {result['declarations']:,}: {slow}.")
        profile = result.get("daily_profile")
        if profile:
            steps = ", ".join(f"{step['name']} {step['seconds']:.1f}s" for step in profile["critical_path"])
            lines.append(f"Critical path of the daily load at {result['declarations']:,}: "
                         f"{profile['critical_path_work_s']:.1f} s running, {profile['critical_path_wait_s']:.1f} s "
                         f"waiting for a thread (steps of 1 s or more: {steps}; `cip run-profile` on target-daily).")
    lines += ["", "Targets:", *verdicts(results), ""]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- CLI
def _sizes(text: str) -> list[int]:
    return [int(float(part.replace("_", ""))) for part in text.split(",") if part.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--declarations", type=_sizes, default=[1_000_000, 10_000_000],
                        help="comma-separated sizes in declaration lines [1000000,10000000]")
    parser.add_argument("--work", type=Path, default=None,
                        help="work folder for data and warehouses [a new folder under /tmp]")
    parser.add_argument("--keep", action="store_true", help="keep generated data and warehouses")
    parser.add_argument("--reuse-data", action="store_true", help="reuse data already generated in --work")
    parser.add_argument("--skip-peer", action="store_true", help="do not run the pandas and Polars peers")
    parser.add_argument("--incremental", action="store_true",
                        help="also time a daily load (one day of new lines plus corrections) built incrementally")
    parser.add_argument("--skip-daily-full", action="store_true",
                        help="with --incremental: time only the incremental layer, not a whole-project rebuild")
    parser.add_argument("--skip-check", action="store_true", help="do not run cip check")
    parser.add_argument("--daily-corrections", type=int, default=50, help="late corrections in the daily file [50]")
    parser.add_argument("--seed", type=int, default=42, help="generator seed [42]")
    parser.add_argument("--docs", type=Path, default=None, help="markdown file to append to [docs/benchmarks.md]")
    parser.add_argument("--no-docs", action="store_true", help="print only; do not append to the docs")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def run(args: argparse.Namespace) -> int:
    command = "cip bench " + " ".join(sys.argv[2:]) if len(sys.argv) > 1 and sys.argv[1] == "bench" \
        else "python -m cip.bench " + " ".join(sys.argv[1:])
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="cip-bench-", dir="/tmp"))
    work.mkdir(parents=True, exist_ok=True)
    weights = {}
    for n in args.declarations:
        scale = max(n / 1e6, 0.05)
        weights.update({f"{n:,}: generate": 5 * scale, f"{n:,}: dbt build (all)": 6 * scale + 25,
                        f"{n:,}: cip check": 1 * scale, f"{n:,}: GRI path": 3 * scale + 12,
                        f"{n:,}: floor": 0.5 * scale,
                        f"{n:,}: peer (pandas)": 0 if args.skip_peer else 3 * scale,
                        f"{n:,}: peer (polars)": 0 if args.skip_peer else 1 * scale,
                        f"{n:,}: daily incremental load": ((3 * scale + 30) if not args.skip_daily_full else scale + 5)
                        if args.incremental else 0})
    progress = Progress(weights, label="bench", enabled=not args.quiet)
    machine = machine_info()
    results = []
    try:
        for n in args.declarations:
            results.append(bench_size(n, work, args, progress))
    except RuntimeError as error:
        print(f"cip bench: {error}", file=sys.stderr)
        return 1
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)
    (work if args.keep or args.work else Path(tempfile.gettempdir())).mkdir(exist_ok=True)
    print(render_table(results))
    print()
    print("\n".join(verdicts(results)))
    block = markdown_block(results, command, machine)
    if args.keep or args.work:
        (work / "results.json").write_text(json.dumps({"machine": machine, "results": results}, indent=2, default=str))
    if not args.no_docs:
        docs = args.docs or project_root() / "docs" / "benchmarks.md"
        with open(docs, "a") as handle:
            handle.write("\n" + block)
        print(f"\nappended to {docs}")
    return 0


def _child(function: str, data: str, out: str) -> int:
    """Entry of the floor/peer child processes: runs one, writes its operators and timing."""
    params = load_params()
    if function == "floor":
        operators, table4, seconds = run_floor(Path(data), params)
    else:
        operators, table4, seconds = run_peer(Path(data), params, "polars" if function == "polars" else "pandas")
    operators.to_parquet(out, index=False)
    Path(out).with_suffix(".json").write_text(json.dumps(
        {"seconds": seconds, "operators": len(operators),
         "table4": json.loads(table4.to_json(orient="records"))}, indent=1))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        raise SystemExit(_child(*sys.argv[2:5]))
    parser = argparse.ArgumentParser(prog="cip bench", description=HELP)
    add_arguments(parser)
    raise SystemExit(run(parser.parse_args()))
