"""Serving the warehouse (issue 16, items 3-5; docs/serving.md).

`cip build` builds a copy of the warehouse next to it and swaps it in atomically when every
dbt test passed. Built here on the shared small data set (5,000 lines):

* two builds of the same data give byte-identical marts (every mart hashed row by row);
* the file opens with the oldest DuckDB client supported (1.1.3, installed by the test);
* a failed build, a SIGTERM and a SIGKILL leave the last good warehouse as it was, with a
  one-line reason and a log path, no traceback, no dbt left running and no temporary file;
* a writer holding the file stops the build with one line; a reader holding it blocks nothing
  and keeps reading the old file while the next build (incremental, no --full-refresh)
  swaps in the new one.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from cip.build import failure_cause, header_version
from cip.paths import project_root

from conftest import copy_data

pytestmark = pytest.mark.warehouse

ROOT = project_root()
OLDEST_CLIENT = "1.1.3"  # the oldest DuckDB client the warehouse file is tested with


# --------------------------------------------------------------------------- helpers

def _env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_PROFILES_DIR": str(ROOT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    })
    return env


def _cip_build_cmd(data: Path, db: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "cip.cli", "build", "--data", str(data), "--db", str(db), *extra]


def cip_build(data: Path, db: Path, work: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(_cip_build_cmd(data, db, *extra), cwd=ROOT, env=_env(work),
                          capture_output=True, text=True, timeout=900)


def mart_hashes(db: Path) -> dict[str, tuple[int, str]]:
    """Row count and md5 of the sorted rows (as text, doubles to the last bit) of every mart."""
    with duckdb.connect(str(db), read_only=True) as con:
        marts = [name for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]
        return {name: con.execute(
            f'select count(*), md5(coalesce(string_agg(t::varchar, chr(10) order by t::varchar), \'\')) '
            f'from marts."{name}" as t').fetchone() for name in marts}


def stages(db: Path) -> list[Path]:
    return sorted(db.parent.glob(f".{db.name}.build*"))


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def start_build_and_wait_for_dbt(data: Path, db: Path, work: Path) -> tuple[subprocess.Popen, int]:
    """Start `cip build`, return it and its dbt child once dbt has started building the copy."""
    process = subprocess.Popen(_cip_build_cmd(data, db), cwd=ROOT, env=_env(work),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        kids = children(process.pid)
        stage = stages(db)
        if kids and stage and (stage[0] / db.name).exists():
            time.sleep(3)  # dbt is parsing or building by now
            return process, kids[0]
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    raise AssertionError(f"cip build did not start dbt: {process.communicate()}")


def one_line_failure(stderr: str, word: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("cip build:")]
    assert len(lines) == 1, stderr[-3000:]
    assert word in lines[0] and "Log: " in lines[0], lines[0]
    assert "Traceback" not in stderr, stderr[-3000:]
    return lines[0]


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def builds(small_data, tmp_path_factory):
    """The small data set built twice with `cip build`, into two warehouse files."""
    work = tmp_path_factory.mktemp("serving")
    a, b = work / "a" / "warehouse.duckdb", work / "b" / "warehouse.duckdb"
    for db in (a, b):
        result = cip_build(small_data, db, work)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
        assert not stages(db)
    return {"work": work, "data": small_data, "a": a, "b": b, "hashes": mart_hashes(b)}


# --------------------------------------------------------------------------- tests

def test_two_builds_give_byte_identical_marts(builds):
    first, second = mart_hashes(builds["a"]), builds["hashes"]
    assert len(second) >= 30
    differ = sorted(name for name in second if first.get(name) != second[name])
    assert set(first) == set(second) and not differ, f"marts that differ between two builds: {differ}"


def test_oldest_duckdb_client_reads_the_warehouse(builds, tmp_path):
    db = builds["a"]
    assert header_version(db) == 64  # storage_compatibility_version v1.0.0 (profiles.yml)
    target = tmp_path / f"duckdb-{OLDEST_CLIENT}"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check",
                              "--target", str(target), f"duckdb=={OLDEST_CLIENT}"],
                             capture_output=True, text=True, timeout=600)
    if install.returncode != 0:
        reason = (install.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"cannot install duckdb=={OLDEST_CLIENT} from the package index to test the old client: {reason}")
    script = (
        "import sys, duckdb\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "rows = con.execute(\"select table_schema, table_name from information_schema.tables "
        "where table_schema in ('staging', 'intermediate', 'marts') order by 1, 2\").fetchall()\n"
        "for schema, name in rows:\n"
        "    n = con.execute(f'select count(*) from \"{schema}\".\"{name}\"').fetchone()[0]\n"
        "    print(schema, name, n)\n"
        "print('version', duckdb.__version__)\n")
    env = dict(os.environ, PYTHONPATH=str(target))
    old = subprocess.run([sys.executable, "-c", script, str(db)], capture_output=True, text=True, env=env,
                         timeout=300)
    assert old.returncode == 0, old.stderr[-3000:]
    lines = old.stdout.splitlines()
    assert lines[-1] == f"version {OLDEST_CLIENT}"
    with duckdb.connect(str(db), read_only=True) as con:
        expected = [f"{s} {n} {con.execute(f'select count(*) from {s}.{n}').fetchone()[0]}"
                    for s, n in con.execute("select table_schema, table_name from information_schema.tables "
                                            "where table_schema in ('staging', 'intermediate', 'marts') "
                                            "order by 1, 2").fetchall()]
    assert lines[:-1] == expected


def test_a_writer_holding_the_file_stops_the_build_in_one_line(builds):
    db, work = builds["a"], builds["work"]
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time\n"
                               "con = duckdb.connect(sys.argv[1])\nprint('open', flush=True)\ntime.sleep(120)", str(db)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        result = cip_build(builds["data"], db, work)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    line = one_line_failure(result.stderr, "open for writing")
    assert f"PID {holder.pid}" in line
    assert not stages(db)


def test_a_failed_build_keeps_the_last_good_warehouse(builds, tmp_path):
    db, work = builds["a"], builds["work"]
    broken = copy_data(builds["data"], tmp_path / "broken", drop=("declarations",))
    result = cip_build(broken, db, work, "--full-refresh")
    assert result.returncode == 1, result.stdout[-3000:]
    line = one_line_failure(result.stderr, "failed")
    assert f"the warehouse {db} was not changed" in line
    log = Path(line.split("Log: ", 1)[1].strip())
    assert log.exists() and "dbt build" in log.read_text()
    assert not stages(db) and not db.with_name(db.name + ".wal").exists()
    assert mart_hashes(db) == builds["hashes"]


def test_sigterm_reaches_dbt_and_leaves_the_warehouse(builds):
    db, work = builds["a"], builds["work"]
    process, dbt_pid = start_build_and_wait_for_dbt(builds["data"], db, work)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=90)
    assert process.returncode == 128 + signal.SIGTERM
    one_line_failure(stderr, "stopped by SIGTERM")
    assert not alive(dbt_pid)
    assert not stages(db)
    assert mart_hashes(db) == builds["hashes"]


def test_a_killed_cip_takes_its_dbt_with_it(builds):
    db, work = builds["a"], builds["work"]
    process, dbt_pid = start_build_and_wait_for_dbt(builds["data"], db, work)
    process.kill()
    process.communicate(timeout=30)
    deadline = time.monotonic() + 30
    while alive(dbt_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(dbt_pid), "dbt kept running after cip was killed"
    assert mart_hashes(db) == builds["hashes"]
    assert stages(db)  # left behind by the kill; the next build removes it (next test)


def test_next_build_succeeds_while_a_reader_holds_the_file(builds):
    """Incremental (no --full-refresh) after the failed and killed builds above; a reader
    holding the old file keeps reading it, and the build swaps the new one in."""
    db, work = builds["a"], builds["work"]
    reader = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time\n"
         "con = duckdb.connect(sys.argv[1], read_only=True)\n"
         "print('open', flush=True)\n"
         "n = 0\n"
         "while sys.stdin.readline().strip() == 'query':\n"
         "    n += con.execute('select count(*) from marts.dim_operators').fetchone()[0] > 0\n"
         "    print(n, flush=True)\n", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert reader.stdout.readline().strip() == "open"
    inode = db.stat().st_ino
    output = open(work / "next_build.out", "w+")
    build = subprocess.Popen(_cip_build_cmd(builds["data"], db), cwd=ROOT, env=_env(work),
                             stdout=output, stderr=subprocess.STDOUT, text=True)
    queries = 0
    while build.poll() is None:  # the reader queries the warehouse throughout the build
        reader.stdin.write("query\n")
        reader.stdin.flush()
        queries = int(reader.stdout.readline())
        time.sleep(0.5)
    build.wait()
    output.seek(0)
    printed = output.read()
    output.close()
    reader.stdin.write("query\n")
    reader.stdin.flush()
    after = reader.stdout.readline().strip()
    reader.stdin.close()
    reader.wait(timeout=30)
    assert build.returncode == 0, printed[-4000:]
    assert reader.returncode == 0 and after == str(queries + 1), reader.stderr.read()
    assert queries >= 3
    assert db.stat().st_ino != inode  # a new file was swapped in
    assert not stages(db)
    assert mart_hashes(db) == builds["hashes"]  # and, built incrementally, it equals a fresh build


def test_failure_cause_names_the_failed_nodes():
    results = {"results": [
        {"unique_id": "test.customs_cip.assert_raw_rows_reconcile", "status": "fail", "message": "Got 3 results"},
        {"unique_id": "model.customs_cip.dim_operators", "status": "error",
         "message": "Compilation Error in model dim_operators (models/marts/x.sql)\n  Required source missing.\n"
                    "  \n  > in macro read_raw_source (macros/x.sql)"},
        {"unique_id": "model.customs_cip.other", "status": "success"}]}
    cause = failure_cause("", results)
    assert cause == ("2 dbt node(s) failed: test assert_raw_rows_reconcile (fail); "
                     "model dim_operators (error: Compilation Error: Required source missing.)")
    unreadable = {"results": [{"unique_id": "model.customs_cip.base_customs__control_results", "status": "error",
                               "message": "Runtime Error in model base_customs__control_results (models/b.sql)\n"
                                          "  Invalid Input Error: No magic bytes found at end of file "
                                          "'/data/control_results.parquet'"}]}
    cause = failure_cause("", unreadable)
    assert cause.startswith("1 dbt node(s) failed: model base_customs__control_results (error: Runtime Error: ")
    assert cause.endswith("The file /data/control_results.parquet could not be read (truncated, corrupt, or not the "
                          "format its name says): export it again, or move it out of the data folder if its rows "
                          "are not needed (docs/source_contract.md)")
    log = "12:00:01  Running with dbt\n12:00:02  Encountered an error:\nRuntime Error: no such file\n"
    assert failure_cause(log, None) == "Runtime Error: no such file"


def test_plain_dbt_build_is_documented_as_in_place():
    text = (ROOT / "docs" / "serving.md").read_text()
    assert "dbt build" in text and "in place" in text
    assert shutil.which("dbt") or (Path(sys.executable).parent / "dbt").exists()
