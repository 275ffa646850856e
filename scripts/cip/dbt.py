"""Running dbt from the CLI with the project's environment.

dbt runs as a child process in its own session, so that a Ctrl-C in the terminal reaches
`cip` only: `cip` forwards SIGINT and SIGTERM (and SIGHUP) to dbt, waits for it to stop,
and a second signal kills it. On Linux the child also gets SIGTERM when `cip` itself dies
(even by SIGKILL), so a killed `cip` never leaves a dbt holding the warehouse.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from cip import schedule
from cip.paths import data_dir, db_path, project_root
from cip.progress import Progress, dbt_node_progress

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# after a forwarded signal, how long dbt gets to cancel its queries before it is killed
STOP_GRACE_SECONDS = 30.0


class Interrupted(Exception):
    """cip received SIGINT/SIGTERM/SIGHUP; its dbt child (if any) has been stopped."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def dbt_env(data: Path | None = None, db: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["CIP_DATA_DIR"] = str((data or data_dir()).resolve())
    env["CIP_DB_PATH"] = str((db or db_path()).resolve())
    env.setdefault("DBT_PROFILES_DIR", str(project_root()))
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    return env


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: SIGTERM this process when the cip process that started it dies."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class SignalForwarder:
    """While active, SIGINT/SIGTERM/SIGHUP are forwarded to the running child; with no child
    running they raise Interrupted at once. Use as a context manager around a whole build, so
    that the steps before and after dbt (copying the warehouse, swapping it in) stop cleanly too."""

    def __init__(self) -> None:
        self.child: subprocess.Popen | None = None
        self.received: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> "SignalForwarder":
        for signum in FORWARDED_SIGNALS:
            try:
                self._previous[signum] = signal.signal(signum, self._handle)
            except ValueError:  # not the main thread: leave signals alone
                break
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum, frame) -> None:
        child = self.child
        if child is None or child.poll() is not None:
            self.received = signum
            raise Interrupted(signum)
        if self.received is not None:  # second signal: no more waiting
            child.kill()
            return
        self.received = signum
        try:
            child.send_signal(signal.SIGINT if signum == signal.SIGHUP else signum)
        except ProcessLookupError:
            pass

    def wait(self, process: subprocess.Popen) -> int:
        """Wait for the child; after a forwarded signal, kill it when it overstays its grace."""
        deadline = None
        while True:
            if self.received is not None and deadline is None:
                deadline = time.monotonic() + STOP_GRACE_SECONDS
            try:
                return process.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                if deadline is not None and time.monotonic() > deadline:
                    process.kill()


def run_dbt(args: list[str], data: Path | None = None, db: Path | None = None,
            quiet: bool = False, log: IO[str] | None = None,
            forwarder: SignalForwarder | None = None) -> int:
    """Run `dbt <args>` in the project root; returns dbt's exit code. `build`, `run` and `test`
    run through cip.schedule (the critical path first; CIP_SCHEDULE=dbt for dbt's order).

    Every line dbt prints also goes to `log` when given. A Python traceback printed by dbt
    goes to the log only; the console gets its last line. SIGINT/SIGTERM/SIGHUP are
    forwarded to dbt; when one arrived, Interrupted is raised after dbt has stopped."""
    env = dbt_env(data, db)
    Path(env["CIP_DB_PATH"]).parent.mkdir(parents=True, exist_ok=True)
    cmd = schedule.command(*args)  # graph commands: critical path first (cip.schedule)
    own = forwarder is None
    forwarder = forwarder or SignalForwarder()
    if own:
        forwarder.__enter__()
    try:
        return _run(cmd, args, env, quiet, log, forwarder)
    finally:
        if own:
            forwarder.__exit__(None, None, None)


def shown_command(cmd: list[str], args: list[str]) -> str:
    """The command as a user would type it (`dbt build ...`), saying when cip.schedule runs it."""
    if cmd[1:3] == ["-m", "cip.schedule"]:
        return f"dbt {' '.join(args)}   (run by python -m cip.schedule: critical path first)"
    return ' '.join(cmd)


def _run(cmd, args, env, quiet, log, forwarder: SignalForwarder) -> int:
    shown = shown_command(cmd, args)
    if not quiet:
        print(f"$ {shown}   (data: {env['CIP_DATA_DIR']}, warehouse: {env['CIP_DB_PATH']})", flush=True)
    if log is not None:
        log.write(f"$ {shown}\n  CIP_DATA_DIR={env['CIP_DATA_DIR']}\n  CIP_DB_PATH={env['CIP_DB_PATH']}\n")
        log.flush()
    started = time.monotonic()
    popen = dict(cwd=project_root(), env=env, start_new_session=True,
                 preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
    if quiet and log is None:
        process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, **popen)
        forwarder.child = process
        returncode = forwarder.wait(process)
        forwarder.child = None
        if forwarder.received is not None:
            raise Interrupted(forwarder.received)
        return returncode
    # stream dbt's own lines and add, every tenth of the nodes, the time left
    progress = Progress({args[0]: 1.0}, label="cip", enabled=not quiet)
    progress.start(args[0], note=" ".join(args[1:]))
    finished, next_report = 0, 0.1
    in_traceback = False
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               bufsize=1, **popen)
    forwarder.child = process
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if log is not None:
                log.write(line)
            if line.startswith("Traceback (most recent call last)"):
                in_traceback = True
            elif in_traceback and re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt)\b", line):
                in_traceback = False
                if not quiet:
                    sys.stdout.write(line)
                continue
            if in_traceback or quiet:
                continue
            sys.stdout.write(line)
            node = dbt_node_progress(line)
            if node:
                finished += 1
                if finished / node[1] >= next_report:
                    sys.stdout.flush()
                    progress.update(args[0], finished, node[1], "nodes")
                    next_report += 0.1
        returncode = forwarder.wait(process)
    finally:
        if process.poll() is None:  # an exception while reading: never leave dbt running
            process.kill()
            process.wait()
        forwarder.child = None
        if process.stdout is not None:
            process.stdout.close()
        if log is not None:
            log.flush()
    if forwarder.received is not None:
        raise Interrupted(forwarder.received)
    if returncode == 0:
        progress.finish(args[0])
    if not quiet:
        print(f"dbt {args[0]} finished in {time.monotonic() - started:.1f}s with exit code {returncode}",
              flush=True)
    return returncode


def last_run_results(target_path: Path | None = None) -> dict:
    target = target_path or project_root() / os.environ.get("DBT_TARGET_PATH", "target")
    path = target / "run_results.json"
    return json.loads(path.read_text()) if path.exists() else {}
