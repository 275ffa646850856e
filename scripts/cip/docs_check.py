"""Documentation coverage of the dbt project (`cip docs-check`), from target/manifest.json.

Run `dbt parse` (or `dbt docs generate`) first, or pass --parse to let this command parse
into a temporary target folder. What is checked, so an auditor can trace every figure:

fails on (exit code 1)
  - a model without a description;
  - a mart column without a description (declared columns in the manifest; with a
    catalog.json beside the manifest, columns of the built table that the yml does not
    declare count as undocumented too; a mart declaring no column at all fails);
  - a mart whose description does not name a requirement id of the method (M1..M22).
reports without failing
  - a model without a primary-key-like test: a `unique` test, a
    unique_combination_of_columns test, a singular test whose name says it checks
    uniqueness, or a primary_key / unique constraint in the model's contract.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cip.paths import project_root

HELP = "Check documentation coverage in the dbt manifest (descriptions, M-ids, primary-key tests)."

M_ID = re.compile(r"\bM\d+\b")
UNIQUE_TESTS = {"unique", "unique_combination_of_columns", "dbt_utils.unique_combination_of_columns"}


@dataclass
class CoverageReport:
    models: int = 0
    marts: int = 0
    models_without_description: list[str] = field(default_factory=list)
    mart_columns_without_description: dict[str, list[str]] = field(default_factory=dict)
    marts_without_columns: list[str] = field(default_factory=list)
    marts_without_m_id: list[str] = field(default_factory=list)
    models_without_primary_key_test: list[str] = field(default_factory=list)

    @property
    def failures(self) -> int:
        return (len(self.models_without_description)
                + sum(len(columns) for columns in self.mart_columns_without_description.values())
                + len(self.marts_without_columns) + len(self.marts_without_m_id))

    @property
    def ok(self) -> bool:
        return self.failures == 0

    def format(self) -> str:
        lines = [f"docs-check: {self.models} models, {self.marts} marts"]

        def block(title: str, items: list[str]) -> None:
            lines.append(f"{title}: {len(items)}")
            lines.extend(f"  - {item}" for item in items)

        block("FAIL models without a description", self.models_without_description)
        column_items = [f"{model}: {', '.join(columns)}"
                        for model, columns in sorted(self.mart_columns_without_description.items())]
        lines.append(f"FAIL mart columns without a description: "
                     f"{sum(len(columns) for columns in self.mart_columns_without_description.values())}")
        lines.extend(f"  - {item}" for item in column_items)
        block("FAIL marts declaring no column in their yml", self.marts_without_columns)
        block("FAIL marts whose description names no M-id", self.marts_without_m_id)
        block("WARN models without a primary-key-like test", self.models_without_primary_key_test)
        lines.append("docs-check: " + ("OK" if self.ok else f"FAILED ({self.failures} problems)"))
        return "\n".join(lines)


def is_mart(node: dict[str, Any]) -> bool:
    path = str(node.get("original_file_path", "")).replace("\\", "/")
    return path.startswith("models/marts/") or (len(node.get("fqn", [])) > 1 and node["fqn"][1] == "marts")


def primary_key_tested(manifest: dict[str, Any]) -> set[str]:
    """unique_ids of the models with a primary-key-like test or constraint."""
    tested: set[str] = set()
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "test":
            continue
        metadata = node.get("test_metadata") or {}
        name = metadata.get("name")
        namespace = metadata.get("namespace")
        full_name = f"{namespace}.{name}" if namespace else name
        models = [unique_id for unique_id in node.get("depends_on", {}).get("nodes", [])
                  if unique_id.startswith("model.")]
        if name in UNIQUE_TESTS or full_name in UNIQUE_TESTS:
            attached = node.get("attached_node")
            tested.update([attached] if attached else models)
        elif not metadata and re.search(r"unique", node.get("name", "")) and len(models) == 1:
            tested.update(models)
    for unique_id, node in manifest.get("nodes", {}).items():
        if node.get("resource_type") != "model":
            continue
        constraints = list(node.get("constraints") or [])
        for column in (node.get("columns") or {}).values():
            constraints += column.get("constraints") or []
        if any(constraint.get("type") in ("primary_key", "unique") for constraint in constraints):
            tested.add(unique_id)
    return tested


def check(manifest: dict[str, Any], catalog: dict[str, Any] | None = None,
          project: str | None = None) -> CoverageReport:
    report = CoverageReport()
    project = project or manifest.get("metadata", {}).get("project_name")
    tested = primary_key_tested(manifest)
    catalog_nodes = (catalog or {}).get("nodes", {})
    models = sorted(
        (node for node in manifest.get("nodes", {}).values()
         if node.get("resource_type") == "model" and (project is None or node.get("package_name") == project)),
        key=lambda node: node["name"])
    for node in models:
        name = node["name"]
        report.models += 1
        description = (node.get("description") or "").strip()
        if not description:
            report.models_without_description.append(name)
        if node["unique_id"] not in tested:
            report.models_without_primary_key_test.append(name)
        if not is_mart(node):
            continue
        report.marts += 1
        if description and not M_ID.search(description):
            report.marts_without_m_id.append(name)
        declared = {column_name.lower(): (meta.get("description") or "").strip()
                    for column_name, meta in (node.get("columns") or {}).items()}
        built = [column.lower() for column in
                 (catalog_nodes.get(node["unique_id"], {}).get("columns") or {})]
        if not declared and not built:
            report.marts_without_columns.append(name)
            continue
        undocumented = [column for column, text in declared.items() if not text]
        undocumented += [column for column in built if column not in declared | catalogue_columns(node)]
        if undocumented:
            report.mart_columns_without_description[name] = sorted(set(undocumented))
    return report


def catalogue_columns(node: dict[str, Any]) -> dict[str, str]:
    """Columns a mart declares documented by a seed's rows (config meta columns_documented_by:
    indicator_catalogue): one per indicator_code in lowercase, described by its row."""
    meta = {**(node.get("meta") or {}), **((node.get("config") or {}).get("meta") or {})}
    if meta.get("columns_documented_by") != "indicator_catalogue":
        return {}
    import csv

    path = project_root() / "seeds" / "config" / "indicator_catalogue.csv"
    with path.open(newline="") as handle:
        return {row["indicator_code"].lower(): row["indicator_name"] for row in csv.DictReader(handle)}


def default_manifest() -> Path:
    return project_root() / os.environ.get("DBT_TARGET_PATH", "target") / "manifest.json"


def parse_project(target_path: Path) -> Path:
    """`dbt parse` into target_path; returns the manifest path."""
    from cip.dbt import dbt_env, dbt_executable

    env = dbt_env()
    env["DBT_TARGET_PATH"] = str(target_path)
    completed = subprocess.run([dbt_executable(), "parse", "--target-path", str(target_path)],
                               cwd=project_root(), env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-2000:]}")
    return Path(target_path) / "manifest.json"


def run_check(manifest_path: Path, catalog_path: Path | None = None) -> CoverageReport:
    manifest = json.loads(Path(manifest_path).read_text())
    catalog_path = catalog_path or Path(manifest_path).with_name("catalog.json")
    catalog = json.loads(catalog_path.read_text()) if catalog_path.exists() else None
    return check(manifest, catalog)


def methodology_map(manifest: dict[str, Any]) -> str:
    """Markdown: for each requirement M1..M22, the models and seeds whose description cites it."""
    by_id: dict[int, list[tuple[str, str, str]]] = {}
    for node in manifest["nodes"].values():
        if node.get("resource_type") not in ("model", "seed") or node.get("package_name") != "customs_cip":
            continue
        layer = node["resource_type"] if node["resource_type"] == "seed" else node["fqn"][1]
        for m_id in sorted({int(m[1:]) for m in M_ID.findall(node.get("description") or "")}):
            by_id.setdefault(m_id, []).append((layer, node["name"], node["original_file_path"]))
    lines = ["# Methodology map", "",
             "Generated by `cip docs-check --parse --write-map docs/methodology_map.md` from the model and seed",
             "descriptions: for each requirement of the method (`../shared/spec/methodology.md`), the models",
             "and seeds that serve it. Open the lineage graph (docs/lineage.md) to follow each one to its sources.", ""]
    for m_id in range(1, 23):
        lines += [f"## M{m_id}", ""]
        entries = sorted(by_id.get(m_id, []))
        if not entries:
            lines += ["(no model cites it)", ""]
            continue
        lines += ["| layer | model | file |", "|---|---|---|"]
        lines += [f"| {layer} | `{name}` | {path} |" for layer, name, path in entries]
        lines.append("")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--manifest", type=Path, default=None,
                        help="dbt manifest (default: $DBT_TARGET_PATH or target, /manifest.json)")
    parser.add_argument("--catalog", type=Path, default=None,
                        help="dbt catalog.json (default: beside the manifest, if `dbt docs generate` wrote one)")
    parser.add_argument("--parse", action="store_true",
                        help="run `dbt parse` into a temporary folder first and check that manifest")
    parser.add_argument("--write-map", type=Path, default=None, metavar="PATH",
                        help="also write the requirement -> models map (docs/methodology_map.md) to PATH")


def run(args: argparse.Namespace) -> int:
    if args.parse:
        with tempfile.TemporaryDirectory(prefix="cip-docs-check-") as folder:
            try:
                manifest = parse_project(Path(folder))
            except RuntimeError as error:
                print(f"cip docs-check: {error}")
                return 1
            report = run_check(manifest, args.catalog)
            if args.write_map:
                args.write_map.write_text(methodology_map(json.loads(manifest.read_text())))
                print(f"wrote {args.write_map}")
    else:
        manifest = args.manifest or default_manifest()
        if not manifest.exists():
            print(f"cip docs-check: no manifest at {manifest}: run `dbt parse` (or `dbt docs generate`) "
                  f"first, or use --parse")
            return 1
        report = run_check(manifest, args.catalog)
        if args.write_map:
            args.write_map.write_text(methodology_map(json.loads(manifest.read_text())))
            print(f"wrote {args.write_map}")
    print(report.format())
    return 0 if report.ok else 1
