"""A sweep of realistic corruptions of real exports: nothing is lost silently.

Each case corrupts a copy of one small generated CSV set and builds its staging layer with
`cip build` (the checks before dbt included). The outcome must be one of: the run stops
with a message naming the file (and the line when there is one); or it succeeds, every
source reconciles (raw rows = staged + quarantined + superseded, staging.stg_source_inventory),
and the corrupted rows are quarantined with the expected reason, or staged with the values
of the clean set (a normalisation documented in docs/source_contract.md).
"""

from __future__ import annotations

import csv
import functools
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cip.contract import load_contract
from cip.generate import generate
from cip.paths import project_root

pytestmark = pytest.mark.warehouse

ROOT = project_root()
SELECT = "path:models/staging path:models/utilities path:tests/dbt/staging int_evaluation_window"
COMPARED = "declaration_id, item_no, tin, flow, declaration_date, hs_code, currency, transport_mode, customs_value"


# --------------------------------------------------------------------------- CSV helpers

def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]], newline: str = "\n", bom: bool = False) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=newline).writerows([header, *rows])
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))


def _column(header: list[str], name: str) -> int:
    return header.index(name)


def _lines_of(rows: list[list[str]], header: list[str]) -> dict[str, list[int]]:
    by_declaration: dict[str, list[int]] = {}
    for position, row in enumerate(rows):
        by_declaration.setdefault(row[_column(header, "declaration_id")], []).append(position)
    return by_declaration


# --------------------------------------------------------------------------- the cases

@dataclass
class Case:
    """mutate(data) corrupts the copy and returns the row keys ("D...|item") or control ids it
    touched; expect is 'stop' (fragments must be in the message), 'quarantined' (every
    touched row quarantined, its reason holding fragments[0]), 'clean' (the staged lines equal
    the clean set's) or 'warned' (optional sources read as absent: a warning names each file,
    fragments; no raw row of the touched tables)."""
    mutate: Callable[[Path], list[str]]
    expect: str
    fragments: list[str] = field(default_factory=list)
    table: str = "declarations"


def _edit_declarations(edit: Callable[[list[str], list[list[str]]], list[str]], **write) -> Callable[[Path], list[str]]:
    def mutate(data: Path) -> list[str]:
        header, rows = _read(data / "declarations.csv")
        touched = edit(header, rows)
        _write(data / "declarations.csv", header, rows, **write)
        return touched
    return mutate


def _key(header: list[str], row: list[str]) -> str:
    return f"{row[_column(header, 'declaration_id')]}|{row[_column(header, 'item_no')]}"


def _one_line_declarations(header, rows) -> list[int]:
    return [lines[0] for lines in _lines_of(rows, header).values() if len(lines) == 1]


def _set(column: str, value: str, pick: int = 0):
    """One line of a one-line declaration (no sibling to disagree with) gets `value`."""
    def edit(header, rows):
        row = rows[_one_line_declarations(header, rows)[pick]]
        row[_column(header, column)] = value
        return [_key(header, row)]
    return edit


def _exact_duplicate(header, rows):
    rows.append(list(rows[10]))
    return [_key(header, rows[10])]


def _same_key_other_content(header, rows):
    copy = list(rows[20])
    copy[_column(header, "customs_value")] = str(float(copy[_column(header, "customs_value")]) * 3)
    rows.append(copy)
    return [_key(header, copy)]


def _header_disagreement(column: str, value: str):
    def edit(header, rows):
        lines = next(lines for lines in _lines_of(rows, header).values() if len(lines) >= 3)
        rows[lines[1]][_column(header, column)] = value
        return [_key(header, rows[i]) for i in lines]
    return edit


def _padded_codes(header, rows):
    for row in rows[:50]:
        for column in ("currency", "origin_country", "tin"):
            row[_column(header, column)] = " " + row[_column(header, column)].lower() + " "
        row[_column(header, "transport_mode")] = row[_column(header, "transport_mode")].upper()
    return []


def _reorder_and_rename(data: Path) -> list[str]:
    header, rows = _read(data / "declarations.csv")
    order = list(reversed(range(len(header))))
    _write(data / "declarations.csv", [header[i].upper() if i % 2 else header[i].title() for i in order],
           [[row[i] for i in order] for row in rows])
    return []


def _embedded_newline(header, rows):
    # a quoted value holding a line break: one record, not two
    for row in rows[:5]:
        row[_column(header, "tax_type")] = "general\nsee note"
    return []


def _write_part(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """A daily Parquet file (a folder of CSVs is not a layout the contract reads), values as text."""
    columns = {name: [row[i] if row[i] != "" else None for row in rows] for i, name in enumerate(header)}
    pq.write_table(pa.table(columns), path)


def _daily_repeat(data: Path) -> list[str]:
    header, rows = _read(data / "declarations.csv")
    (data / "declarations.csv").unlink()
    (data / "declarations").mkdir()
    half = len(rows) // 2
    _write_part(data / "declarations" / "part-20240101.parquet", header, rows[:half])
    _write_part(data / "declarations" / "part-20240102.parquet", header, rows[half:] + rows[half - 30:half])
    return [_key(header, row) for row in rows[half - 30:half]]


def _declaration_in_two_files(data: Path) -> list[str]:
    header, rows = _read(data / "declarations.csv")
    (data / "declarations.csv").unlink()
    (data / "declarations").mkdir()
    lines = next(lines for lines in _lines_of(rows, header).values() if len(lines) >= 3)
    moved = [rows[i] for i in lines[1:]]
    kept = [row for i, row in enumerate(rows) if i not in set(lines[1:])]
    _write_part(data / "declarations" / "part-1.parquet", header, kept)
    _write_part(data / "declarations" / "part-2.parquet", header, moved)
    return []


def _control(edit: Callable[[list[str], list[str]], None]) -> Callable[[Path], list[str]]:
    def mutate(data: Path) -> list[str]:
        header, rows = _read(data / "control_results.csv")
        row = list(rows[0])
        row[_column(header, "control_id")] = "CSWEEP0001"
        edit(header, row)
        rows.append(row)
        _write(data / "control_results.csv", header, rows)
        return ["CSWEEP0001"]
    return mutate


def _set_control(column: str, value: str):
    def edit(header, row):
        row[_column(header, column)] = value
    return edit


def _empty_file(name: str, content: str):
    def mutate(data: Path) -> list[str]:
        path = data / f"{name}.csv"
        header = path.read_text(encoding="utf-8").splitlines()[0]
        path.write_text(content.format(header=header), encoding="utf-8")
        return []
    return mutate


OPTIONAL = ["control_results", "advance_rulings", "treatments_applied", "trader_survey", "taxpayers", "tax_returns",
            "tax_audits", "sensitive_goods", "isic_hs_concordance"]


def _empty_files(names: list[str], content: str):
    def mutate(data: Path) -> list[str]:
        for name in names:
            _empty_file(name, content)(data)
        return names
    return mutate


def _lost_zeros(data: Path) -> list[str]:
    header, rows = _read(data / "declarations.csv")
    tin = _column(header, "tin")
    busiest = pd.Series([row[tin] for row in rows]).value_counts().index[0]
    for name in ("declarations", "taxpayers", "control_results", "tax_returns", "tax_audits", "treatments_applied"):
        path = data / f"{name}.csv"
        h, r = _read(path)
        for row in r:
            if row[_column(h, "tin")] == busiest:
                row[_column(h, "tin")] = "000123456789"
        _write(path, h, r)
    header, rows = _read(data / "declarations.csv")
    lost = next(row[_column(header, "declaration_id")] for row in rows if row[tin] == "000123456789")
    for row in rows:
        if row[_column(header, "declaration_id")] == lost:
            row[tin] = "123456789"
    _write(data / "declarations.csv", header, rows)
    return []


CASES: dict[str, Case] = {
    # handled before this sweep: kept as regression tests
    "exact_duplicate_line": Case(_edit_declarations(_exact_duplicate), "quarantined", ["duplicate declaration line"]),
    "same_key_other_content": Case(_edit_declarations(_same_key_other_content), "quarantined",
                                   ["duplicate declaration line"]),
    "daily_file_repeats_yesterday": Case(_daily_repeat, "quarantined", ["duplicate declaration line"]),
    "declaration_in_two_files": Case(_declaration_in_two_files, "clean"),
    "date_in_the_future": Case(_edit_declarations(_set("declaration_date", "2099-01-05")), "quarantined",
                               ["declaration_date after the load date"]),
    "date_before_1990": Case(_edit_declarations(_set("declaration_date", "1985-06-30")), "quarantined",
                             ["declaration_date before the earliest date"]),
    "zero_quantity": Case(_edit_declarations(_set("quantity", "0")), "quarantined", ["not positive"]),
    "negative_value": Case(_edit_declarations(_set("customs_value", "-10")), "quarantined",
                           ["customs_value not positive"]),
    "nan_value": Case(_edit_declarations(_set("customs_value", "NaN")), "quarantined", ["customs_value is NaN"]),
    "infinite_value": Case(_edit_declarations(_set("duty_paid", "Infinity")), "quarantined", ["duty_paid is infinite"]),
    "huge_value": Case(_edit_declarations(_set("net_mass_kg", "1e308")), "quarantined", ["net_mass_kg out of range"]),
    "mixed_case_space_padded_codes": Case(_edit_declarations(_padded_codes), "clean"),
    "columns_reordered_renamed_in_case": Case(_reorder_and_rename, "clean"),
    "bom_and_crlf": Case(_edit_declarations(lambda header, rows: [], newline="\r\n", bom=True), "clean"),
    "quoted_value_with_line_break": Case(_edit_declarations(_embedded_newline), "clean"),
    "control_of_unknown_declaration": Case(_control(_set_control("declaration_id", "D_NOWHERE")), "quarantined",
                                           ["declaration_id not a known declaration"], "control_results"),
    "control_of_unknown_operator": Case(_control(lambda h, row: [row.__setitem__(_column(h, c), v) for c, v in (
        ("control_type", "pca"), ("declaration_id", ""), ("item_no", ""), ("tin", "T000000000"))]),
        "quarantined", ["tin not a known operator"], "control_results"),
    "header_only_declarations": Case(_empty_file("declarations", "{header}\n"), "stop", ["declarations.csv"]),
    "empty_declarations_file": Case(_empty_file("declarations", ""), "stop", ["declarations"]),
    # the other sources (issue faults5): a required one empty stops; optional ones read as absent, warned
    "header_only_exchange_rates": Case(_empty_file("exchange_rates", "{header}\n"), "stop", ["exchange_rates.csv"]),
    "empty_hs_nomenclature_file": Case(_empty_file("hs_nomenclature", ""), "stop", ["hs_nomenclature.csv"]),
    "header_only_optional_sources": Case(_empty_files(OPTIONAL, "{header}\n"), "warned",
                                         [f"{name}.csv" for name in OPTIONAL]),
    "empty_optional_source_files": Case(_empty_files(OPTIONAL, ""), "warned", [f"{name}.csv" for name in OPTIONAL]),
    # found silent by this sweep (issue faults4), fixed
    "lines_disagree_on_tin": Case(_edit_declarations(_header_disagreement("tin", "T999999999")), "quarantined",
                                  ["declaration lines disagree on tin"]),
    "lines_disagree_on_date": Case(_edit_declarations(_header_disagreement("declaration_date", "2024-01-01")),
                                   "quarantined", ["declaration lines disagree on declaration_date"]),
    "lines_disagree_on_office": Case(_edit_declarations(_header_disagreement("office_code", "ZZZ99")),
                                     "quarantined", ["declaration lines disagree on office_code"]),
    "tin_lost_its_leading_zeros": Case(_lost_zeros, "restored_tin"),
}


# --------------------------------------------------------------------------- the run

@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("sweep")
    data = root / "clean"
    generate(data, declarations=5000, seed=11, fmt="csv", progress=False)
    result = _build(data, root / "clean.duckdb")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {"root": root, "data": data, "db": root / "clean.duckdb",
            "staged": _query(root / "clean.duckdb", f"select {COMPARED} from staging.stg_customs__declarations "
                                                    "order by declaration_id, item_no")}


def _build(data: Path, db: Path) -> subprocess.CompletedProcess:
    # cautious: a test runs only when all its parents are built here
    env = dict(os.environ, DBT_PROFILES_DIR=str(ROOT), DBT_SEND_ANONYMOUS_USAGE_STATS="false",
               DBT_INDIRECT_SELECTION="cautious", DBT_TARGET_PATH=str(db.parent / "target"), DBT_LOG_PATH=str(db.parent / "logs"))
    cip = Path(sys.executable).parent / "cip"
    return subprocess.run([str(cip), "build", "--data", str(data), "--db", str(db), "--select", SELECT],
                          cwd=ROOT, env=env, capture_output=True, text=True)


def _query(db: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).df()


@pytest.mark.parametrize("name", list(CASES))
def test_fault_is_quarantined_stopped_or_read_as_written(clean, name):
    case = CASES[name]
    data = clean["root"] / name
    if data.exists():
        shutil.rmtree(data)
    shutil.copytree(clean["data"], data, ignore=shutil.ignore_patterns("_truth"))
    touched = case.mutate(data)
    db = clean["root"] / f"{name}.duckdb"
    result = _build(data, db)
    text = result.stdout + result.stderr
    if case.expect == "stop":
        assert result.returncode != 0, f"{name}: the run should have stopped"
        for fragment in case.fragments:
            assert fragment in text, f"{fragment!r} not in:\n{text[-3000:]}"
        return
    assert result.returncode == 0, f"{name}: {text[-3000:]}"
    inventory = _query(db, "select * from staging.stg_source_inventory")
    broken = inventory[inventory["raw_rows"] != inventory["staged_rows"] + inventory["rejected_rows"]
                       + inventory["superseded_rows"]]
    assert broken.empty, broken.to_string()
    if case.expect == "quarantined":
        rejects = _query(db, "select row_key, reject_reasons from staging.stg_quarantine__rejected_rows "
                             f"where table_name = '{case.table}'")
        reasons = dict(zip(rejects["row_key"], rejects["reject_reasons"]))
        for key in touched:
            assert key in reasons, f"{name}: {key} not quarantined"
            assert case.fragments[0] in reasons[key], f"{name}: {key}: {reasons[key]}"
    elif case.expect == "clean":
        staged = _query(db, f"select {COMPARED} from staging.stg_customs__declarations order by declaration_id, item_no")
        pd.testing.assert_frame_equal(clean["staged"], staged)
    elif case.expect == "warned":
        # read as absent: warned, naming each file, and no row counted (nothing to lose)
        for fragment in case.fragments:
            assert f"{fragment} hold a header only or nothing" in text, f"{name}: no warning names {fragment}:\n{text[-3000:]}"
        counts = inventory.set_index("table_name")["raw_rows"]
        assert all(counts[table] == 0 for table in touched), inventory.to_string()
    elif case.expect == "restored_tin":
        tins = _query(db, "select distinct tin from staging.stg_customs__declarations")
        assert "123456789" not in set(tins["tin"]) and "000123456789" in set(tins["tin"])
        counts = _query(db, "select count(*) as n from staging.stg_customs__declarations")
        assert counts["n"].iloc[0] == len(clean["staged"])


# --------------------------------------------------------------------------- the other sources
# The same kinds of corruption applied to every other source (issue faults5). Their effects are
# independent, so each group is one build: every planted row is checked, and every table the
# group touches must stage what the clean set stages, minus the rows quarantined.

@dataclass
class Planted:
    table: str
    key: str            # row_key as staging.stg_quarantine__rejected_rows spells it
    reason: str         # a fragment of its reject reasons
    original: str | None = None   # the clean row's key, no longer staged (None: a copy, the original stays)


# table -> [(column, value, reason fragment)], each on its own row of the table
RECORD_FAULTS: dict[str, list[tuple[str, str, str]]] = {
    "control_results": [("control_date", "2099-01-05", "control_date after the load date"),
                        ("control_date", "1985-06-30", "control_date before the earliest date"),
                        ("amount_reassessed", "-5", "negative amount"),
                        ("amount_collected", "NaN", "amount_collected is NaN"),
                        ("amount_reassessed", "Infinity", "amount_reassessed is infinite"),
                        ("amount_collected", "1e308", "amount_collected out of range"),
                        ("outcome", "unclear", "outcome not an allowed value"),
                        ("declaration_id", "D_NOWHERE", "declaration_id not a known declaration")],
    "tax_returns": [("period_start", "2099-01-01", "period_start after the load date"),
                    ("period_start", "1985-01-01", "period_start before the earliest date"),
                    ("period_start", "2024-03-15", "period_start not the first day of a month"),
                    ("imports_declared", "-1", "negative amount"),
                    ("vat_on_imports_claimed", "NaN", "vat_on_imports_claimed is NaN"),
                    ("excise_declared", "-Infinity", "excise_declared is infinite"),
                    ("filed", "perhaps", "filed unreadable as boolean"),
                    ("tin", "T000000001", "tin not in the register (tax.taxpayers.tin)")],
    "tax_audits": [("audit_date", "2099-02-01", "audit_date after the load date"),
                   ("amount_assessed", "-3", "negative amount_assessed"),
                   ("amount_assessed", "NaN", "amount_assessed is NaN")],
    "taxpayers": [("registration_date", "2099-02-01", "registration_date after the load date"),
                  ("status", "closed", "status not an allowed value"),
                  ("tin", "T12", "tin malformed")],
    "treatments_applied": [("start_date", "2099-02-01", "start_date after the load date"),
                           ("start_date", "1985-02-01", "start_date before the earliest date")],
    "advance_rulings": [("ruling_date", "2099-02-01", "ruling_date after the load date"),
                        ("hs_code", "123", "hs_code not 6-10 digits")],
    "trader_survey": [("mean_score", "NaN", "mean_score is NaN"), ("mean_score", "7", "mean_score outside 1-5"),
                      ("respondents", "-3", "negative respondents")],
    "exchange_rates": [("usd_per_unit", "NaN", "usd_per_unit is NaN"), ("usd_per_unit", "-1", "usd_per_unit not positive"),
                       ("month_start", "2024-03-15", "month_start not the first day of a month")],
    "hs_nomenclature": [("duty_rate", "-0.1", "negative tax rate"), ("vat_rate", "Infinity", "vat_rate is infinite")],
    "country_risk": [("country_code", "X1", "country_code not ISO alpha-2"), ("risk_rating", "severe", "not an allowed value")],
    "isic_hs_concordance": [("hs_chapter", "123", "hs_chapter not 2 digits")],
    "sensitive_goods": [("hs_prefix", "6A", "hs_prefix not 2-10 digits")],
}
REFERENCE = {"exchange_rates", "hs_nomenclature", "country_risk", "isic_hs_concordance", "sensitive_goods"}
# spellings that must stage as the clean values (docs/source_contract.md, "Staging rules")
PADDED = {"control_results": ["control_id", "tin", "outcome"], "tax_returns": ["tin"], "tax_audits": ["audit_id", "tin"],
          "taxpayers": ["status"], "treatments_applied": ["tin"], "advance_rulings": ["ruling_id", "ruling_type"],
          "exchange_rates": ["currency"], "country_risk": ["country_code", "risk_rating"]}


@functools.cache
def _contract():
    return load_contract()


def _row_key(table: str, header: list[str], row: list[str]) -> str:
    return "|".join(row[_column(header, c)].strip().upper() if _contract()[table].column(c).normalisation
                    .startswith("trim, upper") else row[_column(header, c)].strip() for c in _contract()[table].key)


def _record_faults(tables: set[str]) -> Callable[[Path], list[Planted]]:
    def mutate(data: Path) -> list[Planted]:
        planted = []
        for table in sorted(tables):
            header, rows = _read(data / f"{table}.csv")
            position = 0
            for column, value, reason in RECORD_FAULTS[table]:
                row = rows[position]
                original = _row_key(table, header, row)
                row[_column(header, column)] = value
                planted.append(Planted(table, _row_key(table, header, row), reason, original))
                position += 2
            copy = list(rows[position])   # a row delivered twice: the copy quarantined, the first staged
            rows.append(copy)
            planted.append(Planted(table, _row_key(table, header, copy), "duplicate key"))
            for row in rows[position + 2:position + 7]:
                for column in PADDED.get(table, []):
                    text = row[_column(header, column)]
                    row[_column(header, column)] = f"  {text.lower() if text.isupper() else text.upper()} "
            _write(data / f"{table}.csv", header, rows)
        return planted
    return mutate


def _file_faults(data: Path) -> list[Planted]:
    """Every other file: columns reversed and renamed in case, a BOM and CRLF line ends."""
    for path in data.glob("*.csv"):
        if path.name == "declarations.csv":
            continue
        header, rows = _read(path)
        order = list(reversed(range(len(header))))
        _write(path, [header[i].upper() if i % 2 else header[i].title() for i in order],
               [[row[i] for i in order] for row in rows], newline="\r\n", bom=True)
    return []


TIN_TABLES = ["declarations", "control_results", "tax_returns", "tax_audits", "treatments_applied", "advance_rulings"]


def _tin_renames(data: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Per source with a TIN, its busiest registered operator gets TIN 000<digits> (restored when a
    row loses the zeros) and its second busiest 0<digits>, with a twin 000<digits> in the register
    (a stripped row is ambiguous: both strip to <digits>, which still fits tin_pattern)."""
    register = set(pd.read_csv(data / "taxpayers.csv", dtype=str)["tin"])
    restored, ambiguous = {}, {}
    for table in TIN_TABLES:
        counts = pd.read_csv(data / f"{table}.csv", dtype=str)["tin"].value_counts()
        busiest = [tin for tin in counts.index if tin in register and tin not in restored and tin not in ambiguous][:2]
        restored[busiest[0]] = "000" + busiest[0][1:]
        ambiguous[busiest[1]] = "0" + busiest[1][1:]
    return restored, ambiguous


def _stripped_tins(data: Path) -> list[Planted]:
    """Some rows of every source with a TIN lose its leading zeros (_tin_renames): restored against
    the register, or quarantined when ambiguous. Whole declarations lose them (a header column),
    ambiguous ones among declarations without controls (whose controls would follow them)."""
    restored, ambiguous = _tin_renames(data)
    controlled = set(pd.read_csv(data / "control_results.csv", dtype=str)["declaration_id"].dropna())
    planted = []
    for table in ["taxpayers", *TIN_TABLES]:
        header, rows = _read(data / f"{table}.csv")
        tin = _column(header, "tin")
        for row in rows:
            row[tin] = restored.get(row[tin]) or ambiguous.get(row[tin]) or row[tin]
        if table == "taxpayers":
            rows.extend([list(row[:tin]) + ["00" + row[tin]] + list(row[tin + 1:]) for row in rows
                         if row[tin] in set(ambiguous.values())])
            _write(data / f"{table}.csv", header, rows)
            continue
        counts = pd.Series([row[tin] for row in rows]).value_counts()
        for registered in [value for value in [*restored.values(), *ambiguous.values()] if value in counts.index][:4]:
            lost = registered.lstrip("0")
            if table == "declarations":
                ids = sorted({row[_column(header, "declaration_id")] for row in rows if row[tin] == registered
                              and (registered in restored.values() or row[_column(header, "declaration_id")] not in controlled)})
                chosen = [row for row in rows if row[_column(header, "declaration_id")] in ids[:2]]
            else:
                chosen = [row for row in rows if row[tin] == registered][:2]
            for row in chosen:
                original = _row_key(table, header, row)
                row[tin] = lost
                if registered in ambiguous.values():
                    planted.append(Planted(table, _row_key(table, header, row),
                                           "tin lost its leading zeros? it matches 2 register values", original))
        _write(data / f"{table}.csv", header, rows)
    return planted


def _renamed_clean(clean: dict, table: str) -> pd.DataFrame:
    """The clean set's staged rows with the TINs renamed as _stripped_tins renames them."""
    restored, ambiguous = _tin_renames(clean["data"])
    frame = _staged_rows(clean["db"], table)
    frame["tin"] = frame["tin"].replace({**restored, **ambiguous})
    return frame.sort_values(list(frame.columns), ignore_index=True)


@dataclass
class Group:
    mutate: Callable[[Path], list[Planted]]
    tables: list[str]   # tables whose staged rows are compared with the clean set's


OTHER_GROUPS: dict[str, Group] = {
    "records_of_the_customs_and_tax_sources": Group(
        _record_faults(set(RECORD_FAULTS) - REFERENCE), sorted(set(RECORD_FAULTS) - REFERENCE)),
    "records_of_the_reference_files": Group(_record_faults(REFERENCE), sorted(REFERENCE)),
    "other_files_reordered_renamed_bom_crlf": Group(_file_faults, sorted(RECORD_FAULTS)),
    "tins_that_lost_their_leading_zeros": Group(_stripped_tins, TIN_TABLES),
}


def _staged_rows(db: Path, table: str) -> pd.DataFrame:
    source = _contract()[table].source
    columns = [c.name for c in _contract()[table].columns]
    frame = _query(db, f"select {', '.join(columns)} from staging.base_{source}__{table} where _reject_reasons = ''")
    return frame.sort_values(columns, ignore_index=True)


def _keys(frame: pd.DataFrame, table: str) -> pd.Series:
    """row_key of stg_quarantine__rejected_rows for staged rows (dates as YYYY-MM-DD)."""
    parts = [frame[c].dt.strftime("%Y-%m-%d") if pd.api.types.is_datetime64_any_dtype(frame[c]) else frame[c].astype(str)
             for c in _contract()[table].key]
    return pd.concat(parts, axis=1).agg("|".join, axis=1)


@pytest.mark.parametrize("name", list(OTHER_GROUPS))
def test_faults_in_the_other_sources(clean, name):
    group = OTHER_GROUPS[name]
    data = clean["root"] / name
    if data.exists():
        shutil.rmtree(data)
    shutil.copytree(clean["data"], data, ignore=shutil.ignore_patterns("_truth"))
    planted = group.mutate(data)
    db = clean["root"] / f"{name}.duckdb"
    result = _build(data, db)
    assert result.returncode == 0, f"{name}: {(result.stdout + result.stderr)[-3000:]}"
    inventory = _query(db, "select * from staging.stg_source_inventory")
    broken = inventory[inventory["raw_rows"] != inventory["staged_rows"] + inventory["rejected_rows"]
                       + inventory["superseded_rows"]]
    assert broken.empty, broken.to_string()
    rejects = _query(db, "select table_name, row_key, reject_reasons from staging.stg_quarantine__rejected_rows")
    reasons = {(t, k): r for t, k, r in rejects.itertuples(index=False)}
    for row in planted:
        assert (row.table, row.key) in reasons, f"{name}: {row.table} {row.key} not quarantined"
        assert row.reason in reasons[(row.table, row.key)], f"{name}: {row.table} {row.key}: {reasons[(row.table, row.key)]}"
    for table in group.tables:
        if name == "tins_that_lost_their_leading_zeros":
            expected = _renamed_clean(clean, table)
        else:
            expected = _staged_rows(clean["db"], table)
        gone = {row.original for row in planted if row.table == table and row.original}
        expected = expected[~_keys(expected, table).isin(gone)].reset_index(drop=True)
        if table == "tax_returns":   # the returns of a quarantined taxpayer follow it (meta registered_in)
            unregistered = {row.original for row in planted if row.table == "taxpayers" and row.original}
            followed = expected[expected["tin"].isin(unregistered)]
            for key in (_keys(followed, table) if len(followed) else []):
                assert "tin not in the register" in reasons.get((table, key), ""), f"{name}: {table} {key}"
            expected = expected[~expected["tin"].isin(unregistered)].reset_index(drop=True)
        pd.testing.assert_frame_equal(expected, _staged_rows(db, table), check_dtype=False, obj=f"{name}: {table}")
