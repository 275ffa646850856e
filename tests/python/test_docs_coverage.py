"""Documentation coverage: the checker's rules on a hand-made manifest, then the real project
(`dbt parse` into a temporary target path, then `cip docs-check` on that manifest).

The project test asserts the real condition: every model described, every mart column
described, every mart naming its requirement id. Missing primary-key tests are reported,
not failed (see scripts/cip/docs_check.py).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from cip import docs_check

ROOT = Path(__file__).resolve().parents[2]


def model(name: str, description: str = "", path: str = "models/marts/area/x.sql",
          columns: dict[str, str] | None = None, constraints: list[dict] | None = None) -> dict:
    return {
        "resource_type": "model", "unique_id": f"model.proj.{name}", "name": name, "package_name": "proj",
        "original_file_path": path.replace("x.sql", f"{name}.sql"), "fqn": ["proj", *path.split("/")[1:-1], name],
        "description": description, "constraints": constraints or [],
        "columns": {column: {"name": column, "description": text} for column, text in (columns or {}).items()},
    }


def a_test(name: str, model_name: str, kind: str | None, column: str | None = None) -> dict:
    node = {"resource_type": "test", "unique_id": f"test.proj.{name}", "name": name,
            "depends_on": {"nodes": [f"model.proj.{model_name}"]}}
    if kind:
        node["test_metadata"] = {"name": kind, "kwargs": {"column_name": column}}
        node["attached_node"] = f"model.proj.{model_name}"
    return node


def hand_made_manifest() -> dict:
    nodes = [
        model("good_mart", "M7: a well documented mart.", columns={"tin": "Operator (M1).", "value": "Value (M7)."}),
        model("mart_no_mid", "A mart that forgets its requirement.", columns={"tin": "Operator."}),
        model("mart_blank_column", "M5: one column undocumented.", columns={"tin": "Operator.", "gri": ""}),
        model("mart_no_yml"),
        model("int_described", "M2: intermediate step.", path="models/intermediate/area/x.sql"),
        model("int_bare", "", path="models/intermediate/area/x.sql"),
        model("stg_constrained", "Staging.", path="models/staging/src/x.sql",
              constraints=[{"type": "primary_key", "columns": ["id"]}]),
        a_test("unique_good_mart_tin", "good_mart", "unique", "tin"),
        a_test("not_null_mart_no_mid_tin", "mart_no_mid", "not_null", "tin"),
        a_test("combo_blank", "mart_blank_column", "unique_combination_of_columns"),
        a_test("assert_int_described_keys_unique", "int_described", None),
    ]
    other_package = model("foreign", "")
    other_package["package_name"] = "dbt_utils"
    other_package["unique_id"] = "model.dbt_utils.foreign"
    nodes.append(other_package)
    return {"metadata": {"project_name": "proj"}, "nodes": {node["unique_id"]: node for node in nodes}}


def test_rules_on_a_hand_made_manifest():
    report = docs_check.check(hand_made_manifest())
    assert report.models == 7 and report.marts == 4          # the other package is not ours
    assert report.models_without_description == ["int_bare", "mart_no_yml"]
    assert report.mart_columns_without_description == {"mart_blank_column": ["gri"]}
    assert report.marts_without_columns == ["mart_no_yml"]
    assert report.marts_without_m_id == ["mart_no_mid"]
    # not_null is no key test; unique, unique-combination, a 'unique' singular test and a pk constraint are
    assert report.models_without_primary_key_test == ["int_bare", "mart_no_mid", "mart_no_yml"]
    assert report.failures == 2 + 1 + 1 + 1 and not report.ok
    text = report.format()
    assert "FAIL marts whose description names no M-id: 1\n  - mart_no_mid" in text
    assert text.endswith("FAILED (5 problems)")


def test_catalog_columns_missing_from_the_yml_are_undocumented():
    manifest = hand_made_manifest()
    catalog = {"nodes": {"model.proj.good_mart": {"columns": {"TIN": {}, "VALUE": {}, "extra_column": {}}}}}
    report = docs_check.check(manifest, catalog)
    assert report.mart_columns_without_description["good_mart"] == ["extra_column"]


def test_indicator_columns_are_documented_by_the_catalogue():
    """A mart whose meta says its columns are documented by indicator_catalogue (the matrix):
    a built column named after a catalogue code is documented by that row; others are not."""
    manifest = hand_made_manifest()
    manifest["nodes"]["model.proj.good_mart"]["config"] = {"meta": {"columns_documented_by": "indicator_catalogue"}}
    catalog = {"nodes": {"model.proj.good_mart": {"columns": {"tin": {}, "tx_risky_hs": {}, "not_an_indicator": {}}}}}
    report = docs_check.check(manifest, catalog)
    assert report.mart_columns_without_description["good_mart"] == ["not_an_indicator"]


def test_a_documented_project_passes():
    manifest = hand_made_manifest()
    manifest["nodes"] = {key: node for key, node in manifest["nodes"].items()
                         if node["name"] in ("good_mart", "int_described", "stg_constrained",
                                             "unique_good_mart_tin", "assert_int_described_keys_unique")}
    report = docs_check.check(manifest)
    assert report.ok and report.models_without_primary_key_test == []
    assert report.format().endswith("docs-check: OK")


def test_cli_without_manifest_explains_what_to_run(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    docs_check.add_arguments(parser)
    assert docs_check.run(parser.parse_args(["--manifest", str(tmp_path / "manifest.json")])) == 1
    assert "dbt parse" in capsys.readouterr().out


@pytest.fixture(scope="module")
def project_manifest(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("docs-target")
    return docs_check.parse_project(target)


def test_the_project_is_documented(project_manifest):
    manifest = json.loads(project_manifest.read_text())
    report = docs_check.check(manifest)
    assert report.models > 0 and report.marts > 0
    print(report.format())  # shown with -rA / on failure: every model that lacks what
    assert report.models_without_description == [], report.format()
    assert report.mart_columns_without_description == {}, report.format()
    assert report.marts_without_columns == [], report.format()
    assert report.marts_without_m_id == [], report.format()
