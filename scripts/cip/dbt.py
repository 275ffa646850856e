"""Running dbt from the CLI with the project's environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from cip.paths import data_dir, db_path, project_root


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


def run_dbt(args: list[str], data: Path | None = None, db: Path | None = None,
            quiet: bool = False) -> int:
    """Run `dbt <args>` in the project root; returns dbt's exit code."""
    env = dbt_env(data, db)
    Path(env["CIP_DB_PATH"]).parent.mkdir(parents=True, exist_ok=True)
    cmd = [dbt_executable(), *args]
    if not quiet:
        print(f"$ {' '.join(cmd)}   (data: {env['CIP_DATA_DIR']}, warehouse: {env['CIP_DB_PATH']})",
              flush=True)
    started = time.monotonic()
    completed = subprocess.run(cmd, cwd=project_root(), env=env,
                               stdout=subprocess.DEVNULL if quiet else None)
    if not quiet:
        print(f"dbt {args[0]} finished in {time.monotonic() - started:.1f}s "
              f"with exit code {completed.returncode}", flush=True)
    return completed.returncode


def last_run_results(target_path: Path | None = None) -> dict:
    target = target_path or project_root() / os.environ.get("DBT_TARGET_PATH", "target")
    path = target / "run_results.json"
    return json.loads(path.read_text()) if path.exists() else {}
