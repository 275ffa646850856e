"""The CIP report: formatting, degradation when marts are missing, and a headless-Chromium check
that the charts render and that opening the file makes no network request.

The warehouse comes from CIP_TEST_DB (built by `make test-build`); tests that need it skip
with a message when it is absent.

How "no network request" is checked (browser test): Chromium runs headless with every host
name mapped to NOTFOUND (`--host-resolver-rules`, so nothing can leave the machine) and
writes a net log (`--log-net-log`). Chromium's own background services (update checks,
account lookups) also appear in that log, so the test keeps only the URL requests made on
behalf of the page: those whose network isolation key or site-for-cookies is the file://
site. Every such request must be to a file: or data: URL. A control page that links a
style sheet and an image on the network is run through the same detector first, so the
test proves it can see a request before it trusts a clean result.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import duckdb
import numpy
import pytest

from cip import report

ROOT = Path(__file__).resolve().parents[2]
TEST_DB = Path(os.environ.get("CIP_TEST_DB", ROOT / "warehouse" / "test.duckdb"))
if not TEST_DB.is_absolute():
    TEST_DB = ROOT / TEST_DB


def warehouse_or_skip() -> Path:
    if not TEST_DB.exists():
        pytest.skip(f"no test warehouse at {TEST_DB}: run `make test-build` (or set CIP_TEST_DB)")
    return TEST_DB


# ----------------------------------------------------------------------------- formatting

def test_number_formatting_for_humans():
    assert report.fmt_int(1234567) == "1,234,567"
    assert report.fmt_usd(6163494831.47) == "USD 6,163,494,831"
    assert report.fmt_usd(6163494831.47, compact=True) == "USD 6.16 bn"
    assert report.fmt_usd(25_400, compact=True) == "USD 25.40 k"
    assert report.fmt_pct(0.16666) == "16.7%"
    assert report.fmt_pct(None) == "–"
    assert report.format_cell("trade_value_usd", 1500.4) == "USD 1,500"
    assert report.format_cell("pct_operators", 0.25) == "25.0%"
    assert report.format_cell("amount_collected_lcu", 10_000.0) == "LCU 10,000"
    assert report.format_cell("gri", 0.41234) == "0.412"
    assert report.format_cell("amount_collected_usd_variation_rate", -1.0) == "-100.0%"
    assert report.format_cell("operators", 12000) == "12,000"
    assert report.format_cell("is_aeo", True) == "yes"
    assert report.label("pct_trade_value") == "% of value"
    assert report.label("revenue_at_stake_usd") == "Revenue at stake (USD)"


def test_charts_are_inline_svg_with_labels_and_readable_contrast():
    from cip.report import charts
    import pandas as pd

    bins = [{"bin_lower": index / 10, "bin_upper": (index + 1) / 10, "operators": count,
             "risk_level_at_bin_start": "low" if index < 2 else "high"}
            for index, count in enumerate([50, 10, 0, 4, 0, 0, 0, 0, 0, 1])]
    svg = charts.gri_histogram(bins, {"Medium": 0.15, "High": 0.35})
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "xmlns" not in svg and "http" not in svg          # inline in HTML: no namespace URL
    assert "Medium cut-off 0.15" in svg and "High cut-off 0.35" in svg
    assert "Low risk" in svg and "High risk" in svg           # legend labels, not codes
    assert "…" not in svg                                     # no truncated label
    # ticks on round values
    ticks = re.findall(r">(\d+)</text>", svg)
    assert ticks and all(int(tick) % 10 == 0 for tick in ticks), ticks
    # text on a heat-map cell contrasts with its fill
    assert charts.text_colour_on("#3a7d44") == "#ffffff" and charts.text_colour_on("#f7ecd8") == charts.INK
    frame = pd.DataFrame({"period": pd.to_datetime(["2024-01-01", "2024-04-01", "2024-07-01"] * 2),
                          "label": ["q"] * 6, "series": ["Imports"] * 3 + ["Exports"] * 3,
                          "value": [0.1, 0.12, 0.15, 0.2, 0.21, 0.19]})
    line = charts.kpi_lines(frame, "Share of value declared by AEOs by flow", "share")
    assert "Share of value declared by AEOs by flow" in line and "Imports" in line and "Exports" in line
    assert "20%" in line and "19.0%" not in line


def test_codes_become_names():
    assert report.value_label("flow", "I") == "Imports" and report.value_label("flow", "E") == "Exports"
    assert report.value_label("channel", "none") == "No channel (PCA)"
    assert report.feature_label("f_hs4_lift") == "HS4 hit-rate lift"
    assert report.KPI_TITLES["pca_hit_rate"] == "Hit rate of post-clearance audits"


# ----------------------------------------------------------------------------- degradation

def _warehouse_without(relations: set[str], tmp_path: Path) -> Path:
    """A copy of the test warehouse with some marts dropped (the report must still be written)."""
    source = warehouse_or_skip()
    copy = tmp_path / "partial.duckdb"
    shutil.copy(source, copy)
    connection = duckdb.connect(str(copy))
    for relation in relations:
        connection.execute(f"drop table if exists {relation}")
        connection.execute(f"drop view if exists {relation}")
    connection.close()
    return copy


def test_missing_marts_degrade_to_a_message(tmp_path):
    dropped = {"marts.pca_plan", "marts.gri_quantiles", "marts.kpi_tactical", "marts.treatment_effect"}
    database = _warehouse_without(dropped, tmp_path)
    out = report.write_report(database, tmp_path / "partial.html", strict=True)
    text = out.read_text()
    for relation in dropped:
        assert f"this section reads {relation}" in text or f"reads marts.gri_distribution, {relation}" in text, relation
    # the sections whose marts are there are still drawn
    assert "Table 1 — Operators by size" in text
    assert text.count("<svg") > 5


def test_an_empty_warehouse_still_gives_a_report(tmp_path):
    database = tmp_path / "empty.duckdb"
    duckdb.connect(str(database)).close()
    state = report.ReportState()
    connection = duckdb.connect(str(database), read_only=True)
    document = report.build_html(report.Warehouse(connection), strict=True, state=state)
    connection.close()
    assert set(state.missing) == {section.key for section in report.SECTIONS}
    assert "as of unknown date" in document
    assert "marts.dim_operators" in document and "marts.treatment_effect" in document


def test_report_on_the_test_warehouse_draws_every_built_section(tmp_path):
    database = warehouse_or_skip()
    state = report.ReportState()
    connection = duckdb.connect(str(database), read_only=True)
    try:
        document = report.build_html(report.Warehouse(connection), strict=True, state=state)
        built = report.Warehouse(connection)
        expected_missing = {section.key for section in report.SECTIONS
                            if not all(built.has(mart) for mart in section.marts)}
    finally:
        connection.close()
    assert set(state.missing) == expected_missing
    assert not state.problems
    as_of = duckdb.connect(str(database), read_only=True).execute(
        "select max(as_of_date) from marts.operator_gri").fetchone()[0]
    assert f"as of {as_of.isoformat()}" in document
    # figures come from the warehouse: the operator count of Table 1 is printed
    operators = duckdb.connect(str(database), read_only=True).execute(
        "select operators from marts.size_distribution where size_segment = 'total'").fetchone()[0]
    assert f"{operators:,}" in document


def test_report_is_self_contained(tmp_path):
    database = warehouse_or_skip()
    out = report.write_report(database, tmp_path / "r.html")
    text = out.read_text()
    assert "<script" not in text.lower()
    assert "@import" not in text and "@font-face" not in text
    # no attribute or CSS url may point anywhere but inside the file
    references = re.findall(r'(?:src|href|xlink:href)\s*=\s*"([^"]*)"', text) + re.findall(r"url\(([^)]*)\)", text)
    assert all(reference.startswith("#") or reference.startswith("data:") for reference in references), references
    assert not re.search(r"(https?:|wss?:)//", text)


def test_cli_prints_the_path(tmp_path, capsys):
    database = warehouse_or_skip()
    import argparse

    parser = argparse.ArgumentParser()
    report.add_arguments(parser)
    code = report.run(parser.parse_args(["--db", str(database), "--out", str(tmp_path / "x" / "cip.html")]))
    assert code == 0
    printed = capsys.readouterr().out.strip()
    assert printed == str((tmp_path / "x" / "cip.html").resolve())
    assert Path(printed).stat().st_size > 10_000


def test_missing_warehouse_is_a_clear_error(tmp_path, capsys):
    import argparse

    parser = argparse.ArgumentParser()
    report.add_arguments(parser)
    code = report.run(parser.parse_args(["--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "r.html")]))
    assert code == 1
    assert "no warehouse" in capsys.readouterr().out


# ----------------------------------------------------------------------------- headless chromium

def chromium_or_skip() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    installer = ROOT / "scripts" / "install_chromium.sh"
    completed = subprocess.run(["bash", str(installer)], capture_output=True, text=True, timeout=900)
    found = shutil.which("chromium")
    if not found:
        if os.environ.get("CI") or os.environ.get("CIP_REQUIRE_BROWSER"):
            pytest.fail(f"chromium is required in CI and could not be installed: {completed.stderr[-2000:]}")
        pytest.skip("chromium is not installed and scripts/install_chromium.sh could not install it: "
                    + (completed.stderr.strip().splitlines() or ["no output"])[-1])
    return found


def run_chromium(browser: str, page: Path, work: Path, *extra: str) -> subprocess.CompletedProcess:
    profile = tempfile.mkdtemp(prefix="profile-", dir=work)
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
        "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND",
        *extra, page.resolve().as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180)


def page_requests(net_log: Path) -> list[str]:
    """URLs the page asked for (not Chromium's own background services), from a net log."""
    log = json.loads(net_log.read_text())
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for event in log["events"]:
        if event["type"] != start_job:
            continue
        params = event.get("params", {})
        on_behalf_of_page = (params.get("network_isolation_key", "").startswith("file://")
                             or "site=file://" in params.get("site_for_cookies", ""))
        if on_behalf_of_page and "url" in params:
            urls.append(params["url"])
    return urls


def png_pixels(path: Path) -> "numpy.ndarray":
    """Decode an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes) to raw pixel bytes."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, [], None
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind = data[position + 4:position + 8]
        body = data[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, header
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    pixels = bytearray(height * stride)
    previous = bytearray(stride)
    for row in range(height):
        kind = raw[row * (stride + 1)]
        line = bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)])
        if kind == 1:
            # running sum along the row, per channel, modulo 256
            summed = numpy.frombuffer(line, numpy.uint8).reshape(width, channels).cumsum(axis=0, dtype=numpy.uint8)
            line = bytearray(summed.tobytes())
        elif kind == 2:
            line = bytearray((numpy.frombuffer(line, numpy.uint8) + numpy.frombuffer(previous, numpy.uint8)).tobytes())
        elif kind == 3:
            for index in range(stride):
                left = line[index - channels] if index >= channels else 0
                line[index] = (line[index] + ((left + previous[index]) >> 1)) & 0xFF
        elif kind == 4:
            for index in range(stride):
                left = line[index - channels] if index >= channels else 0
                above = previous[index]
                upper_left = previous[index - channels] if index >= channels else 0
                estimate = left + above - upper_left
                distance_left, distance_above, distance_upper_left = (
                    abs(estimate - left), abs(estimate - above), abs(estimate - upper_left))
                if distance_left <= distance_above and distance_left <= distance_upper_left:
                    predictor = left
                elif distance_above <= distance_upper_left:
                    predictor = above
                else:
                    predictor = upper_left
                line[index] = (line[index] + predictor) & 0xFF
        pixels[row * stride:(row + 1) * stride] = line
        previous = line
    image = numpy.frombuffer(bytes(pixels), numpy.uint8).reshape(height, width, channels)
    return image[:, :, :3]


def colour_count(image: "numpy.ndarray", hex_colour: str) -> int:
    target = numpy.frombuffer(bytes.fromhex(hex_colour.lstrip("#")), numpy.uint8)
    return int((image == target).all(axis=2).sum())


LAYOUT_CHECK = """<script>
(function () {
  const problems = [];
  const main = document.querySelector("main").getBoundingClientRect();
  const name = (el) => el.tagName.toLowerCase() + " in #" + ((el.closest("section") || {}).id || "header")
      + ": " + (el.textContent || "").trim().slice(0, 50);
  if (document.documentElement.scrollWidth > window.innerWidth) problems.push("the page scrolls sideways");
  document.querySelectorAll("table, figure, .grid, .cards, p, h2, h3, td, th, svg.chart").forEach((el) => {
    const box = el.getBoundingClientRect();
    if (box.right > main.right + 1 || box.left < main.left - 1) problems.push("outside the page: " + name(el));
  });
  document.querySelectorAll("table").forEach((table) => {
    if (table.getBoundingClientRect().width > table.parentElement.getBoundingClientRect().width + 1)
      problems.push("table wider than its column: " + name(table));
  });
  document.querySelectorAll("td, th, .card, p, h2, h3").forEach((el) => {
    if (el.scrollWidth > el.clientWidth + 1) problems.push("text overflows its box: " + name(el));
  });
  let texts = 0;
  document.querySelectorAll("svg.chart").forEach((svg) => {
    const frame = svg.getBoundingClientRect();
    svg.querySelectorAll("text").forEach((text) => {
      const box = text.getBoundingClientRect();
      if (!box.width) return;
      texts += 1;
      if (box.left < frame.left - 1 || box.right > frame.right + 1 || box.top < frame.top - 1
          || box.bottom > frame.bottom + 1) problems.push("chart text clipped: " + text.textContent);
      if (text.textContent.includes("\u2026")) problems.push("chart text truncated: " + text.textContent);
    });
  });
  const out = document.createElement("pre");
  out.id = "layout-check";
  out.textContent = JSON.stringify({problems: problems, texts: texts,
                                    tables: document.querySelectorAll("table").length});
  document.body.appendChild(out);
})();
</script>"""


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


@pytest.mark.browser
def test_report_renders_in_headless_chromium_without_network(tmp_path):
    database = warehouse_or_skip()
    browser = chromium_or_skip()
    page = report.write_report(database, tmp_path / "cip_report.html")

    # 1. the detector sees a page's network request (control), so a clean log means something
    control = tmp_path / "control.html"
    control.write_text('<!DOCTYPE html><html><head><link rel="stylesheet" href="https://fonts.cip-control.invalid/a.css">'
                       '</head><body><img src="http://cip-control.invalid/x.png"><p>control</p></body></html>')
    run_chromium(browser, control, tmp_path, f"--log-net-log={tmp_path / 'control-net.json'}", "--dump-dom")
    seen = page_requests(tmp_path / "control-net.json")
    assert "http://cip-control.invalid/x.png" in seen and "https://fonts.cip-control.invalid/a.css" in seen, seen

    # 2. the report, with its Content-Security-Policy removed so the policy cannot hide a reference
    unguarded = tmp_path / "unguarded.html"
    unguarded.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page.read_text()))
    assert "Content-Security-Policy" not in unguarded.read_text()
    completed = run_chromium(browser, unguarded, tmp_path, f"--log-net-log={tmp_path / 'report-net.json'}",
                             "--dump-dom")
    requests = page_requests(tmp_path / "report-net.json")
    assert [url for url in requests if not url.startswith(("file:", "data:"))] == []

    # 3. the DOM after load holds the charts
    dom = completed.stdout
    assert "Compliance improvement plan" in dom
    assert dom.count('<svg class="chart') >= 20
    assert "Medium cut-off" in dom and "High cut-off" in dom   # both risk cut-offs drawn
    assert dom.count('class="chart heatmap"') == 1            # size x risk heat map
    assert "CR_EXEMPT_GROWTH" not in dom.split("<table")[0]   # indicator names, not codes, in the charts

    # 3b. at 1,280 px nothing overflows and no text is clipped: a script measures the laid-out page
    # (a test copy only: the report itself has no script) and writes what it found into the DOM
    measured = tmp_path / "measured.html"
    measured.write_text(unguarded.read_text().replace("</body>", LAYOUT_CHECK + "</body>"))
    checked = run_chromium(browser, measured, tmp_path, "--window-size=1280,900", "--dump-dom")
    found = re.search(r'<pre id="layout-check">(.*?)</pre>', checked.stdout, re.S)
    assert found, checked.stdout[-2000:]
    result = json.loads(html_unescape(found.group(1)))
    assert result["tables"] >= 10 and result["texts"] > 500, result
    assert result["problems"] == [], result["problems"][:20]

    # 4. the charts are painted: a screenshot that is not blank and shows the chart colours
    shot = tmp_path / "shot.png"
    run_chromium(browser, page, tmp_path, f"--screenshot={shot}", "--window-size=1280,9000")
    assert shot.exists() and shot.stat().st_size > 20_000
    if os.environ.get("CIP_REPORT_SCREENSHOT"):  # keep the screenshot for a human
        shutil.copy(shot, os.environ["CIP_REPORT_SCREENSHOT"])
    pixels = png_pixels(shot)
    assert pixels.shape == (9000, 1280, 3)
    background = colour_count(pixels, "#ffffff") + colour_count(pixels, "#f4f6f8")
    assert background < 0.97 * pixels.shape[0] * pixels.shape[1]  # not blank
    # the 'frequency' bars of the weights chart and the low-risk bars of the histogram
    assert colour_count(pixels, report.SERIES_COLOURS[2]) > 300
    assert colour_count(pixels, report.RISK_COLOURS["low"]) > 1000
