"""cip lint-project: its rules on a hand-made manifest, then the real project (`dbt parse` into
a temporary target path, then the check with the committed [tool.cip-lint] config)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from cip import docs_check, lint_project

ROOT = Path(__file__).resolve().parents[2]


def macro(name: str, sql: str, description: str = "", arguments: dict[str, str] | None = None,
          package: str = "proj") -> dict:
    return {"unique_id": f"macro.{package}.{name}", "name": name, "package_name": package,
            "original_file_path": f"macros/{name}.sql", "macro_sql": sql, "description": description,
            "arguments": [{"name": arg, "description": text, "type": None}
                          for arg, text in (arguments or {}).items()]}


def model(name: str, columns: dict[str, list[str]], access: str = "protected") -> dict:
    """columns: column name -> the doc blocks its description uses."""
    return {"resource_type": "model", "unique_id": f"model.proj.{name}", "name": name, "package_name": "proj",
            "original_file_path": f"models/marts/{name}.sql", "patch_path": "proj://models/marts/_m.yml",
            "access": access,
            "columns": {column: {"name": column, "description": "text" if blocks else "",
                                 "doc_blocks": [f"doc.proj.{block}" for block in blocks]}
                        for column, blocks in columns.items()}}


def doc(name: str, path: str = "models/docs/_shared__docs.md") -> dict:
    return {"unique_id": f"doc.proj.{name}", "name": name, "package_name": "proj", "original_file_path": path}


def hand_made_manifest() -> dict:
    macros = [
        macro("documented", "{% macro documented(expr, digits=[1, 2]) -%}{%- do x.append(1) -%}{%- endmacro %}",
              "Rounds.", {"expr": "An expression.", "digits": "Digits."}),
        macro("bare", "{% macro bare(a) %}{% endmacro %}"),
        macro("half", "{% macro half(a, b=none) %}{% endmacro %}", "Half documented.", {"a": "First.", "b": ""}),
        macro("stale", "{% macro stale(a) %}{% endmacro %}", "Renamed argument.", {"a": "A.", "old": "Gone."}),
        macro("test_pair_unique", "{% test pair_unique(model, columns) %}select 1{% endtest %}",
              "A generic test.", {"model": "The model.", "columns": "Key columns."}),
        macro("dbt_helper", "{% macro dbt_helper(x) %}{% endmacro %}", package="dbt"),
    ]
    models = [
        model("good", {"tin": ["tin"], "risk_level": ["risk_level__selected_risk"], "value": []}, access="public"),
        model("drifted", {"tin": [], "as_of_date": ["other_block"]}),
        model("excepted", {"as_of_date": []}),
    ]
    docs = [doc("tin"), doc("as_of_date"), doc("risk_level"), doc("risk_level__selected_risk"),
            doc("__overview__", path="")]
    exposures = [
        {"unique_id": "exposure.proj.report", "name": "report",
         "depends_on": {"nodes": ["model.proj.good", "model.proj.drifted", "model.proj.excepted"]}},
    ]
    return {"metadata": {"project_name": "proj"},
            "macros": {item["unique_id"]: item for item in macros},
            "nodes": {item["unique_id"]: item for item in models},
            "docs": {item["unique_id"]: item for item in docs},
            "exposures": {item["unique_id"]: item for item in exposures}}


CONFIG = {
    "shared_column_exceptions": [
        {"model": "excepted", "column": "as_of_date", "reason": "means another date"},
        {"model": "gone", "column": "tin", "reason": "a model that no longer exists"},
    ],
    "exposure_exceptions": [{"exposure": "report", "model": "excepted", "reason": "reads the window"}],
}


def test_macro_arguments_are_read_from_the_signature():
    assert lint_project.macro_arguments("{% macro m(a, b=[1, 2], c=none) %}{% endmacro %}") == ["a", "b", "c"]
    assert lint_project.macro_arguments("{%- macro m() -%}{%- endmacro %}") == []
    assert lint_project.macro_arguments("{% test t(model, column_name) %}x{% endtest %}") == ["model", "column_name"]


def test_each_rule_finds_its_cases():
    report = lint_project.check(hand_made_manifest(), CONFIG)
    assert report.macros == 5  # the dbt package's macro is not ours
    assert report.undocumented_macros == ["bare (macros/bare.sql)"]
    assert report.undocumented_arguments == {"bare": ["a"], "half": ["b"]}
    assert report.unknown_arguments == {"stale": ["old"]}
    assert report.shared_blocks == 3  # variants (__) and dbt's overview are not column blocks
    assert sorted(item.split(":")[0] for item in report.columns_not_using_block) == ["drifted.as_of_date", "drifted.tin"]
    assert report.exposures_on_non_public == ["report -> drifted (protected)"]
    assert report.stale_exceptions == ["shared_column_exceptions: gone.tin"]
    assert report.failures == 1 + 2 + 1 + 2 + 1
    assert not report.ok
    assert report.format().endswith(f"lint-project: FAILED ({report.failures} problems)")


def test_a_clean_manifest_passes():
    manifest = hand_made_manifest()
    manifest["macros"] = {key: value for key, value in manifest["macros"].items()
                          if key in ("macro.proj.documented", "macro.proj.test_pair_unique")}
    del manifest["nodes"]["model.proj.drifted"]
    manifest["exposures"]["exposure.proj.report"]["depends_on"]["nodes"].remove("model.proj.drifted")
    report = lint_project.check(manifest, CONFIG)
    assert report.ok, report.format()
    assert report.shared_columns_checked == 3


def test_an_exception_needs_a_reason():
    with pytest.raises(ValueError, match="reason"):
        lint_project.check(hand_made_manifest(),
                           {"exposure_exceptions": [{"exposure": "report", "model": "drifted", "reason": " "}]})


def test_shared_column_wordings_measure():
    manifest = {"metadata": {"project_name": "proj"}, "nodes": {}}
    for index, text in enumerate(["Operator TIN.", "Operator TIN.", "Importer.", ""]):
        node = model(f"m{index}", {})
        node["columns"] = {"tin": {"name": "tin", "description": text}, "only_here": {"description": "x"}}
        manifest["nodes"][node["unique_id"]] = node
    rows = lint_project.shared_column_wordings(manifest, min_models=3)
    assert [column for column, _ in rows] == ["tin", "only_here"]
    assert rows[0][1] == {"Operator TIN.": ["m0", "m1"], "Importer.": ["m2"], "": ["m3"]}
    text = lint_project.format_wordings(rows, 3)
    assert "with more than one wording: 1" in text
    assert "tin: 4 models, 3 wordings, 1 blank" in text


def test_run_without_manifest_says_how(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    lint_project.add_arguments(parser)
    assert lint_project.run(parser.parse_args(["--manifest", str(tmp_path / "manifest.json")])) == 1
    assert "dbt parse" in capsys.readouterr().out


@pytest.fixture(scope="module")
def project_manifest(tmp_path_factory) -> dict:
    target = tmp_path_factory.mktemp("lint-target")
    return json.loads(docs_check.parse_project(target).read_text())


def test_the_project_passes_its_own_rules(project_manifest):
    report = lint_project.check(project_manifest, lint_project.load_config(ROOT))
    print(report.format())
    assert report.macros > 100 and report.shared_blocks >= 20
    assert report.ok, report.format()
    assert report.stale_exceptions == [], report.format()


def test_shared_columns_are_worded_once(project_manifest):
    """tin, as_of_date and the money columns: one wording across models (issue 15 item 6)."""
    rows = dict(lint_project.shared_column_wordings(project_manifest, min_models=3))
    for column in ("tin", "size_segment", "trade_value_usd", "taxes_paid_usd", "amount_reassessed_lcu"):
        assert len(rows[column]) == 1, (column, rows[column])
    assert len(rows["tin"][next(iter(rows["tin"]))]) >= 27
