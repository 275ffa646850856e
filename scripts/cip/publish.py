"""Publish the marts for BI tools (`cip publish`): one Parquet file per table of schema marts
plus a README.md describing every table and column.

The warehouse is opened read-only, so publishing never blocks or alters it. Descriptions
come from the dbt manifest (target/manifest.json, or $DBT_TARGET_PATH/manifest.json) when
it exists, else from the models' yml files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

from cip.paths import db_path, project_root

HELP = "Write every mart to Parquet (one folder, for BI tools) with a README of tables and columns."

README_MARKER = "<!-- written by cip publish -->"


@dataclass
class TableDoc:
    description: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    source: str = ""


def _target_dir() -> Path:
    return project_root() / os.environ.get("DBT_TARGET_PATH", "target")


def docs_from_manifest(manifest_path: Path) -> dict[str, TableDoc]:
    """Model name -> descriptions, for the models that land in schema marts."""
    manifest = json.loads(Path(manifest_path).read_text())
    docs: dict[str, TableDoc] = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "model":
            continue
        if str(node.get("schema", "")).split("_")[-1] != "marts" and "marts" not in node.get("fqn", []):
            continue
        name = node.get("alias") or node["name"]
        docs[name] = TableDoc(
            description=" ".join((node.get("description") or "").split()),
            columns={column: " ".join((meta.get("description") or "").split())
                     for column, meta in (node.get("columns") or {}).items()},
            source=f"manifest ({node.get('original_file_path', '')})",
        )
    return docs


DOCS_BLOCK = re.compile(r"{%-?\s*docs\s+(\w+)\s*-?%}(.*?){%-?\s*enddocs\s*-?%}", re.S)
DOC_REFERENCE = re.compile(r"""{{\s*doc\(\s*['"](\w+)['"]\s*\)\s*}}""")


def docs_blocks(models_dir: Path) -> dict[str, str]:
    """Name -> text of the {% docs %} blocks in the .md files under models/ (shared column wordings)."""
    blocks: dict[str, str] = {}
    for path in sorted(Path(models_dir).rglob("*.md")):
        for name, text in DOCS_BLOCK.findall(path.read_text()):
            blocks[name] = text.strip()
    return blocks


def docs_from_yml(models_dir: Path) -> dict[str, TableDoc]:
    """Model name -> descriptions, read straight from the yml files under models/; a
    description "{{ doc('name') }}" is replaced by its docs block, as dbt renders it."""
    docs: dict[str, TableDoc] = {}
    blocks = docs_blocks(models_dir)

    def text(value: Any) -> str:
        rendered = DOC_REFERENCE.sub(lambda match: blocks.get(match.group(1), match.group(0)), str(value or ""))
        return " ".join(rendered.split())

    for path in sorted(Path(models_dir).rglob("*.yml")):
        try:
            content = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError:
            continue
        for model in content.get("models", []) or []:
            if not isinstance(model, dict) or "name" not in model:
                continue
            docs[model["name"]] = TableDoc(
                description=text(model.get("description")),
                columns={column["name"]: text(column.get("description"))
                         for column in model.get("columns", []) or [] if isinstance(column, dict) and "name" in column},
                source=f"yml ({path.relative_to(models_dir.parent)})",
            )
    return docs


def load_docs(manifest_path: Path | None = None) -> tuple[dict[str, TableDoc], str]:
    """Descriptions from the dbt manifest, with the yml files filling what it lacks (a manifest
    parsed before a yml landed is stale; the yml files are what dbt parses into it)."""
    manifest_path = manifest_path or _target_dir() / "manifest.json"
    from_yml = docs_from_yml(project_root() / "models")
    if not manifest_path.exists():
        return from_yml, "the models' yml files (no dbt manifest found)"
    docs = docs_from_manifest(manifest_path)
    for name, yml_doc in from_yml.items():
        doc = docs.setdefault(name, TableDoc(source=yml_doc.source))
        doc.description = doc.description or yml_doc.description
        for column, text in yml_doc.columns.items():
            if not doc.columns.get(column):
                doc.columns[column] = text
    return docs, f"the dbt manifest `{_relative(manifest_path)}` (gaps filled from the models' yml files)"


def mart_tables(connection: duckdb.DuckDBPyConnection) -> list[str]:
    rows = connection.execute(
        "select table_name from information_schema.tables "
        "where table_schema = 'marts' order by table_name").fetchall()
    return [row[0] for row in rows]


def _quote_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def publish(db: Path, out_dir: Path, manifest_path: Path | None = None) -> list[dict[str, Any]]:
    """Write marts.* to out_dir/<table>.parquet and out_dir/README.md; returns one dict per table."""
    db = Path(db)
    if not db.exists():
        raise FileNotFoundError(f"no warehouse at {db}: run `cip build` first")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    docs, docs_origin = load_docs(manifest_path)
    connection = duckdb.connect(str(db), read_only=True)
    written: list[dict[str, Any]] = []
    try:
        tables = mart_tables(connection)
        if not tables:
            raise RuntimeError(f"the warehouse {db} has no table in schema marts: run `cip build` first")
        for table in tables:
            target = out_dir / f"{table}.parquet"
            connection.execute(
                f'copy (select * from marts."{table}") to {_quote_path(target)} (format parquet)')
            columns = connection.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'marts' and table_name = ? order by ordinal_position", [table]).fetchall()
            rows = connection.execute(f'select count(*) from marts."{table}"').fetchone()[0]
            written.append({"table": table, "file": target.name, "rows": rows, "columns": columns,
                            "doc": docs.get(table, TableDoc())})
    finally:
        connection.close()
    # files of marts that no longer exist would mislead a BI tool: remove the ones we wrote before
    readme = out_dir / "README.md"
    if readme.exists() and README_MARKER in readme.read_text():
        current = {entry["file"] for entry in written}
        for stale in out_dir.glob("*.parquet"):
            if stale.name not in current:
                stale.unlink()
    readme.write_text(render_readme(written, db, docs_origin), encoding="utf-8")
    return written


_VAR = re.compile(r"\bvar ([a-z_][a-z0-9_]*)")


def _settings() -> dict[str, Any]:
    """The vars of dbt_project.yml (their default values), for the README's settings column."""
    try:
        import yaml

        return (yaml.safe_load((project_root() / "dbt_project.yml").read_text()) or {}).get("vars") or {}
    except (OSError, ValueError):
        return {}


def plain_description(text: str) -> tuple[str, list[str]]:
    """A description for a BI user: the dbt var names taken out of the prose (returned apart,
    for a column of their own); the requirement ids (M1..M22) stay."""
    names = list(dict.fromkeys(_VAR.findall(text or "")))
    plain = re.sub(r"\s*\(var [a-z0-9_]+(?:,[^)]*)?\)", "", text or "")
    plain = re.sub(r",\s*var [a-z0-9_]+(?=[\s.,;)]|$)", "", plain)
    plain = _VAR.sub(lambda match: "the configured " + match.group(1).replace("_", " "), plain)
    return re.sub(r"\s+([.,;])", r"\1", plain).strip(), names


def _relative(path: Path) -> str:
    """A path as the README shows it: relative to the project, else the bare file name."""
    try:
        return str(Path(path).resolve().relative_to(project_root()))
    except ValueError:
        return Path(path).name


def _cell(text: str) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def render_readme(written: list[dict[str, Any]], db: Path, docs_origin: str) -> str:
    settings = _settings()
    lines = [
        README_MARKER,
        "# customs-cip marts (Parquet)",
        "",
        f"Published {dt.datetime.now().replace(microsecond=0).isoformat(sep=' ')} from `{_relative(db)}` by "
        f"`cip publish`; descriptions from {docs_origin}.",
        "One Parquet file per table of schema `marts`; point a BI tool (Power BI, Superset, Metabase, "
        "DuckDB, pandas) at this folder. Requirement ids (M1..M22) refer to docs of the method. The column "
        "`settings` names the configuration values (dbt vars, docs/configuration.md) a column depends on, "
        "with their default.",
        "",
        "| table | rows | description |",
        "|---|---:|---|",
    ]
    for entry in written:
        description = plain_description(entry["doc"].description)[0] or "_no description in the dbt project yet_"
        lines.append(f"| [`{entry['table']}`](#{entry['table']}) | {entry['rows']:,} | {_cell(description)} |")
    for entry in written:
        doc: TableDoc = entry["doc"]
        lines += [
            "",
            f"## {entry['table']}",
            "",
            f"File `{entry['file']}`, {entry['rows']:,} rows.",
            "",
            plain_description(doc.description)[0] or "_No description in the dbt project yet._",
            "",
            "| column | type | description | settings |",
            "|---|---|---|---|",
        ]
        for column, data_type in entry["columns"]:
            text, names = plain_description(doc.columns.get(column, ""))
            used = ", ".join(f"`{name}` = {json.dumps(settings.get(name))}" if name in settings else f"`{name}`"
                             for name in names)
            lines.append(f"| `{column}` | {data_type} | {_cell(text) or '–'} | {_cell(used) or '–'} |")
    return "\n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None,
                        help="DuckDB file (default: CIP_DB_PATH or warehouse/customs_cip.duckdb)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: publish/)")
    parser.add_argument("--manifest", type=Path, default=None,
                        help="dbt manifest for descriptions (default: target/manifest.json; else the yml files)")


def run(args: argparse.Namespace) -> int:
    out = args.out or project_root() / "publish"
    try:
        written = publish(args.db or db_path(), out, args.manifest)
    except (FileNotFoundError, RuntimeError) as error:
        print(f"cip publish: {error}")
        return 1
    total = sum(entry["rows"] for entry in written)
    print(f"{len(written)} marts ({total:,} rows) written to {_relative(Path(out))}/ with README.md")
    return 0
