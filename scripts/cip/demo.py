"""`cip demo` (`make demo`): generate the demo data, build the warehouse, write the report, and
show the way on: a few progress lines and a short summary, not dbt's full log (that goes to a
file whose path is printed), no colour codes when the output is not a terminal, and the next
steps at the end.

The demo data end on the last day of the previous month (`--end` to choose), so
`dbt source freshness` passes on them; for a fixed end date the files are byte-identical.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import sys
from pathlib import Path

import duckdb

from cip.paths import db_path, project_root

HELP_DEMO = ("Generate the demo data set, build the warehouse, write the report: "
             "the whole product in one command.")
MONTHS = 24


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--declarations", type=int, default=300_000, help="demo size (default 300,000 lines)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end", type=dt.date.fromisoformat, default=None,
                        help="last month of the data (YYYY-MM-DD; default: the month before today)")
    parser.add_argument("--regenerate", action="store_true", help="regenerate even if the demo data exist")


def demo_start(end: dt.date | None = None, today: dt.date | None = None) -> dt.date:
    """First day of the 24-month span that ends with end's month (default: last month)."""
    today = today or dt.date.today()
    end = end or (today.replace(day=1) - dt.timedelta(days=1))
    month_index = end.year * 12 + end.month - 1 - (MONTHS - 1)
    return dt.date(month_index // 12, month_index % 12 + 1, 1)


class _Filter(io.TextIOBase):
    """Keeps the lines cip writes about the build (progress, warehouse, failure); drops dbt's."""

    KEEP = ("[cip]", "cip:", "cip build:")

    def __init__(self, stream) -> None:
        self.stream = stream
        self.pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.pending += text
        while "\n" in self.pending:
            line, self.pending = self.pending.split("\n", 1)
            if line.startswith(self.KEEP):
                self.stream.write(line + "\n")
                self.stream.flush()
        return len(text)

    def isatty(self) -> bool:
        return False


def _summary(db: Path) -> tuple[list[str], str | None]:
    lines, riskiest = [], None
    with duckdb.connect(str(db), read_only=True) as con:
        raw, staged, rejected = con.execute(
            "select sum(raw_rows), sum(staged_rows), sum(rejected_rows) from staging.stg_source_inventory "
            "where is_available").fetchone()
        marts = con.execute("select count(*) from information_schema.tables where table_schema = 'marts'").fetchone()[0]
        operators, high, window = con.execute(
            "select count(*), count(*) filter (where risk_level = 'high'), max(as_of_date) "
            "from marts.dim_operators").fetchone()
        riskiest = con.execute("select tin from marts.dim_operators order by gri desc, tin limit 1").fetchone()
    lines.append(f"  rows read {raw:,}, staged {staged:,}, quarantined {rejected:,} "
                 f"(staging.stg_quarantine__rejected_rows)")
    lines.append(f"  {marts} marts; {operators:,} operators as of {window}, {high:,} at high risk")
    return lines, riskiest[0] if riskiest else None


def run_demo(args: argparse.Namespace) -> int:
    from cip import generate
    from cip.build import build_warehouse, log_path

    if not sys.stdout.isatty():
        os.environ.setdefault("NO_COLOR", "1")
    os.environ["DBT_USE_COLORS"] = "false"  # also keeps the log file free of escape codes
    root = project_root()
    data = root / "data" / "demo"
    marker = data / "_truth" / "truth.json"
    start = demo_start(args.end)
    if args.regenerate or not marker.exists():
        print(f"cip demo: generating {args.declarations:,} declaration lines from {start} ({MONTHS} months) "
              f"into {data.relative_to(root)}/ ...", flush=True)
        with contextlib.redirect_stdout(io.StringIO()):
            generate.generate(data, declarations=args.declarations, seed=args.seed, corrupt_rate=0.001,
                              start=start, months=MONTHS, progress=False)
    else:
        print(f"cip demo: demo data already in {data.relative_to(root)}/ (--regenerate to make them again)")
    db = db_path()
    log = log_path(Path(db).resolve())
    print(f"cip demo: building the warehouse (dbt build: seeds, models, tests); full log: {_rel(log, root)}",
          flush=True)
    keep = _Filter(sys.stdout)
    with contextlib.redirect_stdout(keep), contextlib.redirect_stderr(_Filter(sys.stderr)):
        code = build_warehouse(["build"], data=data, db=db, summary=False)
    if code != 0:
        print(f"cip demo: the build failed; see {_rel(log, root)}", file=sys.stderr)
        return code
    summary, riskiest = _summary(Path(db))
    print("\nBuilt:")
    print("\n".join(summary))
    from cip import report

    path = report.write_report(db, root / "reports" / "cip_report.html")
    rel_db = _rel(Path(db), root)
    print(f"\nReport: {_rel(path, root)}")
    print("\nNext steps:")
    steps = [(f"open {_rel(path, root)}", "the CIP report (one file, works offline)")]
    if riskiest:
        steps.append((f".venv/bin/cip explain {riskiest}", "the riskiest operator's GRI, step by step"))
    steps.append((".venv/bin/cip publish", "every mart as Parquet for BI tools (publish/)"))
    for command, what in steps:
        print(f"  {command:<40} {what}")
    print("  .venv/bin/mf query --metrics pca_hit_rate,collection_usd --group-by metric_time__quarter")
    print(f"  {'':<40} KPIs from the semantic layer (docs/semantic_layer.md)")
    print(f"  DBT_PROFILES_DIR=. CIP_DATA_DIR=data/demo CIP_DB_PATH={rel_db} \\")
    print("    .venv/bin/dbt docs generate && .venv/bin/dbt docs serve --port 8080   lineage of every figure")
    return 0


def _rel(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return str(path)
