"""Tests of the synthetic data generator (cip.generate)."""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from cip.generate import generate  # noqa: E402

N = 60_000
SOURCES = ["models/staging/customs/_customs__sources.yml", "models/staging/tax/_tax__sources.yml",
           "models/staging/reference/_reference__sources.yml"]
TYPES = {"varchar": pa.string(), "double": pa.float64(), "integer": pa.int32(),
         "date": pa.date32(), "boolean": pa.bool_()}


def _contract() -> dict[str, list[tuple[str, str, dict]]]:
    out = {}
    for f in SOURCES:
        doc = yaml.safe_load((ROOT / f).read_text())
        for src in doc["sources"]:
            for t in src["tables"]:
                out[t["name"]] = [(c["name"], c["data_type"], c.get("config", {}).get("meta", {}))
                                  for c in t["columns"]]
    return out


CONTRACT = _contract()


def _digest(d: Path) -> dict[str, str]:
    return {p.relative_to(d).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(d.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def gen(tmp_path_factory):
    d = tmp_path_factory.mktemp("gen")
    generate(d, N, seed=7, progress=False)
    return d


@pytest.fixture(scope="module")
def truth(gen):
    return json.loads((gen / "_truth" / "truth.json").read_text())


def _t(d: Path, name: str) -> pa.Table:
    return pq.read_table(d / f"{name}.parquet")


def test_same_seed_same_bytes_and_different_seed_differs(tmp_path, gen):
    a, b = tmp_path / "a", tmp_path / "b"
    generate(a, N, seed=7, progress=False)
    generate(b, N, seed=8, progress=False)
    da, dg, db = _digest(a), _digest(gen), _digest(b)
    assert da == dg
    assert da["declarations.parquet"] != db["declarations.parquet"]
    ta = json.loads((a / "_truth" / "truth.json").read_text())
    tg = json.loads((gen / "_truth" / "truth.json").read_text())
    assert ta == tg


def test_all_tables_match_contract(gen):
    for table, cols in CONTRACT.items():
        t = _t(gen, table)
        assert t.column_names == [c for c, _, _ in cols], table
        for name, dtype, meta in cols:
            col = t.column(name)
            assert col.type == TYPES[dtype], (table, name, col.type)
            if meta.get("nullable") is False:
                assert col.null_count == 0, (table, name)
            if "allowed" in meta:
                vals = set(col.drop_null().unique().to_pylist())
                assert vals <= set(meta["allowed"]), (table, name, vals - set(meta["allowed"]))
        assert t.num_rows > 0, table


def test_referential_integrity_and_formats(gen):
    d = _t(gen, "declarations")
    hs = set(_t(gen, "hs_nomenclature").column("hs_code").to_pylist())
    cr = set(_t(gen, "country_risk").column("country_code").to_pylist())
    fx = _t(gen, "exchange_rates")
    assert set(d.column("hs_code").unique().to_pylist()) <= hs
    assert set(d.column("origin_country").unique().to_pylist()) <= cr
    assert set(d.column("currency").unique().to_pylist()) <= set(fx.column("currency").to_pylist())
    assert "LCU" in fx.column("currency").to_pylist()
    tins = d.column("tin").unique().to_pylist()
    assert all(len(t) == 10 and t[0] == "T" and t[1:].isdigit() for t in tins)
    ids = d.column("declaration_id").unique().to_pylist()
    assert all(len(i) == 11 and i[0] == "D" and i[1:].isdigit() for i in ids)
    assert np.all(d.column("customs_value").to_numpy() > 0)
    keys = d.select(["declaration_id", "item_no", "version"]).to_pandas()
    assert not keys.duplicated().any()
    v = d.column("version").to_numpy()
    assert 0.001 < (v == 2).mean() < 0.006
    c = _t(gen, "control_results")
    assert len(c.column("control_id").unique()) == c.num_rows
    ex = c.filter(pa.compute.equal(c.column("control_type"), "examination"))
    assert ex.column("declaration_id").null_count == 0
    flow = d.column("flow").to_numpy(zero_copy_only=False)
    assert 0.80 < (flow == "I").mean() < 0.90
    ch = d.column("channel").to_numpy(zero_copy_only=False)
    assert 0.03 < (ch == "red").mean() < 0.10 and 0.08 < (ch == "yellow").mean() < 0.18
    # every red/yellow v1 line examined
    v1 = d.filter(pa.compute.equal(d.column("version"), 1))
    ry = int(pa.compute.sum(pa.compute.is_in(v1.column("channel"), pa.array(["red", "yellow"]))).as_py())
    assert ry == ex.num_rows
    man = d.column("manifest_filed_in_advance")
    mode = d.column("transport_mode").to_numpy(zero_copy_only=False)
    assert np.all(np.asarray(man.is_null()) == (mode != "sea"))


def test_taxes_consistent(gen):
    d = _t(gen, "declarations").to_pandas()
    d = d[d.version == 1]
    hs = _t(gen, "hs_nomenclature").to_pandas().set_index("hs_code")
    fx = _t(gen, "exchange_rates").to_pandas()
    imp = d[(d.flow == "I") & d.duty_rate.notna()].head(3000)
    fx["m"] = pd_month(fx.month_start)
    r = fx.pivot(index="m", columns="currency", values="usd_per_unit")
    m = pd_month(imp.declaration_date)
    lcu = imp.customs_value.to_numpy() * r.lookup_like(m, imp.currency) / r.lookup_like(m, ["LCU"] * len(imp))
    # duty_paid is the declared rate times the value; the rate follows the duty treatment
    assert np.allclose(imp.duty_paid.to_numpy(), lcu * imp.duty_rate.to_numpy(), rtol=1e-3, atol=0.02)
    general = hs.loc[imp.hs_code, "duty_rate"].to_numpy()
    tt = imp.tax_type.to_numpy()
    rate = imp.duty_rate.to_numpy()
    assert np.allclose(rate[tt == "general"], general[tt == "general"])
    assert np.all(rate[tt == "preferential"] <= general[tt == "preferential"] + 1e-12)
    assert np.all(rate[np.isin(tt, ["exempt", "suspended"])] == 0)


def test_duty_rate_and_tax_type_columns(gen, truth):
    from cip.generate import PREFERENCE
    d = _t(gen, "declarations").to_pandas()
    d = d[d.version == 1]
    assert set(d.tax_type.dropna()) == {"general", "preferential", "exempt", "suspended", "export"}
    imp, exp = d[d.flow == "I"], d[d.flow == "E"]
    assert (exp.tax_type == "export").all() and (exp.duty_rate == 0).all() and (exp.duty_paid == 0).all()
    # a few import lines without a recorded rate or treatment, never more
    assert 0 < imp.duty_rate.isna().mean() < 0.02
    assert (imp.duty_rate.isna() == imp.tax_type.isna()).all()
    rec = imp[imp.tax_type.notna()]
    assert (rec.exemption_code.notna() == (rec.tax_type == "exempt")).all()
    assert ((rec.tax_type == "suspended") <= (rec.regime != "40")).all()
    assert ((rec.regime != "40") & rec.exemption_code.isna()).eq(rec.tax_type == "suspended").all()
    pref = rec[rec.tax_type == "preferential"]
    assert len(pref) > 0 and pref.origin_country.isin(list(PREFERENCE)).all()
    assert 0.05 < (rec.tax_type == "preferential").mean() < 0.30
    assert (rec.duty_rate >= 0).all()
    dt = truth["duty_treatment"]
    assert dt["preferential"] == (imp.tax_type == "preferential").sum()


def pd_month(s):
    import pandas as pd
    return pd.to_datetime(s).dt.to_period("M").astype(str).to_numpy()


def _lookup_like(self, rows, cols):
    return np.array([self.at[a, b] for a, b in zip(rows, cols)])


import pandas as _pd  # noqa: E402

_pd.DataFrame.lookup_like = _lookup_like


def test_planted_rates(truth, gen):
    ops = pq.read_table(gen / "_truth" / "operators.parquet").to_pandas()
    M = len(ops)
    assert 0.14 < ops.is_noncompliant.mean() < 0.27
    rt = ops.risk_types.dropna().str.split("|").explode()
    shares = rt.value_counts() / M
    for r in ["undervaluation", "misclassification", "origin", "special_regime_abuse",
              "tax_mismatch", "non_filer", "transfer_pricing"]:
        assert 0.015 < shares.get(r, 0) < 0.08, (r, shares.get(r, 0))
    p = truth["planted"]
    assert 0.5 < p["undervaluation"]["import_line_irregular_share"] < 0.7
    assert p["misclassification"]["residual_share_second_year"] > p["misclassification"]["residual_share_first_year"] + 0.1
    assert p["special_regime_abuse"]["exempt_share_second_year"] > p["special_regime_abuse"]["exempt_share_first_year"] + 0.1
    assert p["origin"]["high_risk_origin_share"] > 0.3 > p["origin"]["high_risk_origin_share_normal"]
    assert 0.4 < p["non_filer"]["not_filed_share"] < 0.8
    assert p["non_filer"]["not_filed_share_normal"] < 0.05
    b = truth["brokers"]
    assert b["complicit_line_share_noncompliant"] > 0.35 > 0.1 > b["complicit_line_share_normal"]
    tr = truth["treatment"]
    assert tr["planted_relative_reduction"] == pytest.approx(0.6)
    assert tr["expected_did_observed_rate"] < 0
    assert tr["treated_operators"] > 0 and tr["comparison_operators"] > 0
    ta = _t(gen, "treatments_applied")
    assert ta.num_rows == tr["treated_operators"]
    assert set(ops[ops.treatment_group == "treated"].tin) == set(ta.column("tin").to_pylist())
    # tax returns: every month for registered operators
    rets = _t(gen, "tax_returns")
    assert rets.num_rows == truth["operators"]["registered"] * truth["parameters"]["months"]
    # transfer pricing found in audits of TP operators
    aud = _t(gen, "tax_audits").to_pandas().merge(ops, on="tin")
    tp = aud.risk_types.fillna("").str.contains("transfer_pricing")
    if tp.any():
        assert aud[tp].transfer_pricing_adjustment.mean() > aud[~tp].transfer_pricing_adjustment.mean()
    # repeat offenders: some operators with irregularities in >= 2 quarters
    c = _t(gen, "control_results").to_pandas()
    irr = c[c.outcome == "irregularity"].copy()
    irr["q"] = _pd.to_datetime(irr.control_date).dt.to_period("Q")
    assert (irr.groupby("tin").q.nunique() >= 2).sum() >= 5


def test_size_distribution_heavy_tailed(gen, truth):
    d = _t(gen, "declarations").to_pandas()
    d = d[d.version == 1]
    fx = _t(gen, "exchange_rates").to_pandas()
    fx["m"] = pd_month(fx.month_start)
    d["m"] = pd_month(d.declaration_date)
    d = d.merge(fx[["m", "currency", "usd_per_unit"]], on=["m", "currency"])
    v = (d.customs_value * d.usd_per_unit).groupby(d.tin).sum()
    large = v >= 500_000
    medium = (v >= 100_000) & ~large
    assert 0.04 < large.mean() < 0.13
    assert v[large].sum() / v.sum() > 0.70
    assert (~large & ~medium).mean() > 0.5


def test_corruption_counts_match_files(tmp_path):
    out = tmp_path / "c"
    generate(out, N, seed=3, corrupt_rate=0.05, progress=False)
    t = json.loads((out / "_truth" / "truth.json").read_text())
    cor = t["corruption"]
    d = pq.read_table(out / "declarations.parquet")
    assert d.schema.field("declaration_date").type == pa.string()
    dc = cor["declarations"]
    assert d.num_rows == dc["rows_clean"] + dc["rows_corrupted_in_place"] + 2 * dc["rows_duplicated_source"]
    assert d.num_rows == t["row_counts"]["declarations"]
    k = dc["by_kind"]
    pdf = d.to_pandas()
    assert pdf.tin.isna().sum() == k["null_tin"]
    assert (pdf.tin == "T12").sum() == k["malformed_tin"]
    assert (pdf.declaration_date == "2024-13-45").sum() == k["unparseable_date"]
    assert (pdf.customs_value <= 0).sum() == k["nonpositive_value"]
    assert pdf.hs_code.str.contains("[A-Za-z]").sum() == k["hs_letters"]
    assert (pdf.hs_code.str.len() == 4).sum() == k["hs_4_digits"]
    assert (pdf.origin_country == "ZZ").sum() == k["unknown_origin"]
    assert (pdf.currency == "XXX").sum() == k["unknown_currency"]
    assert (pdf.channel == "blue").sum() == k["unknown_channel"]
    assert pdf.duplicated(["declaration_id", "item_no", "version"]).sum() == k["duplicate_line"]
    assert sum(k.values()) > 0 and all(v > 0 for v in k.values())
    c = pq.read_table(out / "control_results.parquet").to_pandas()
    ck = cor["control_results"]["by_kind"]
    assert (c.outcome == "maybe").sum() == ck["unknown_outcome"]
    assert c.tin.isna().sum() == ck["null_tin"]
    assert (c.tin == "T12").sum() == ck["malformed_tin"]
    assert (c.control_date == "2024-13-45").sum() == ck["unparseable_date"]
    tp = pq.read_table(out / "taxpayers.parquet").to_pandas()
    tk = cor["taxpayers"]["by_kind"]
    assert tp.tin.isna().sum() == tk["null_tin"] and (tp.tin == "T12").sum() == tk["malformed_tin"]
    keys = pq.read_table(out / "_truth" / "corruptions.parquet").to_pandas()
    assert len(keys) == sum(k.values()) + sum(ck.values()) + sum(tk.values())


def test_csv_mode(tmp_path):
    out = tmp_path / "csv"
    s = generate(out, 3000, seed=1, fmt="csv", progress=False)
    for table in CONTRACT:
        f = out / f"{table}.csv"
        assert f.exists(), table
        t = pacsv.read_csv(f)
        assert t.column_names == [c for c, _, _ in CONTRACT[table]]
        assert t.num_rows == s["row_counts"][table]


def test_tax_cross_checks_visible(gen):
    """VAT claimed vs VAT paid at customs (latest version of each line) per operator-month."""
    d = _t(gen, "declarations").to_pandas()
    d = d.sort_values("version").drop_duplicates(["declaration_id", "item_no"], keep="last")
    d = d[d.flow == "I"]
    d["period_start"] = _pd.to_datetime(d.declaration_date).dt.to_period("M").dt.to_timestamp().dt.date
    cust = d.groupby(["tin", "period_start"]).vat_paid.sum().rename("vat_customs").reset_index()
    r = _t(gen, "tax_returns").to_pandas()
    r = r[r.filed].merge(cust, on=["tin", "period_start"])
    r = r[r.vat_customs > 1000]
    ops = pq.read_table(gen / "_truth" / "operators.parquet").to_pandas()
    r = r.merge(ops[["tin", "risk_types"]], on="tin")
    ratio = r.vat_on_imports_claimed / r.vat_customs
    tm = r.risk_types.fillna("").str.contains("tax_mismatch")
    assert ((ratio[~tm] > 0.969) & (ratio[~tm] < 1.031)).mean() > 0.99
    if tm.any():
        assert ((ratio[tm] >= 1.29) & (ratio[tm] <= 2.01)).mean() > 0.99


def test_progress_on_stderr_and_silenced(tmp_path, capsys):
    generate(tmp_path / "p1", 2000, seed=1, progress=True)
    err = capsys.readouterr().err
    assert "[generate]" in err and "left" in err
    generate(tmp_path / "p2", 2000, seed=1, progress=False)
    assert capsys.readouterr().err == ""


def test_cli_glue(tmp_path, capsys):
    import argparse

    from cip import generate as g

    p = argparse.ArgumentParser()
    g.add_arguments(p)
    args = p.parse_args(["--declarations", "1500", "--seed", "5", "--out", str(tmp_path / "cli"),
                         "--corrupt-rate", "0.02", "--format", "csv", "--start", "2024-01-01",
                         "--months", "12", "--quiet"])
    assert args.operators is None and args.format == "csv"
    assert g.run(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["row_counts"]["declarations"] >= 1500
    assert (tmp_path / "cli" / "declarations.csv").exists()
    d = p.parse_args([])
    assert (d.declarations, d.seed, str(d.out), d.corrupt_rate, d.months, d.format) == \
        (200_000, 42, "data/demo", 0.0, 24, "parquet")
    assert (d.random_inspection_rate, d.line_patterns) == (0.01, True)
    e = p.parse_args(["--random-inspection-rate", "0.02", "--no-line-patterns"])
    assert (e.random_inspection_rate, e.line_patterns) == (0.02, False)


def test_rerun_in_other_format_leaves_one_file_per_table(tmp_path):
    out = tmp_path / "r"
    generate(out, 1000, seed=1, progress=False, corrupt_rate=0.05)
    generate(out, 1000, seed=1, progress=False, fmt="csv")
    assert not list(out.glob("*.parquet"))
    assert len(list(out.glob("*.csv"))) == len(CONTRACT)
    assert not (out / "_truth" / "corruptions.parquet").exists()


# ----------------------------------------------------------------------------- line-level patterns
@pytest.fixture(scope="module")
def gen_big(tmp_path_factory):
    """Line-level patterns need more operators than the 60k set has (a few traders dominate it)."""
    d = tmp_path_factory.mktemp("gen_big")
    generate(d, 200_000, seed=7, progress=False)
    return d


@pytest.fixture(scope="module")
def truth_big(gen_big):
    return json.loads((gen_big / "_truth" / "truth.json").read_text())


@pytest.fixture(scope="module")
def lines(gen_big):
    """Version-1 lines with their truth, examination (if any) and the planted combinations."""
    gen = gen_big
    d = _t(gen, "declarations").to_pandas()
    d = d[d.version == 1]
    t = pq.read_table(gen / "_truth" / "declaration_lines_truth.parquet").to_pandas()
    d = d.merge(t, on=["declaration_id", "item_no"], validate="one_to_one")
    c = _t(gen, "control_results").to_pandas()
    ex = c[c.control_type == "examination"][["declaration_id", "item_no", "outcome", "selection_method"]]
    d = d.merge(ex, on=["declaration_id", "item_no"], how="left", validate="one_to_one")
    d["examined"] = d.outcome.notna()
    d["found"] = d.outcome == "irregularity"
    d["pats"] = d.pattern.fillna("").str.split("|")
    return d


def _has(d, name):
    return d.pats.apply(lambda p: name in p)


def _combos(gen, name):
    lp = pq.read_table(gen / "_truth" / "line_patterns.parquet").to_pandas()
    return lp[lp.pattern == name]


def test_line_truth_pattern_column(lines, gen_big, truth_big):
    from cip.generate import LINE_PATTERNS
    assert (lines.pattern.notna() == lines.is_irregular).all()
    assert set(lines.pats.explode()) - {""} <= set(LINE_PATTERNS)
    by = truth_big["line_patterns"]["irregular_lines_by_pattern"]
    for name in LINE_PATTERNS:
        assert _has(lines, name).sum() == by[name], name
        assert by[name] > 0, name
    # misclassified lines carry their true code; the others are declared as they are
    mis = _has(lines, "duty_misclassification") | _has(lines, "operator_misclassification")
    assert (lines.true_hs_code[~mis] == lines.hs_code[~mis]).all()
    assert (lines.true_hs_code[mis] != lines.hs_code[mis]).all()
    lp = pq.read_table(gen_big / "_truth" / "line_patterns.parquet")
    assert lp.column_names[:6] == ["pattern", "hs_code", "declared_hs_code", "origin_country",
                                   "departure_country", "declarant_id"]
    assert set(lp.column("pattern").to_pylist()) == set(LINE_PATTERNS[5:])


def test_goods_route_combos_hit_several_times_the_base_rate(lines, gen_big):
    combos = _combos(gen_big, "goods_route_undervaluation")
    assert len(combos) >= 8
    key = set(zip(combos.hs_code, combos.departure_country))
    imp = lines[(lines.flow == "I") & (lines.regime == "40")]
    inside = pd_series_in(imp.hs_code.str[:6], imp.departure_country, key) & imp.exemption_code.isna()
    ex = imp[imp.examined]
    hit_in, hit_out = ex.found[inside[imp.examined]].mean(), ex.found[~inside[imp.examined]].mean()
    assert inside[imp.examined].sum() >= 100
    assert hit_in > 2.5 * hit_out, (hit_in, hit_out)
    planted = imp[_has(imp, "goods_route_undervaluation")]
    assert planted.tin.nunique() >= 30  # many importers, not one operator
    assert inside[planted.index].all()
    # undervalued: declared 0.3-0.6 of the true value shows as a low unit value
    assert combos.irregular_lines.sum() == len(planted)


def pd_series_in(a, b, pairs):
    return _pd.Series([x in pairs for x in zip(a, b)], index=a.index)


def test_misclassification_into_lower_duty_neighbour(lines, gen_big):
    hs = _t(gen_big, "hs_nomenclature").to_pandas().set_index("hs_code")
    mis = lines[_has(lines, "duty_misclassification")]
    assert len(mis) >= 100
    true_rate = hs.loc[mis.true_hs_code, "duty_rate"].to_numpy()
    decl_rate = hs.loc[mis.hs_code, "duty_rate"].to_numpy()
    assert (decl_rate < true_rate).all()
    assert (mis.true_hs_code.str[:4] == mis.hs_code.str[:4]).all()  # same heading
    # the more duty at stake, the likelier: irregular share rises with the true line's duty rate
    combos = _combos(gen_big, "duty_misclassification")
    assert (combos.declared_duty_rate < combos.true_duty_rate).all()
    stake = (combos.true_duty_rate - combos.declared_duty_rate) * combos.true_duty_rate
    share = combos.irregular_lines / combos.lines
    hi, lo = stake >= stake.median(), stake < stake.median()
    assert (combos.irregular_lines[hi].sum() / combos.lines[hi].sum()
            > 2 * combos.irregular_lines[lo].sum() / max(combos.lines[lo].sum(), 1))
    assert np.corrcoef(combos.irregular_probability, combos.true_duty_rate)[0, 1] > 0.2
    assert share.max() <= 0.6
    # the signal sits on the cheaper code the goods are declared under
    target = set(combos.declared_hs_code)
    ex = lines[lines.examined & (lines.flow == "I")]
    t_in = ex.hs_code.isin(target)
    assert ex.found[t_in].mean() > 2 * ex.found[~t_in].mean()


def test_broker_scheme_spans_many_importers(lines, gen_big, truth_big):
    combos = _combos(gen_big, "broker_scheme")
    brokers = set(combos.declarant_id)
    assert len(brokers) == 3
    assert not brokers & set(truth_big["brokers"]["complicit"])
    imp = lines[(lines.flow == "I") & (lines.regime == "40") & lines.exemption_code.isna()]
    via = imp.declarant_id.isin(brokers)
    assert imp[via].tin.nunique() >= 50
    planted = imp[_has(imp, "broker_scheme")]
    assert planted.tin.nunique() >= 30 and via[planted.index].all()
    assert imp.is_irregular[via].mean() > 2.5 * imp.is_irregular[~via].mean()
    ex = imp[imp.examined]
    assert ex.found[via[ex.index]].mean() > 2 * ex.found[~via[ex.index]].mean()


def test_unit_price_manipulation_only_against_the_norm(lines, gen_big):
    combos = _combos(gen_big, "unit_price_manipulation")
    assert len(combos) >= 4
    key = set(zip(combos.hs_code, combos.origin_country))
    imp = lines[(lines.flow == "I")].copy()
    imp["uv"] = imp.customs_value / imp.quantity  # same currency mix on both sides of the ratio
    imp["ratio"] = imp.uv / imp.groupby(["hs_code", "currency"]).uv.transform("median")
    planted = imp[_has(imp, "unit_price_manipulation")]
    assert len(planted) >= 30
    assert pd_series_in(planted.hs_code, planted.origin_country, key).all()
    assert planted.ratio.median() < 0.5 < imp.ratio[~imp.is_irregular].median()
    ops = pq.read_table(gen_big / "_truth" / "operators.parquet").to_pandas().set_index("tin")
    assert not ops.is_noncompliant[planted.tin.unique()].any()  # otherwise compliant importers


def test_random_stream_is_an_unbiased_sample(lines, gen_big, truth_big):
    c = _t(gen_big, "control_results").to_pandas()
    assert set(c.selection_method) == {"random", "rule", "officer"}
    assert set(c.selection_method[c.control_type == "pca"]) <= {"rule", "officer"}
    imp = lines[lines.flow == "I"]
    rnd = imp[imp.selection_method == "random"]
    assert (lines.selection_method[lines.flow == "E"].dropna() != "random").all()
    assert 0.007 < len(rnd) / len(imp) < 0.013
    assert (rnd.channel == "red").all()
    base = imp.is_irregular.mean()
    se = np.sqrt(base * (1 - base) / len(rnd))
    assert abs(rnd.is_irregular.mean() - base) < 4 * se + 0.01
    # same detection as the red channel: the hit rate estimates 0.8 x the irregularity rate
    assert abs(rnd.found.mean() - 0.8 * base) < 4 * se + 0.01
    # the other streams lean towards risk (selection bias), officers most on line-level schemes
    rule, off = imp[imp.selection_method == "rule"], imp[imp.selection_method == "officer"]
    assert rule.is_irregular.mean() > base and off.is_irregular.mean() > base
    assert 0.03 < len(off) / imp.examined.sum() < 0.15
    sel = truth_big["selection"]
    assert sel["random"]["examined_import_lines"] == len(rnd)


def test_no_line_patterns_and_random_rate_options(tmp_path):
    out = tmp_path / "np"
    generate(out, 20_000, seed=5, progress=False, line_patterns=False, random_inspection_rate=0.05)
    t = json.loads((out / "_truth" / "truth.json").read_text())
    by = t["line_patterns"]["irregular_lines_by_pattern"]
    assert all(by[k] == 0 for k in ["goods_route_undervaluation", "duty_misclassification",
                                    "broker_scheme", "unit_price_manipulation"])
    assert by["operator_undervaluation"] > 0
    assert 0.035 < t["selection"]["random"]["share_of_import_lines"] < 0.065
    with pytest.raises(ValueError):
        generate(tmp_path / "bad", 1000, random_inspection_rate=0.9, progress=False)


def test_irregular_share_plausible_at_scale(tmp_path):
    """Irregular share of examined import lines (selection-biased) and of all import lines."""
    generate(tmp_path / "s", 300_000, seed=1, progress=False)
    ls = json.loads((tmp_path / "s" / "_truth" / "truth.json").read_text())["lines"]
    assert 0.10 < ls["examined_import_irregular_share"] < 0.25
    assert 0.05 < ls["import_irregular_share"] < ls["examined_import_irregular_share"]
