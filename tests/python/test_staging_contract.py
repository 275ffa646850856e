"""The source contract at work: quarantine, reconciliation, optional sources, bad files."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq
import pytest

from conftest import copy_data, run_dbt_isolated

pytestmark = pytest.mark.warehouse


def test_rejects_and_reconciliation(small_data, tmp_path):
    data = copy_data(small_data, tmp_path / "data")
    result = run_dbt_isolated(["build", "--select", "path:models/staging", "path:models/utilities", "path:tests/dbt/staging"],
                              data, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        inventory = con.execute(
            "select table_name, raw_rows, staged_rows, rejected_rows, superseded_rows "
            "from staging.stg_source_inventory").fetchall()
        rejects = dict(con.execute(
            "select table_name, count(*) from staging.stg_quarantine__rejected_rows group by 1").fetchall())
    for table, raw, staged, rejected, superseded in inventory:
        assert raw == staged + rejected + superseded, table
    # the generator corrupted 1% of declaration and control rows: they are quarantined, not lost
    assert rejects.get("declarations", 0) > 0
    assert rejects.get("control_results", 0) > 0


def test_missing_optional_sources_disable_indicators(small_data, tmp_path):
    data = copy_data(small_data, tmp_path / "data", drop=("taxpayers", "tax_returns", "tax_audits"))
    result = run_dbt_isolated(["build", "--select", "+indicator_status", "+operator_gri",
                               "--indirect-selection", "cautious"], data, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "optional source tax.tax_returns not found" in result.stdout
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        inactive = dict(con.execute(
            "select indicator_code, inactive_reason from marts.indicator_status where not is_active").fetchall())
        flagged_codes = {r[0] for r in con.execute(
            "select distinct indicator_code from intermediate.int_operator_indicator_values").fetchall()}
        taxpayer_rows = con.execute("select count(*) from staging.stg_tax__taxpayers").fetchone()[0]
        gri_rows = con.execute("select count(*) from marts.operator_gri").fetchone()[0]
    tax_indicators = {"TAX_NON_FILER", "TAX_AUDIT_IRREGULARITIES", "TAX_TRANSFER_PRICING",
                      "TAX_REPEAT_OFFENDER", "XC_VAT_MISMATCH", "XC_VALUE_MISMATCH",
                      "XC_EXCISE_MISMATCH", "XC_ISIC_HS_MISMATCH"}
    assert tax_indicators <= set(inactive)
    assert all("source absent" in inactive[code] for code in tax_indicators)
    assert not (tax_indicators & flagged_codes), "disabled indicators must not be zero-filled"
    assert taxpayer_rows == 0
    assert gri_rows > 0


def test_missing_required_column_names_file_and_columns(small_data, tmp_path):
    data = copy_data(small_data, tmp_path / "data")
    table = pq.read_table(data / "declarations.parquet").drop_columns(["hs_code", "channel"])
    pq.write_table(table, data / "declarations.parquet")
    result = run_dbt_isolated(["run", "--select", "+stg_customs__declarations"], data, tmp_path)
    assert result.returncode != 0
    message = result.stdout
    assert "declarations.parquet" in message
    assert "hs_code" in message and "channel" in message


def test_csv_exports_are_read(small_data, tmp_path):
    data = copy_data(small_data, tmp_path / "data")
    con = duckdb.connect()
    for name in ("declarations", "taxpayers"):
        source = data / f"{name}.parquet"
        con.execute(f"copy (select * from read_parquet('{source}')) to '{data / (name + '.csv')}' (header)")
        source.unlink()
    result = run_dbt_isolated(["build", "--select", "path:models/staging", "path:models/utilities", "path:tests/dbt/staging"],
                              data, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as wh:
        staged = wh.execute("select count(*) from staging.stg_customs__declarations").fetchone()[0]
    assert staged > 4000
