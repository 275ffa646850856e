"""Project rules that dbt-score and dbt-bouncer do not check (`cip lint-project`, run by `make lint`).

Reads the manifest of `dbt parse` (default target-lint/manifest.json) and the config in
pyproject.toml, [tool.cip-lint]. Fails (exit code 1), listing each case, on:

  macros          a macro of the project without a description, an argument of its
                  signature without a described `arguments:` entry, or a documented
                  argument that is not in the signature (dbt-bouncer only checks the
                  arguments of macros that document at least one);
  shared columns  a model column named like a shared docs block (models/docs/*.md) whose
                  description does not come from that block or from a `<column>__<variant>`
                  block, unless the (model, column) pair is excepted with a reason;
  exposures       an exposure depending on a model that is not public, unless the
                  (exposure, model) pair is excepted with a reason (dbt-bouncer can only
                  exclude whole exposure files).

`--shared-columns N` also prints the columns described in at least N models with their
distinct wordings: the measure of how many ways one column is worded.
"""

from __future__ import annotations

import argparse
import json
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes

from cip.paths import project_root

HELP = "Check the rules dbt-score and dbt-bouncer lack: macro arguments, shared column docs, exposures."


@dataclass
class LintReport:
    macros: int = 0
    undocumented_macros: list[str] = field(default_factory=list)
    undocumented_arguments: dict[str, list[str]] = field(default_factory=dict)
    unknown_arguments: dict[str, list[str]] = field(default_factory=dict)
    shared_blocks: int = 0
    shared_columns_checked: int = 0
    columns_not_using_block: list[str] = field(default_factory=list)
    exposures_on_non_public: list[str] = field(default_factory=list)
    stale_exceptions: list[str] = field(default_factory=list)

    @property
    def failures(self) -> int:
        return (len(self.undocumented_macros)
                + sum(len(args) for args in self.undocumented_arguments.values())
                + sum(len(args) for args in self.unknown_arguments.values())
                + len(self.columns_not_using_block) + len(self.exposures_on_non_public))

    @property
    def ok(self) -> bool:
        return self.failures == 0

    def format(self) -> str:
        lines = [f"lint-project: {self.macros} macros, {self.shared_blocks} shared column blocks "
                 f"({self.shared_columns_checked} model columns checked)"]

        def block(title: str, items: list[str], severity: str = "FAIL") -> None:
            # a rule with no finding reads "ok", so a clean run has no FAIL in it
            lines.append(f"{severity if items else 'ok'} {title}: {len(items)}")
            lines.extend(f"  - {item}" for item in items)

        block("macros without a description", self.undocumented_macros)
        block("macro arguments without a description",
              [f"{name}: {', '.join(args)}" for name, args in sorted(self.undocumented_arguments.items())])
        block("documented arguments not in the macro's signature",
              [f"{name}: {', '.join(args)}" for name, args in sorted(self.unknown_arguments.items())])
        block("model columns not using their shared docs block", self.columns_not_using_block)
        block("exposures on non-public models", self.exposures_on_non_public)
        block("exceptions that match nothing (remove them)", self.stale_exceptions, "WARN")
        lines.append("lint-project: " + ("OK" if self.ok else f"FAILED ({self.failures} problems)"))
        return "\n".join(lines)


def macro_arguments(macro_sql: str) -> list[str]:
    """Argument names of the first macro or generic test defined in macro_sql, in order."""
    source = (macro_sql.replace("{% test ", "{% macro test_").replace("{%- test ", "{%- macro test_")
              .replace("endtest", "endmacro"))
    environment = jinja2.Environment(extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"])
    for node in environment.parse(source).find_all(nodes.Macro):
        return [argument.name for argument in node.args]
    return []


def load_config(root: Path) -> dict[str, Any]:
    pyproject = root / "pyproject.toml"
    if not pyproject.exists():
        return {}
    return tomllib.loads(pyproject.read_text()).get("tool", {}).get("cip-lint", {})


def exception_keys(entries: list[dict[str, str]], first: str, second: str) -> dict[tuple[str, str], str]:
    keys = {}
    for entry in entries:
        if not (entry.get(first) and entry.get(second) and (entry.get("reason") or "").strip()):
            raise ValueError(f"[tool.cip-lint] exception {entry} needs {first}, {second} and a reason")
        keys[(entry[first], entry[second])] = entry["reason"]
    return keys


def check_macros(manifest: dict[str, Any], project: str, report: LintReport) -> None:
    for macro in sorted(manifest.get("macros", {}).values(), key=lambda item: item["name"]):
        if macro.get("package_name") != project:
            continue
        report.macros += 1
        name = macro["name"]
        if not (macro.get("description") or "").strip():
            report.undocumented_macros.append(f"{name} ({macro.get('original_file_path')})")
        declared = macro_arguments(macro.get("macro_sql") or "")
        documented = {argument["name"]: (argument.get("description") or "").strip()
                      for argument in macro.get("arguments") or []}
        missing = [argument for argument in declared if not documented.get(argument)]
        unknown = [argument for argument in documented if argument not in declared]
        if missing:
            report.undocumented_arguments[name] = missing
        if unknown:
            report.unknown_arguments[name] = unknown


def check_shared_columns(manifest: dict[str, Any], project: str, exceptions: dict[tuple[str, str], str],
                         report: LintReport, used_exceptions: set) -> None:
    shared = {doc["name"] for doc in manifest.get("docs", {}).values()
              if doc.get("package_name") == project and "__" not in doc["name"]
              and str(doc.get("original_file_path", "")).startswith("models/docs/")}
    report.shared_blocks = len(shared)
    for node in sorted(manifest.get("nodes", {}).values(), key=lambda item: item["name"]):
        if node.get("resource_type") != "model" or node.get("package_name") != project:
            continue
        for column_name, column in (node.get("columns") or {}).items():
            column_name = column_name.lower()
            if column_name not in shared:
                continue
            report.shared_columns_checked += 1
            if (node["name"], column_name) in exceptions:
                used_exceptions.add((node["name"], column_name))
                continue
            blocks = [block.split(".")[-1] for block in column.get("doc_blocks") or []]
            if not any(block == column_name or block.startswith(column_name + "__") for block in blocks):
                report.columns_not_using_block.append(
                    f"{node['name']}.{column_name}: use description: \"{{{{ doc('{column_name}') }}}}\" "
                    f"({node.get('patch_path') or node.get('original_file_path')})")


def check_exposures(manifest: dict[str, Any], exceptions: dict[tuple[str, str], str],
                    report: LintReport, used_exceptions: set) -> None:
    nodes_by_id = manifest.get("nodes", {})
    for exposure in sorted(manifest.get("exposures", {}).values(), key=lambda item: item["name"]):
        for unique_id in exposure.get("depends_on", {}).get("nodes", []):
            model = nodes_by_id.get(unique_id)
            if not model or model.get("resource_type") != "model" or model.get("access") == "public":
                continue
            if (exposure["name"], model["name"]) in exceptions:
                used_exceptions.add((exposure["name"], model["name"]))
                continue
            report.exposures_on_non_public.append(
                f"{exposure['name']} -> {model['name']} ({model.get('access')})")


def check(manifest: dict[str, Any], config: dict[str, Any] | None = None) -> LintReport:
    config = config or {}
    project = manifest.get("metadata", {}).get("project_name")
    report = LintReport()
    column_exceptions = exception_keys(config.get("shared_column_exceptions", []), "model", "column")
    exposure_exceptions = exception_keys(config.get("exposure_exceptions", []), "exposure", "model")
    used_columns: set = set()
    used_exposures: set = set()
    check_macros(manifest, project, report)
    check_shared_columns(manifest, project, column_exceptions, report, used_columns)
    check_exposures(manifest, exposure_exceptions, report, used_exposures)
    report.stale_exceptions += [f"shared_column_exceptions: {model}.{column}"
                                for model, column in sorted(set(column_exceptions) - used_columns)]
    report.stale_exceptions += [f"exposure_exceptions: {exposure} -> {model}"
                                for exposure, model in sorted(set(exposure_exceptions) - used_exposures)]
    return report


def shared_column_wordings(manifest: dict[str, Any], min_models: int = 3) -> list[tuple[str, dict[str, list[str]]]]:
    """Columns described in at least min_models models: column -> {wording: [models]}, most wordings first."""
    project = manifest.get("metadata", {}).get("project_name")
    by_column: dict[str, dict[str, str]] = defaultdict(dict)
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "model" or node.get("package_name") != project:
            continue
        for column_name, column in (node.get("columns") or {}).items():
            by_column[column_name.lower()][node["name"]] = (column.get("description") or "").strip()
    result = []
    for column_name, descriptions in by_column.items():
        if len(descriptions) < min_models:
            continue
        wordings: dict[str, list[str]] = defaultdict(list)
        for model, text in sorted(descriptions.items()):
            wordings[text].append(model)
        result.append((column_name, dict(wordings)))
    result.sort(key=lambda item: (-len(item[1]), item[0]))
    return result


def format_wordings(rows: list[tuple[str, dict[str, list[str]]]], min_models: int) -> str:
    several = [row for row in rows if len(row[1]) > 1]
    lines = [f"columns described in >= {min_models} models: {len(rows)}; with more than one wording: {len(several)}"]
    for column_name, wordings in rows:
        models = sum(len(names) for names in wordings.values())
        blank = len(wordings.get("", []))
        lines.append(f"{column_name}: {models} models, {len(wordings)} wordings, {blank} blank")
        if len(wordings) > 1:
            lines.extend(f"    {text[:100]!r}: {', '.join(names)}" for text, names in wordings.items())
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--manifest", type=Path, default=None,
                        help="dbt manifest (default: target-lint/manifest.json, written by `make lint`'s dbt parse)")
    parser.add_argument("--shared-columns", type=int, default=None, metavar="N",
                        help="also list the columns described in at least N models with their wordings")


def run(args: argparse.Namespace) -> int:
    root = project_root()
    manifest_path = args.manifest or root / "target-lint" / "manifest.json"
    if not manifest_path.exists():
        print(f"cip lint-project: no manifest at {manifest_path}: run "
              f"`dbt parse --target-path target-lint` first (make lint does)")
        return 1
    manifest = json.loads(manifest_path.read_text())
    try:
        report = check(manifest, load_config(root))
    except ValueError as error:
        print(f"cip lint-project: {error}")
        return 1
    if args.shared_columns:
        print(format_wordings(shared_column_wordings(manifest, args.shared_columns), args.shared_columns))
    print(report.format())
    return 0 if report.ok else 1
