"""Faults around a build (issue: faults): a wrong data folder, an engine that cannot spill.

Each stops `cip build` with one line naming what is wrong and the fix, and leaves the
warehouse as it was. (A killed build, a writer holding the warehouse and SIGTERM are in
test_serving.py; bad rows, files and vars in test_bad_inputs.py.)
"""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb

from cip.build import failure_cause
from cip.paths import project_root

ROOT = project_root()


def _cip_build(data, db, tmp_path) -> subprocess.CompletedProcess:
    env = dict(os.environ, DBT_PROFILES_DIR=str(ROOT), DBT_LOG_PATH=str(tmp_path / "logs"),
               DBT_TARGET_PATH=str(tmp_path / "target"))
    return subprocess.run([sys.executable, "-m", "cip.cli", "build", "--data", str(data), "--db", str(db)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_missing_data_folder_stops_before_dbt(tmp_path):
    db = tmp_path / "w.duckdb"
    result = _cip_build(tmp_path / "no-such-folder", db, tmp_path)
    assert result.returncode == 1
    assert "the data folder" in result.stderr and "does not exist" in result.stderr
    assert "--data DIR or CIP_DATA_DIR" in result.stderr
    assert "dbt build" not in result.stdout, "stopped before dbt"
    assert not db.exists()


def test_data_folder_without_raw_files_names_what_it_holds(tmp_path):
    data = tmp_path / "exports"
    data.mkdir()
    (data / "Declarations 2025.xlsx").write_bytes(b"PK")
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:        # a last good warehouse, which must stay as it was
        con.execute("create table kept as select 42 as answer")
    before = db.read_bytes()
    result = _cip_build(data, db, tmp_path)
    assert result.returncode == 1
    assert "holds none of the raw files" in result.stderr and "Declarations 2025.xlsx" in result.stderr
    assert db.read_bytes() == before


def _failed(message: str) -> dict:
    return {"results": [{"status": "error", "unique_id": "model.customs_cip.base_customs__declarations",
                         "message": message}]}


def test_spill_folder_full_or_unwritable_gets_the_fix():
    full = failure_cause("", _failed(
        "Runtime Error\n  Out of Memory Error: failed to offload data block of size 256.0 KiB (736.0 KiB/976.5 KiB used). "
        "This limit was set by the 'max_temp_directory_size' setting."))
    assert "CIP_MAX_TEMP_SIZE" in full and "CIP_TEMP_DIRECTORY" in full
    unwritable = failure_cause("", _failed(
        'Runtime Error\n  IO Error: Failed to create directory "/data/w.duckdb.tmp": Permission denied'))
    assert "cannot be written" in unwritable and "CIP_TEMP_DIRECTORY" in unwritable
    assert "CIP_TEMP_DIRECTORY" not in failure_cause("", _failed("Runtime Error\n  Binder Error: column x"))


def _seed_copy(tmp_path):
    """A copy of the project's seeds and their rules, to edit like an administration would."""
    import shutil

    root = tmp_path / "project"
    shutil.copytree(ROOT / "seeds", root / "seeds")
    return root


def test_sound_seeds_pass():
    from cip.seed_check import check_seeds

    assert check_seeds() == []


def test_seed_edited_badly_is_named_by_file_line_and_fix(tmp_path):
    from cip.seed_check import check_seeds

    root = _seed_copy(tmp_path)
    catalogue = root / "seeds" / "config" / "indicator_catalogue.csv"
    lines = catalogue.read_text().splitlines()
    lines[2] = lines[2].replace("TX_RISKY_HS,", "TX_HIGH_RISK_BROKER,", 1)        # a duplicate indicator id
    lines[3] = lines[3].replace(",>,0.30,3,", ",>,0.3O,3,", 1)                  # a letter O in a threshold
    lines[4] = lines[4].replace(",>,0.20,", ",=>,0.20,", 1)                      # an unknown comparison
    lines[5] = lines[5].replace(",>,0.10,5,", ",>,0.10,-5,", 1)                  # a negative expert weight
    catalogue.write_text("\n".join(lines) + "\n")
    matrix = root / "seeds" / "risk_cip" / "risk_cip_treatment_matrix.csv"
    matrix.write_text(matrix.read_text().replace("undervaluation,large,high,", "undervalution,large,high,", 1))
    problems = "\n".join(check_seeds(root))
    assert ("seeds/config/indicator_catalogue.csv line 3: indicator_code = TX_HIGH_RISK_BROKER repeats line 2"
            in problems), problems
    assert "indicator_catalogue.csv line 4: threshold = '0.3O' is not a number: write a double" in problems
    assert "indicator_catalogue.csv line 5: comparison = '=>' is not one of >, >=" in problems
    assert ("risk_cip_treatment_matrix.csv line 2: risk_type = 'undervalution' is not a risk_type of seed "
            "compliance_risk_types") in problems
    assert "indicator_catalogue.csv line 6: expert_weight = -5 breaks expert_weight >= 0" in problems
    assert problems.count("\n") == 4, "one message per broken rule"


def test_cip_build_stops_on_a_bad_seed_before_dbt(tmp_path, monkeypatch, capsys):
    import argparse

    from cip import build, seed_check

    root = _seed_copy(tmp_path)
    levels = root / "seeds" / "config" / "risk_levels.csv"
    levels.write_text(levels.read_text() + "high,4\n")
    monkeypatch.setattr(seed_check, "project_root", lambda: root)
    data = tmp_path / "data"
    data.mkdir()
    (data / "declarations.parquet").write_bytes(b"")
    args = argparse.Namespace(data=data, db=tmp_path / "w.duckdb", select=None, full_refresh=False, vars=None,
                              with_unit_tests=False)
    assert build.run_build(args) == 1
    message = capsys.readouterr().err
    assert "seeds/config/risk_levels.csv line 5: risk_level = high repeats line 2" in message, message
    assert not (tmp_path / "w.duckdb").exists()


def test_csv_cut_mid_line_stops_every_command_naming_file_and_line(tmp_path):
    """A copy interrupted mid-file: the last value cut short can still read (`1234.56` as `12`),
    so a CSV that does not end with a line break stops `cip build` before dbt, and `cip check` /
    `cip load` (cip/raw_csv.py), naming the file, the line and the fix; the warehouse is not touched."""
    from cip.check import load_contract, load_vars, read_raw
    from cip.generate import generate

    data = tmp_path / "data"
    generate(data, declarations=300, seed=3, fmt="csv", progress=False)
    returns = data / "tax_returns.csv"
    text = returns.read_bytes()
    lines = text.count(b"\n")
    returns.write_bytes(text.rstrip(b"\n")[:-2])              # the last value loses its last digits
    db = tmp_path / "w.duckdb"
    result = _cip_build(data, db, tmp_path)
    assert result.returncode == 1
    assert f"{returns} does not end with a line break: its last line (line {lines}" in result.stderr, result.stderr
    assert "Copy or export the file again" in result.stderr
    assert "dbt build" not in result.stdout, "stopped before dbt"
    assert not db.exists()
    contract = {table.name: table for table in load_contract().values()}["tax_returns"]
    try:
        read_raw(data, contract, load_vars())
    except SystemExit as stop:
        assert "tax_returns.csv does not end with a line break" in str(stop)
    else:
        raise AssertionError("cip check read the cut file")
    from cip.raw_csv import unfinished_last_line

    returns.write_bytes(text)                                 # whole again (and CRLF, or a header alone): fine
    assert unfinished_last_line(returns) is None
    returns.write_bytes(text.replace(b"\n", b"\r\n"))
    assert unfinished_last_line(returns) is None
    returns.write_bytes(text.split(b"\n", 1)[0])
    assert unfinished_last_line(returns) is None


def test_cip_build_checks_the_folder_its_vars_name(tmp_path, capsys):
    """`cip build --vars '{data_dir: DIR}'` reads DIR (the var overrides CIP_DATA_DIR): the checks
    before dbt look at DIR too, not at --data."""
    import argparse

    from cip import build

    data = tmp_path / "exports"
    data.mkdir()
    (data / "country_risk.csv").write_bytes(b"country_code,risk_rating\nFR,low\nDE,lo")
    other = tmp_path / "other"
    other.mkdir()
    args = argparse.Namespace(data=other, db=tmp_path / "w.duckdb", select=None, full_refresh=False,
                              vars=f"{{data_dir: '{data}'}}", with_unit_tests=False)
    assert build.run_build(args) == 1
    message = capsys.readouterr().err
    assert f"{data / 'country_risk.csv'} does not end with a line break: its last line (line 3" in message, message
    assert not (tmp_path / "w.duckdb").exists()
