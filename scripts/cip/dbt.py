"""Running dbt from the CLI with the project's environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from cip.paths import data_dir, db_path, project_root
from cip.progress import Progress, dbt_node_progress


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
    if quiet:
        completed = subprocess.run(cmd, cwd=project_root(), env=env, stdout=subprocess.DEVNULL)
        return completed.returncode
    # stream dbt's own lines and add, every tenth of the nodes, the time left
    progress = Progress({args[0]: 1.0}, label="cip", enabled=True)
    progress.start(args[0], note=" ".join(args[1:]))
    finished, next_report = 0, 0.1
    with subprocess.Popen(cmd, cwd=project_root(), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, bufsize=1) as process:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(line)
            node = dbt_node_progress(line)
            if node:
                finished += 1
                if finished / node[1] >= next_report:
                    sys.stdout.flush()
                    progress.update(args[0], finished, node[1], "nodes")
                    next_report += 0.1
        returncode = process.wait()
    progress.finish(args[0])
    print(f"dbt {args[0]} finished in {time.monotonic() - started:.1f}s with exit code {returncode}", flush=True)
    return returncode


def last_run_results(target_path: Path | None = None) -> dict:
    target = target_path or project_root() / os.environ.get("DBT_TARGET_PATH", "target")
    path = target / "run_results.json"
    return json.loads(path.read_text()) if path.exists() else {}
