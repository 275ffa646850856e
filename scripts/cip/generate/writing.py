"""Writing the source tables: one single writer per file, fixed chunks, so the bytes never change."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .corruption import apply_decl_corruption
from .declarations import decl_ids, item_numbers, line_taxes, rows
from .helpers import State, dates, ids, take_strings
from .params import TAX_TYPES
from .reference import EXEMPTION_CODES, IMPORT_REGIMES, TRANSPORT

CHUNK_ROWS = 1 << 20  # fixed (not machine-dependent) so that the bytes never change


def write_chunked(path: Path, schema: pa.Schema, fmt: str, n_rows: int, build) -> int:
    """Write build(a, b) for consecutive row ranges with a single writer; returns rows written."""
    written = 0
    if fmt == "csv":
        writer = pacsv.CSVWriter(str(path), schema, write_options=pacsv.WriteOptions(include_header=True))
    else:
        writer = pq.ParquetWriter(str(path), schema, compression="snappy", store_schema=False)
    try:
        for a in range(0, max(n_rows, 1), CHUNK_ROWS):
            t = build(a, min(a + CHUNK_ROWS, n_rows))
            if fmt == "csv":
                writer.write_table(t)
            else:
                writer.write_table(t, row_group_size=max(t.num_rows, 1))
            written += t.num_rows
            del t
    finally:
        writer.close()
    return written


def write_table(table: pa.Table, out_dir: Path, name: str, fmt: str) -> None:
    if fmt == "csv":
        path = out_dir / f"{name}.csv"
        pacsv.write_csv(table, path, pacsv.WriteOptions(include_header=True, quoting_style="needed"))
    else:
        path = out_dir / f"{name}.parquet"
        pq.write_table(table, path, compression="snappy", row_group_size=CHUNK_ROWS, store_schema=False)



# source table -> the state entry that holds its columns (every source table but declarations)
SMALL_TABLES = {
    "control_results": "ctrl_cols_final", "advance_rulings": "advance_rulings",
    "treatments_applied": "treatments_applied", "trader_survey": "trader_survey", "taxpayers": "taxpayers",
    "tax_returns": "tax_returns", "tax_audits": "tax_audits", "hs_nomenclature": "hs_tbl",
    "country_risk": "country_tbl", "sensitive_goods": "sens_tbl", "exchange_rates": "fx_tbl",
    "isic_hs_concordance": "conc_tbl",
}


def write_small_tables(state: State, *names: str) -> None:
    """Writes the named source tables (see SMALL_TABLES) and frees their columns: the tables no contract
    breach touches are written as soon as they are drawn, so that they are not held to the end."""
    if not hasattr(state, "counts"):
        state.put(counts={"declarations": 0} | {name: None for name in SMALL_TABLES})
    for name in names:
        t = pa.table(getattr(state, SMALL_TABLES[name]))
        state.drop(SMALL_TABLES[name])
        state.counts[name] = t.num_rows
        write_table(t, state.out_dir, name, state.fmt)
        del t


def write_declarations(state: State) -> None:
    """Writes declarations in fixed chunks of rows (bounded memory, same bytes every run)."""
    (all_brok_ids, all_offices, counts, cplan, customs_value, departure, exempt, exempt_code, fmt,
        h_aeo, h_broker, h_broker_null, h_cur, h_date, h_evd, h_man, h_mode, h_office, h_regime, h_release,
        h_supplier, hidx, hs, imp, l_channel, line_decl, mass, n_rows, op, origin, out_dir, qty,
        rate_null, ref, tax_code, tins) = (
        state.all_brok_ids, state.all_offices, state.counts, state.cplan, state.customs_value,
        state.departure, state.exempt, state.exempt_code, state.fmt, state.h_aeo,
        state.h_broker, state.h_broker_null, state.h_cur, state.h_date, state.h_evd, state.h_man, state.h_mode,
        state.h_office, state.h_regime, state.h_release, state.h_supplier, state.hidx, state.hs, state.imp,
        state.l_channel, state.line_decl, state.mass, state.n_rows, state.op, state.origin,
        state.out_dir, state.qty, state.rate_null, state.ref, state.tax_code, state.tins)
    # declarations: built and written in fixed chunks of rows (bounded memory, same bytes every run)
    hs_codes_arr = pa.array(list(hs["hs_code"]), type=pa.string())
    unit_arr = pa.array(list(hs["supplementary_unit"]), type=pa.string())
    ctry_arr = pa.array(list(ref["country_codes"]), type=pa.string())
    b_str = ids("B", all_brok_ids, 5)
    ex_codes = pa.array(EXEMPTION_CODES, type=pa.string())
    tax_types = pa.array(TAX_TYPES, type=pa.string())
    date_type = pa.string() if cplan is not None else pa.date32()
    schema = pa.schema([
        ("declaration_id", pa.string()), ("item_no", pa.int32()), ("version", pa.int32()),
        ("declaration_date", date_type), ("flow", pa.string()), ("regime", pa.string()),
        ("office_code", pa.string()), ("tin", pa.string()), ("declarant_id", pa.string()),
        ("supplier_id", pa.string()), ("hs_code", pa.string()), ("origin_country", pa.string()),
        ("departure_country", pa.string()), ("transport_mode", pa.string()), ("currency", pa.string()),
        ("customs_value", pa.float64()), ("net_mass_kg", pa.float64()), ("quantity", pa.float64()),
        ("quantity_unit", pa.string()), ("duty_paid", pa.float64()), ("vat_paid", pa.float64()),
        ("excise_paid", pa.float64()), ("duty_rate", pa.float64()), ("tax_type", pa.string()),
        ("exemption_code", pa.string()), ("channel", pa.string()),
        ("release_hours", pa.float64()), ("is_aeo", pa.bool_()), ("has_e_value_declaration", pa.bool_()),
        ("manifest_filed_in_advance", pa.bool_()),
    ])

    def build_chunk(a: int, b: int) -> pa.Table:
        s, is_v2, f = rows(state, a, b)
        tx = line_taxes(state, s)
        hs_ = hidx[s]
        imp_r = imp[s]
        mode_l = h_mode[hs_]
        ld = line_decl[s]
        cols = {
            "declaration_id": decl_ids(state, hs_),
            "item_no": pa.array(item_numbers(state, s)),
            "version": pa.array(np.where(is_v2, 2, 1).astype(np.int32)),
            "declaration_date": dates(h_date[hs_]),
            "flow": take_strings(["I", "E"], (~imp_r).astype(np.int64)),
            "regime": take_strings(IMPORT_REGIMES + ["10"], h_regime[hs_]),
            "office_code": take_strings(all_offices, h_office[hs_]),
            "tin": tins.take(pa.array(op[s])),
            "declarant_id": b_str.take(pa.array(np.searchsorted(all_brok_ids, h_broker[hs_]), mask=h_broker_null[hs_])),
            "supplier_id": ids("S", h_supplier[hs_], 6),
            "hs_code": hs_codes_arr.take(pa.array(ld)),
            "origin_country": ctry_arr.take(pa.array(origin[s])),
            "departure_country": ctry_arr.take(pa.array(departure[s])),
            "transport_mode": take_strings(TRANSPORT, mode_l),
            "currency": take_strings(ref["cur_codes"], h_cur[hs_]),
            "customs_value": pa.array(np.round(customs_value[s] * f, 2)),
            "net_mass_kg": pa.array(np.round(mass[s], 3)),
            "quantity": pa.array(np.round(qty[s], 3)),
            "quantity_unit": unit_arr.take(pa.array(ld)),
            "duty_paid": pa.array(np.round(tx["duty"] * f, 2)),
            "vat_paid": pa.array(np.round(tx["vat"] * f, 2)),
            "excise_paid": pa.array(np.round(tx["excise"] * f, 2)),
            "duty_rate": pa.array(tx["d_rate"], mask=rate_null[s]),
            "tax_type": tax_types.take(pa.array(tax_code[s].astype(np.int64), mask=rate_null[s])),
            "exemption_code": ex_codes.take(pa.array(exempt_code[s], mask=~exempt[s])),
            "channel": take_strings(["red", "yellow", "green"], l_channel[s]),
            "release_hours": pa.array(h_release[hs_]),
            "is_aeo": pa.array(h_aeo[hs_]),
            "has_e_value_declaration": pa.array(h_evd[hs_], mask=~imp_r),
            "manifest_filed_in_advance": pa.array(h_man[hs_], mask=mode_l != 0),
        }
        if cplan is not None:
            cols["declaration_date"] = pc.cast(cols["declaration_date"], pa.string())
            cols = apply_decl_corruption(cols, cplan, a, b)
        return pa.Table.from_arrays([cols[f_.name] for f_ in schema], schema=schema)

    counts["declarations"] = write_chunked(out_dir / f"declarations.{fmt}", schema, fmt, n_rows, build_chunk)
