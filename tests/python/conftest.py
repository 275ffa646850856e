"""Shared fixtures: small generated data sets and isolated dbt runs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from cip.dbt import dbt_executable
from cip.paths import project_root

ROOT = project_root()


@pytest.fixture(scope="session")
def small_data(tmp_path_factory) -> Path:
    """A small generated data set (5k lines, some corruption), shared read-only by tests."""
    from cip.generate import generate

    out = tmp_path_factory.mktemp("small-data")
    generate(out, declarations=5000, seed=3, corrupt_rate=0.01, progress=False)
    return out


def copy_data(src: Path, dst: Path, drop: tuple[str, ...] = ()) -> Path:
    """Copy a data folder without the _truth folder and without the named tables."""
    dst.mkdir(parents=True, exist_ok=True)
    for path in src.iterdir():
        if path.name == "_truth" or path.stem in drop:
            continue
        if path.is_dir():
            shutil.copytree(path, dst / path.name)
        else:
            shutil.copy(path, dst / path.name)
    return dst


def run_dbt_isolated(args: list[str], data: Path, work: Path) -> subprocess.CompletedProcess:
    """dbt in the project with its own warehouse file, target and log folders."""
    env = dict(os.environ)
    env.update({
        "CIP_DATA_DIR": str(data),
        "CIP_DB_PATH": str(work / "warehouse.duckdb"),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_PROFILES_DIR": str(ROOT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    })
    return subprocess.run([dbt_executable(), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
