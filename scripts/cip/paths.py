"""Where things live: the project root, its vars, the data folder, the warehouse file."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The folder holding dbt_project.yml: this package's checkout, else the cwd upwards."""
    here = Path(__file__).resolve().parents[2]
    if (here / "dbt_project.yml").exists():
        return here
    for folder in [Path.cwd(), *Path.cwd().parents]:
        if (folder / "dbt_project.yml").exists():
            return folder
    raise SystemExit("cip: no dbt_project.yml found; run cip inside the customs-cip checkout")


def data_dir() -> Path:
    return Path(os.environ.get("CIP_DATA_DIR", project_root() / "data" / "demo")).resolve()


def db_path() -> Path:
    path = Path(os.environ.get("CIP_DB_PATH", project_root() / "warehouse" / "customs_cip.duckdb"))
    return path if path.is_absolute() else (project_root() / path)


def load_vars(overrides: str | dict | None = None) -> dict:
    """The project's vars from dbt_project.yml, overridden like `dbt --vars`."""
    import yaml

    project = yaml.safe_load((project_root() / "dbt_project.yml").read_text())
    values = dict(project.get("vars") or {})
    if isinstance(overrides, str) and overrides.strip():
        overrides = yaml.safe_load(overrides)
    if overrides:
        values.update(overrides)
    return values
