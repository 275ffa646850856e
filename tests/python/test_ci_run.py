"""`.ci/run` stops the Postgres that `make test` started, also when the tests fail, and keeps
make's exit code; a Postgres that was already running is left alone (not ours).

A copy of .ci/run and scripts/postgres.sh runs with a stand-in `make` first on PATH that
starts the server (as `make test` does) and fails with exit code 3."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FAKE_MAKE = """#!/usr/bin/env bash
bash scripts/postgres.sh start >/dev/null || exit 99
exit 3
"""


def _has_postgres() -> bool:
    return any(Path(d, "pg_ctl").exists() for d in [*Path("/usr/lib/postgresql").glob("*/bin"),
                                                    Path("/usr/local/bin"), Path("/usr/bin")])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


@pytest.fixture
def project():
    if not _has_postgres():
        pytest.skip("no PostgreSQL binaries (pg_ctl) on this machine")
    # not pytest's tmp_path: as root the server runs as user postgres, who must reach the folder
    root = Path(tempfile.mkdtemp(prefix="cip-ci-run-", dir="/tmp"))
    root.chmod(0o755)
    (root / ".ci").mkdir()
    (root / "scripts").mkdir()
    (root / "bin").mkdir()
    shutil.copy(ROOT / ".ci" / "run", root / ".ci" / "run")
    shutil.copy(ROOT / "scripts" / "postgres.sh", root / "scripts" / "postgres.sh")
    make = root / "bin" / "make"
    make.write_text(FAKE_MAKE)
    make.chmod(0o755)
    env = dict(os.environ, PATH=f"{root / 'bin'}:{os.environ['PATH']}", CIP_PG_DIR=str(root / "pg"),
               CIP_PG_PORT=str(_free_port()))
    yield root, env
    subprocess.run(["bash", str(root / "scripts" / "postgres.sh"), "stop"], env=env, capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


def _status(root: Path, env: dict) -> int:
    return subprocess.run(["bash", str(root / "scripts" / "postgres.sh"), "status"], env=env,
                          capture_output=True).returncode


def test_ci_run_stops_the_postgres_it_started_and_keeps_the_exit_code(project):
    root, env = project
    done = subprocess.run(["bash", str(root / ".ci" / "run")], env=env, capture_output=True, text=True)
    assert done.returncode == 3, done.stdout + done.stderr
    assert _status(root, env) == 1, "the Postgres started by the tests is still running"


def test_ci_run_leaves_a_postgres_running_before_it(project):
    root, env = project
    subprocess.run(["bash", str(root / "scripts" / "postgres.sh"), "start"], env=env, check=True, capture_output=True)
    done = subprocess.run(["bash", str(root / ".ci" / "run")], env=env, capture_output=True, text=True)
    assert done.returncode == 3, done.stdout + done.stderr
    assert _status(root, env) == 0, "a Postgres that was running before .ci/run was stopped"
