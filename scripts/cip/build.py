"""Build the warehouse with dbt and print what was built (`cip build`; `cip demo` uses it too).

Blue/green (docs/serving.md): dbt builds a copy of the warehouse in a folder next to it
(`.<name>.build/<name>`), and the copy replaces the warehouse in one atomic rename
only when every dbt node and test passed. Readers of the old file keep reading it (on Linux
an open file survives the rename); new readers open the new one. A failed, interrupted or
killed build leaves the last good warehouse as it was, and the next build starts again
from it (incremental models included), without --full-refresh.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import re
import shutil
import signal
import struct
import sys
import time
from pathlib import Path
from typing import IO, Iterator

from cip.dbt import Interrupted, SignalForwarder, run_dbt
from cip.paths import data_dir, db_path, project_root
from cip.summary import print_summary

HELP_BUILD = ("Run `dbt build` (seeds, models, tests) on a data folder into a copy of the warehouse, "
              "swap it in when every test passed, and print a summary.")

# the storage format new warehouse files are written in; profiles.yml reads the same variable
DEFAULT_STORAGE_VERSION = "v1.0.0"
FICLONE = 0x40049409  # Linux ioctl: copy-on-write clone of a file (btrfs, xfs); else a plain copy


class BuildError(Exception):
    """A build that cannot go on; the message is the one line shown to the user."""


def add_build_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=None, help="raw data folder (default: CIP_DATA_DIR or data/demo)")
    parser.add_argument("--db", type=Path, default=None, help="DuckDB file (default: CIP_DB_PATH or warehouse/customs_cip.duckdb)")
    parser.add_argument("--select", default=None, help="dbt selection (default: everything)")
    parser.add_argument("--full-refresh", action="store_true", help="rebuild incremental models from scratch")
    parser.add_argument("--vars", default=None, help="dbt vars as YAML, e.g. \"{as_of_date: '2025-06-30'}\"")
    parser.add_argument("--with-unit-tests", action="store_true",
                        help="also run dbt's unit tests (they test the SQL, not the data: `make test-build` and CI "
                             "run them; a production build leaves them out)")


def build_command(args: argparse.Namespace) -> list[str]:
    """The dbt arguments of `cip build`. Unit tests check the models' SQL on fixed rows, so their
    result does not depend on the data: CI runs them, and a production build (where they cost
    1-2.5 s each) leaves them out unless --with-unit-tests. Data tests always run."""
    dbt_args = ["build"]
    if not args.with_unit_tests:
        dbt_args += ["--exclude-resource-type", "unit_test"]
    if args.select:
        dbt_args += ["--select", args.select]
    if args.full_refresh:
        dbt_args.append("--full-refresh")
    if args.vars:
        dbt_args += ["--vars", args.vars]
    return dbt_args


def effective_data_folder(args: argparse.Namespace) -> Path:
    """The folder dbt will read: var data_dir of --vars when given (it overrides CIP_DATA_DIR in
    dbt_project.yml), else --data, else CIP_DATA_DIR / data/demo."""
    import yaml

    given = (yaml.safe_load(args.vars) or {}).get("data_dir") if getattr(args, "vars", None) else None
    return Path(str(given)) if given else (Path(args.data) if args.data else data_dir())


def run_build(args: argparse.Namespace) -> int:
    try:
        check_data_folder(effective_data_folder(args))
        check_config_seeds()
    except BuildError as error:
        print(f"cip build: failed: {error}", file=sys.stderr, flush=True)
        return 1
    return build_warehouse(build_command(args), data=args.data, db=args.db)


def check_config_seeds() -> None:
    """Stop before dbt starts when a seed edited by hand breaks a rule declared for it, naming
    the file, line, value and fix (cip.seed_check); dbt would only name the failed test."""
    from cip.seed_check import check_seeds

    problems = check_seeds()
    if problems:
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise BuildError("the configuration seeds break their rules: " + "; ".join(problems[:10]) + more
                         + ". Fix the CSV file(s) and build again (docs/configuration.md)")


def check_data_folder(folder: Path) -> None:
    """Stop before dbt starts when the data folder is missing or holds no raw file at all
    (a wrong --data or CIP_DATA_DIR), rather than one error per required source."""
    from cip.contract import load_contract
    from cip.raw_csv import raw_files, unfinished_last_line

    if not folder.is_dir():
        raise BuildError(f"the data folder {folder} does not exist: give the folder of the raw files with "
                         "--data DIR or CIP_DATA_DIR (docs/source_contract.md)")
    tables = [table.name for table in load_contract().values()]
    if not any(raw_files(folder, name) for name in tables):
        present = sorted(p.name for p in folder.iterdir())[:8]
        raise BuildError(f"the data folder {folder} holds none of the raw files (<table>.parquet, <table>/*.parquet, "
                         f"<table>.csv or <table>.csv.gz for {', '.join(tables[:3])}, ...)"
                         + (f"; it holds {', '.join(present)}" if present else "; it is empty")
                         + ". Give the right folder with --data DIR or CIP_DATA_DIR (docs/source_contract.md)")
    for name in tables:
        for path in raw_files(folder, name):
            cut = unfinished_last_line(path)
            if cut:
                raise BuildError(cut)


# --------------------------------------------------------------------------- blue/green build

def storage_version() -> str:
    return os.environ.get("CIP_STORAGE_VERSION", DEFAULT_STORAGE_VERSION)


def stage_dir(target: Path) -> Path:
    """The folder of a build in progress: next to the warehouse, so the rename is atomic.
    Always the same path (the build lock allows one build at a time): dbt hashes the profile,
    whose path is this file, and a new path every build would cost a full re-parse."""
    return target.parent / f".{target.name}.build"


def log_path(target: Path) -> Path:
    folder = Path(os.environ.get("DBT_LOG_PATH") or project_root() / "logs")
    return folder / f"cip_build_{target.stem}.log"


def header_version(path: Path) -> int | None:
    """The storage version number in a DuckDB file's header (64 = readable by every 1.x)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(20)
    except OSError:
        return None
    if len(head) < 20 or head[8:12] != b"DUCK":
        return None
    return struct.unpack("<Q", head[12:20])[0]


def _configured_header_version(folder: Path) -> int | None:
    """The header version DuckDB writes for the configured storage version (a tiny probe file)."""
    import duckdb

    probe = folder / "storage-probe.duckdb"
    try:
        duckdb.connect(str(probe), config={"storage_compatibility_version": storage_version()}).close()
        return header_version(probe)
    finally:
        for path in (probe, probe.with_name(probe.name + ".wal")):
            path.unlink(missing_ok=True)


@contextlib.contextmanager
def build_lock(target: Path) -> Iterator[None]:
    """One cip build per warehouse at a time (an advisory lock next to it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = target.parent / f".{target.name}.lock"
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise BuildError(f"another cip build of {target} is running ({holder}); wait for it to finish")
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()


def remove_stale_stages(target: Path) -> None:
    """Folders left by builds that were killed (only called under the build lock)."""
    for folder in target.parent.glob(f".{target.name}.build*"):
        shutil.rmtree(folder, ignore_errors=True)


def check_not_written(target: Path) -> None:
    """Stop with one line when another process holds the warehouse open for writing."""
    import duckdb

    try:
        duckdb.connect(str(target), read_only=True).close()
    except duckdb.Error as error:
        text = str(error)
        if "lock" in text.lower():
            holder = re.search(r"is held in (.+?)(?:\. See|$)", text)
            who = f" by {holder.group(1).strip()}" if holder else ""
            raise BuildError(
                f"{target} is open for writing{who}: close that program, or open the warehouse "
                f"read-only (duckdb -readonly FILE, duckdb.connect(FILE, read_only=True))") from None
        raise BuildError(f"cannot read the current warehouse {target}: {text.splitlines()[0]}") from None


def _clone_or_copy(source: Path, destination: Path) -> None:
    with open(source, "rb") as src, open(destination, "wb") as dst:
        try:
            fcntl.ioctl(dst.fileno(), FICLONE, src.fileno())
            return
        except OSError:
            pass
    shutil.copyfile(source, destination)


def seed_stage(target: Path, new: Path, log: IO[str]) -> str:
    """Start the new file from the last good warehouse; returns how, for the log."""
    if not target.exists():
        return "new warehouse file"
    check_not_written(target)
    started = time.monotonic()
    wanted = _configured_header_version(new.parent) if storage_version() != "latest" else None
    found = header_version(target)
    if wanted is None or found == wanted:
        _clone_or_copy(target, new)
        wal = target.with_name(target.name + ".wal")
        if wal.exists():  # committed work not yet checkpointed: DuckDB replays it when dbt opens the copy
            _clone_or_copy(wal, new.with_name(new.name + ".wal"))
        how = "copied"
    else:
        _migrate(target, new)
        how = f"converted from storage version {found} to {storage_version()} (once)"
    seconds = time.monotonic() - started
    log.write(f"previous warehouse {target} {how} in {seconds:.2f}s\n")
    return f"{how} in {seconds:.1f}s"


def _migrate(target: Path, new: Path) -> None:
    """COPY FROM DATABASE into a file of the configured storage version (readable by DuckDB 1.x)."""
    import duckdb

    con = duckdb.connect(str(new), config={"storage_compatibility_version": storage_version()})
    try:
        quoted = str(target).replace("'", "''")
        con.execute(f"attach '{quoted}' as cip_previous_warehouse (read_only)")
        catalog = con.execute("select current_database()").fetchone()[0]
        con.execute(f'copy from database cip_previous_warehouse to "{catalog}"')
        con.execute("detach cip_previous_warehouse")
        con.execute("checkpoint")
    finally:
        con.close()


def finalize_stage(new: Path) -> None:
    """Checkpoint the new file so it is complete without a WAL, then check it opens."""
    import duckdb

    con = duckdb.connect(str(new))
    try:
        con.execute("checkpoint")
    finally:
        con.close()
    if new.with_name(new.name + ".wal").exists():
        raise BuildError(f"the new warehouse {new} kept a write-ahead log after its checkpoint")


def swap_in(new: Path, target: Path) -> None:
    """Atomically replace the warehouse with the new file (same folder tree, one rename)."""
    stale_wal = target.with_name(target.name + ".wal")
    if stale_wal.exists():  # belongs to the old file: it must never be replayed onto the new one
        os.replace(stale_wal, new.parent / "previous.wal")
    os.replace(new, target)
    try:
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    except OSError:
        pass


def failure_cause(log_text: str, results: dict | None, data: Path | None = None) -> str:
    """One line: the failed nodes from run_results.json, else dbt's last error line. `data`: the
    raw data folder, searched for the file an engine error does not name."""
    failed = [r for r in (results or {}).get("results", []) if r.get("status") in ("error", "fail", "runtime error")]
    if failed:
        names = []
        for result in failed[:3]:
            node = result.get("unique_id", "?").split(".")
            kind, name = node[0], node[-1]
            detail = f": {_error_text(result.get('message') or '')}" if result.get("status") == "error" else ""
            names.append(f"{kind} {name} ({result.get('status')}{detail})")
        more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
        return (f"{len(failed)} dbt node(s) failed: " + "; ".join(names) + more + unreadable_file_hint(failed, data)
                + spill_hint(failed))
    lines = [line.strip() for line in log_text.splitlines() if line.strip()]
    for line in reversed(lines):
        clean = re.sub(r"\x1b\[[0-9;]*m", "", line)
        clean = re.sub(r"^\d\d:\d\d:\d\d\s+", "", clean)
        if re.search(r"(Error|Exception|error:|failed)", clean) and not clean.startswith("$ "):
            return clean[:300]
    return "dbt stopped with an error"


def unreadable_file_hint(failed: list[dict], data: Path | None = None) -> str:
    """The fix when an engine error names a raw data file: a CSV that is not UTF-8 is saved
    again as UTF-8 or read with var csv_encoding; whatever else broke the read (a truncated
    copy, a corrupt page, another format under the name), the file must be exported again.
    DuckDB's "File is not latin-1 encoded" names no file: the data folder's CSVs are searched
    for the line it could not decode (cip.raw_csv.latin1_problem)."""
    for result in failed:
        if result.get("status") == "error" and "not latin-1 encoded" in (result.get("message") or ""):
            return ". " + _latin1_culprit(Path(data) if data else data_dir())
    for result in failed:
        message = result.get("message") or ""
        if result.get("status") == "error" and re.search(r"not utf-8 encoded|Invalid unicode", message):
            line = re.search(r"CSV Error on Line: (\d+)", message)
            file = re.search(r"file = (.+)$", message, re.M)
            path = Path(file.group(1).strip()) if file else None
            if path is not None and path.is_file():
                from cip.raw_csv import latin1_problem

                windows = latin1_problem(path)
                if windows and "Windows-1252" in windows:   # latin-1 would not read it either
                    return f". The CSV file {path} is not UTF-8: {windows.split(f'CSV file {path} ', 1)[-1]}"
            return (f". The CSV file {file.group(1).strip() if file else ''} is not UTF-8"
                    f"{' (line ' + line.group(1) + ')' if line else ''}: save it as UTF-8, or read a Windows / "
                    "ISO-8859-1 export with --vars '{csv_encoding: latin-1}' (docs/source_contract.md)")
    for result in failed:
        found = re.search(r"""['"]([^'"]+\.(?:parquet|csv|csv\.gz))['"]""", result.get("message") or "")
        if result.get("status") == "error" and found:
            return (f". The file {found.group(1)} could not be read (truncated, corrupt, or not the format its "
                    "name says): export it again, or move it out of the data folder if its rows are not needed "
                    "(docs/source_contract.md)")
    return ""


def _latin1_culprit(folder: Path) -> str:
    from cip.contract import load_contract
    from cip.raw_csv import is_csv, latin1_problem, raw_files

    for table in load_contract().values():
        for path in raw_files(folder, table.name):
            problem = is_csv(path) and latin1_problem(path)
            if problem:
                return problem
    return ("A CSV file of the data folder cannot be read as latin-1 (var csv_encoding): save it as UTF-8 and drop "
            "the var (docs/source_contract.md)")


def spill_hint(failed: list[dict]) -> str:
    """The fix when DuckDB could not spill: its temporary folder (profiles.yml temp_directory)
    is full, over its cap, or cannot be created or written."""
    for result in failed:
        message = result.get("message") or ""
        if result.get("status") != "error":
            continue
        if "max_temp_directory_size" in message or "Out of temp space" in message:
            return (". DuckDB's spill folder reached its cap or filled its disk: free space there, raise CIP_MAX_TEMP_SIZE, "
                    "move it with CIP_TEMP_DIRECTORY to a disk with room, or raise CIP_MEMORY_LIMIT (docs/benchmarks.md)")
        if re.search(r"(Failed to create directory|Permission denied|Read-only file system|No space left)", message):
            return (". A folder DuckDB writes to (the warehouse folder, or its spill folder CIP_TEMP_DIRECTORY, default "
                    "<warehouse>.tmp) cannot be written: make it writable with room, or point CIP_TEMP_DIRECTORY "
                    "at one that is")
    return ""


def _error_text(message: str, limit: int = 300) -> str:
    """dbt's error message on one line: its kind and reason, without the path and macro stack."""
    lines = [line.strip() for line in message.strip().splitlines()]
    lines = [line for line in lines if line and not line.startswith(">")]
    if not lines:
        return ""
    head = re.sub(r"\s+in (model|test|seed|snapshot|unit_test) \S+( \([^)]*\))?$", "", lines[0])
    text = head + (": " + " ".join(lines[1:]) if len(lines) > 1 else "")
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _run_results(since: float) -> dict | None:
    target = Path(os.environ.get("DBT_TARGET_PATH") or project_root() / "target")
    path = target / "run_results.json"
    try:
        if path.stat().st_mtime + 1 < since:
            return None
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def build_warehouse(dbt_args: list[str], data: Path | None = None, db: Path | None = None,
                    summary: bool = True) -> int:
    """Blue/green `dbt <dbt_args>`: returns 0 when the new warehouse is in place."""
    target = Path(db or db_path()).resolve()
    log_file = log_path(target)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    stage = stage_dir(target)
    new = stage / target.name
    started = time.time()
    locked = False  # the log belongs to the build holding the lock: another build leaves it alone
    with open(log_file, "a") as log, SignalForwarder() as forwarder:
        try:
            with build_lock(target):
                locked = True
                log.truncate(0)
                log.write(f"cip build {dt.datetime.now().isoformat(timespec='seconds')}: {' '.join(dbt_args)}\n")
                remove_stale_stages(target)
                stage.mkdir()
                try:
                    how = seed_stage(target, new, log)
                    print(f"cip: building into {new} ({how}); the warehouse {target} stays readable", flush=True)
                    code = run_dbt(dbt_args, data=data, db=new, log=log, forwarder=forwarder)
                    if code != 0:
                        log.flush()
                        cause = failure_cause(log_file.read_text(errors="replace"), _run_results(started), data)
                        raise BuildError(f"{cause} - the warehouse {target} was not changed")
                    finalize_stage(new)
                    swap_in(new, target)
                finally:
                    shutil.rmtree(stage, ignore_errors=True)
        except Interrupted as stop:
            message = (f"cip build: stopped by {signal_name(stop.signum)}; the warehouse {target} was not "
                       f"changed. Log: {log_file}")
            if locked:
                log.write(message + "\n")
            print(message, file=sys.stderr, flush=True)
            return stop.exit_code
        except BuildError as error:
            message = f"cip build: failed: {error}. Log: {log_file}"
            if locked:
                log.write(message + "\n")
            print(message, file=sys.stderr, flush=True)
            return 1
        except OSError as error:  # disk full, permissions, ...
            message = f"cip build: failed: {error} - the warehouse {target} was not changed. Log: {log_file}"
            if locked:
                log.write(message + "\n")
            print(message, file=sys.stderr, flush=True)
            return 1
        log.write(f"swapped in {target}\n")
    print(f"cip: the new warehouse is in place: {target}", flush=True)
    if summary:
        print_summary(target)
    return 0


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name
