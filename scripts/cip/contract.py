"""The source contract, read from the dbt source definitions (`cip contract`).

models/staging/*/_*__sources.yml is the single definition of every raw input; this
module reads it for the generator's tests, the independent check and the docs page
docs/source_contract.md, which `cip contract --write` regenerates.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from cip.paths import project_root

HELP = "Print (or --write to docs/source_contract.md) the source contract as a document."


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    description: str
    required: bool
    nullable: bool
    allowed: tuple[str, ...] = ()
    normalize: str | None = None
    earliest: str | None = None
    per_declaration: bool = False
    restore_leading_zeros: str | None = None
    registered_in: str | None = None

    @property
    def normalisation(self) -> str:
        """How the reader normalises the column's values (docs: Staging rules)."""
        if self.data_type == "varchar":
            if self.normalize == "upper" or (self.allowed and all(v == v.upper() for v in self.allowed)):
                return "trim, upper-case"
            if self.allowed and all(v == v.lower() for v in self.allowed):
                return "trim, lower-case"
            return "trim"
        if self.data_type == "date":
            return "UTC date; from " + (self.earliest or "var earliest_date")
        return ""


@dataclass(frozen=True)
class Table:
    source: str
    name: str
    description: str
    optional: bool
    key: tuple[str, ...]
    columns: tuple[Column, ...] = field(default_factory=tuple)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def column_key(name: str) -> str:
    """The contract name a raw column answers to (macro contract_column_key): case, surrounding
    spaces and runs of inner spaces do not matter; a BOM glued to the first name is dropped."""
    return "_".join(str(name).replace("\ufeff", "").lower().split())


def _meta(node: dict) -> dict:
    meta = dict(node.get("meta") or {})
    meta.update((node.get("config") or {}).get("meta") or {})
    return meta


def load_contract(root: Path | None = None) -> dict[str, Table]:
    """All raw tables keyed by table name."""
    root = root or project_root()
    tables: dict[str, Table] = {}
    for path in sorted((root / "models" / "staging").glob("*/_*__sources.yml")):
        for source in yaml.safe_load(path.read_text())["sources"]:
            for table in source["tables"]:
                meta = _meta(table)
                columns = tuple(
                    Column(
                        name=c["name"],
                        data_type=c["data_type"],
                        description=c.get("description", ""),
                        required=bool(_meta(c).get("required", False)),
                        nullable=bool(_meta(c).get("nullable", True)),
                        allowed=tuple(str(v) for v in _meta(c).get("allowed") or ()),
                        normalize=_meta(c).get("normalize"),
                        earliest=str(_meta(c)["earliest"]) if _meta(c).get("earliest") else None,
                        per_declaration=bool(_meta(c).get("per_declaration", False)),
                        restore_leading_zeros=_meta(c).get("restore_leading_zeros"),
                        registered_in=_meta(c).get("registered_in"),
                    )
                    for c in table["columns"])
                tables[table["name"]] = Table(
                    source=source["name"], name=table["name"],
                    description=" ".join(table.get("description", "").split()),
                    optional=bool(meta.get("optional", False)), key=tuple(meta.get("key", ())),
                    columns=columns)
    return tables


# The faults of real exports tried on a generated copy, and what happens (docs/source_contract.md).
FAULTS_OF_EXPORTS = [
    "**Faults of real exports** (each tried on a generated copy; tests in `tests/python/test_bad_inputs.py` and",
    "`test_faults.py`):",
    "",
    "| fault | outcome |",
    "|---|---|",
    "| header line repeated mid-file (exports joined) | quarantined: `CSV record repeats the header line` |",
    "| trailing delimiter on every line, header too | an extra unnamed column, ignored: every row staged |",
    "| trailing delimiter on the records only | each record quarantined (`more fields than the header`); none staged stops the run |",
    "| decimal comma, thousands separator, currency sign | quarantined, the reason names the likely cause; `1.234` is a valid number and reads as written |",
    "| dates dd/mm/yyyy or Excel serials in a CSV | quarantined with the cause; `2024-01-05T00:00:00Z` reads (UTC); numbers in a Parquet date column stop |",
    "| `NULL`, `N/A`, `-` for a missing value | null (var `null_markers`); missing in a required column: quarantined |",
    "| negative or zero quantity, value, item number, tax | quarantined (`not positive`, `negative ...`) |",
    "| a file cut during copy | `cip build` / `check` / `load` stop naming file and line (a cut record was quarantined, a cut number staged) |",
    "| Windows line ends, semicolons, scientific notation | read as written |",
    "| a file with only a header, or 0 bytes | required source: stops naming the file; optional: a warning naming it, read as absent |",
    "| lines of one declaration disagreeing on tin, flow, date, broker or office | every line quarantined: `declaration lines disagree on tin (A, B)`; also when a daily file adds the disagreeing line |",
    "| an operator TIN that lost its leading zeros (`000123456789` as `123456789`), in any source with a TIN | restored against the taxpayer register when one register TIN strips to it (`tin_as_delivered` keeps what came); several: quarantined (`tin lost its leading zeros? it matches 2 register values (A, B)`); none: as delivered (`tin malformed` when short) |",
    "| duplicates, bad dates, negative / NaN / infinite numbers, padded or lower-case codes, renamed or reordered columns, BOM + CRLF in a control, tax or reference file | as for declarations: quarantined with the reason, or read as written (`tests/python/test_fault_sweep.py`) |",
    "| the same line twice in one file, or yesterday's file repeated in today's | the later copies quarantined (`duplicate declaration line`) |",
    "| a declaration whose lines come in two daily files | read as one declaration (its lines must agree) |",
    "| columns reordered or renamed in case, a BOM, CRLF, a quoted value with a line break, padded or lower-case codes | read as written |",
    "| a control naming an unknown operator and no declaration | quarantined (`tin not a known operator`) |",
    "| the same key in two daily files with other values | the later copy quarantined (`duplicate declaration line`) |",
    "| a control of a declaration that does not exist | quarantined (`declaration_id not a known declaration`) |",
    "| dates after the as-of date | staged up to the load date, the as-of date does not move; after the load date quarantined |",
    "| a tax record of an operator without declarations | staged: tax data covers every taxpayer, it joins no line |",
    "| a tax return of a TIN the taxpayer register lacks (register present) | quarantined: `tin not in the register (tax.taxpayers.tin)` (meta `registered_in`; it would join no operator) |",
    "| Windows-1252 bytes (`€`, curly quotes) read as latin-1 | stops naming file, line and byte: save as UTF-8 |",
    "",
]


NORMALISED = [
    "**Normalised, then staged**",
    "",
    "- Text is trimmed (spaces, tabs, line breaks, no-break spaces); `''` and whitespace-only values are null, in",
    "  every text column (so `exemption_code = ''` is not an exemption and `declarant_id = ''` is no broker).",
    "- Codes and identifiers are upper-cased: TINs, declaration / control / ruling / audit ids, HS codes and",
    "  prefixes, country, currency, office, regime, broker, supplier, unit, exemption and ISIC codes (column",
    "  `normalisation` below). `t151470804` and `T151470804` are one operator.",
    "- A value an export writes for \"missing\" (var `null_markers`: `NULL`, `N/A`, `#N/A`, `-`, `None`, ...; not",
    "  `NA`, Namibia) is null in every text column: a broker `NULL` is no broker, a required column holding one",
    "  is quarantined as missing.",
    "- A value of a closed list is matched in the list's case (`SEA` is `sea`, `i` is `I`).",
    "- A code exported as a number loses its `.0` (`4254010.0` reads `4254010`).",
    "- An HS code that lost its leading zero in a spreadsheet (`04254010` exported as `4254010`) is restored when",
    "  that is unambiguous: the zero-padded code is in the nomenclature and the delivered one is not. Otherwise",
    "  the code stays as delivered, and is quarantined when it is not in the nomenclature.",
    "- A TIN that lost its leading zeros in a spreadsheet (`000123456789` exported as `123456789`) is restored,",
    "  in every source whose TIN column has meta `restore_leading_zeros: tax.taxpayers.tin` (declarations,",
    "  controls, treatments, rulings, tax returns and audits: the column descriptions below), when the delivered TIN",
    "  is not in the taxpayer register and exactly one register TIN is it with leading zeros. Every rule, the",
    "  duplicate-key check included, sees the restored TIN; `tin_as_delivered` in the source's `base_` model keeps",
    "  the TIN as delivered on a restored row (null otherwise). When several register TINs strip to it",
    "  (`0876543210`, `000876543210`), the row is quarantined (`tin lost its leading zeros? it matches 2 register",
    "  values (...)`), even if it fits `tin_pattern`: it cannot be told which operator it is. Without a register",
    "  nothing is restored; a TIN left short is quarantined as `tin malformed`. The macro `checked_source` applies",
    "  the meta, so a new source only marks its column (and its `base_` model declares",
    "  `-- depends_on: {{ ref('stg_tax__taxpayers') }}`; the run stops saying so when it does not).",
    "- Dates are calendar dates in **UTC**: a timestamp with time zone (Parquet) or text with a zone suffix",
    "  (`Z`, `+09:00`) is converted to UTC first; a timestamp or text without zone is taken as written. The machine's",
    "  time zone never matters.",
    "- Integer columns read from doubles or text load when the value is whole (`3.0`).",
    "",
]


def render_markdown(tables: dict[str, Table]) -> str:
    lines = [
        "# The source contract",
        "",
        "Generated by `cip contract --write` from `models/staging/*/_*__sources.yml`; edit those files, not this page.",
        "",
        "Every raw input is a file in the data folder (env `CIP_DATA_DIR`, or dbt var `data_dir`; default `data/demo`):",
        "`<table>.parquet`, a folder `<table>/*.parquet` (several loads, e.g. daily files), `<table>.csv` or `<table>.csv.gz`",
        "(a header row; every value is read as text and cast to the contract type). The dialect comes from the header",
        "line alone, never from sampled data rows: the delimiter is whichever of `,` `;` tab `|` the header holds most,",
        "quotes and escapes are `\"` (RFC 4180); a UTF-8 BOM, CRLF line ends and quoted values holding the delimiter",
        "or line breaks read as written. One file per table (no folder of CSVs).",
        "A CSV is UTF-8 unless it starts with the UTF-16 byte order mark (Excel's \"Unicode text\", read as UTF-16);",
        "var `csv_encoding: latin-1` reads an ISO-8859-1 export (accents as written). `cip load --vars` and",
        "`cip check --vars` read a CSV with the same vars as `cip build --vars`.",
        "Column names are matched without regard to case, surrounding spaces or runs of inner spaces (`Declaration_ID `,",
        "` TIN`, `HS  Code`), also when the files of one folder spell a column differently; extra columns (including",
        "one named `_source_file`) are ignored. The files of a folder may hold a column in different types (a date",
        "as DATE in one, TIMESTAMP or text in another; an id as integer or text): the values are read as text",
        "and typed by the contract rules below, row by row.",
        "",
        "- A **required source** that is missing stops the run with an error naming it, and the files near its name",
        "  that the reader does not take (`Country_Risk.xlsx`). `cip build` stops before dbt when the data folder does",
        "  not exist or holds no raw file at all, naming what it holds.",
        "- An **optional source** that is missing gives empty, well-typed staging models, a warning in the dbt log,",
        "  `is_available = false` in `staging.stg_source_inventory`, and disables the indicators that need it.",
        "- A row that breaks the contract (missing or unreadable value, value outside the allowed list, malformed TIN,",
        "  unknown HS code, country or currency, non-positive value, duplicate key, ...) is not staged: it lands in",
        "  `staging.stg_quarantine__rejected_rows` with its source, file, key and every reason.",
        "  `stg_source_inventory` reconciles raw = staged + rejected + superseded for every source (a dbt test).",
        "",
        "## Staging rules",
        "",
        "Applied by the reader (macro `read_raw_source`) and the base models, and by `cip check` alike (issue 16).",
        "",
        *NORMALISED,
        "**Quarantined, with the reason**",
        "",
        "- A number that is NaN (`<column> is NaN`), infinite (`<column> is infinite`) or above var `max_abs_number`",
        "  (1e15) in absolute value (`<column> out of range`), in any double column; an exchange rate quarantined this",
        "  way quarantines the lines that need it (`no exchange rate for the month`).",
        "- A fractional value in an integer column (`item_no not a whole number`): never rounded into another line.",
        "- A value unreadable as its type is never guessed (`1.234` is a thousand in half the world): `<column>",
        "  unreadable as <type>`, with the likely cause when the text shows it: a decimal comma or thousands",
        "  separator (`1.234,56`, `1,234.56`), a currency sign or unit (`$100`, `100 USD`), an Excel serial date",
        "  (`45296`), a day/month/year date (`05/01/2024`). Scientific notation (`2.5E+04`) and `2024/01/05` read.",
        "- A date after the load date (var `load_date`, default today: `<column> after the load date`) or before the",
        "  earliest date (var `earliest_date`, default 1990-01-01, or the column's own, e.g. registration_date from",
        "  1900-01-01: `<column> before the earliest date`). History before the evaluation window stays valid.",
        "- A declaration line with `version` below 1.",
        "- The lines of one declaration that disagree on a column the declaration holds once (tin, flow,",
        "  declaration_date, office_code, declarant_id: meta `per_declaration` below), among the lines that would be",
        "  staged (latest version, no other reason): every such line, with `declaration lines disagree on <column>",
        "  (<value>, <value>)` (`(none, X)` when some lines leave it empty). Staged, it would count for two operators",
        "  or dates. An incremental load reads the stored lines of every declaration its files touch, so a daily",
        "  line that disagrees with a stored one quarantines them all.",
        "- A CSV record that does not fit its file's header, whose values would sit in the wrong columns: more",
        "  fields than the header (`CSV record has more fields than the header`: an unquoted delimiter in a value),",
        "  fewer (`CSV record has fewer fields than the header`: a missing field, or a record written with another",
        "  delimiter, `;` in a `,` file), or a value holding a line break and a whole record (`CSV record holds a line",
        "  break and a whole record in one value`: a quote left open took the next records in; they count as that",
        "  one raw row), or the header line again (`CSV record repeats the header line`: two exports joined into one",
        "  file). The structural reason comes first; the other reasons of such a row come from values in the",
        "  wrong columns. The other records load. A record whose field count is right by chance (a `;` record in a",
        "  file of as many fields) is read as written and checked like any row. On Postgres and Spark, `cip load`",
        "  reads the CSV the same way and loads the reason as column `_cip_record_error`.",
        "- An id or code (the upper-cased columns) holding a control character (other than tab and line breaks,",
        "  which a quoted CSV value holds as written) or an invisible format character (zero-width space or joiner,",
        "  direction mark, word joiner, BOM, soft hyphen): `<column> holds a control or invisible character`. It",
        "  would stage as a second id that looks like the first.",
        "- The same daily file delivered twice (under another name) or a line repeated in another file with other",
        "  values: the later copies are quarantined as `duplicate declaration line`; the row of the first file in path",
        "  order stays (byte order: `day (1).parquet` and `day-again.parquet` sort before `day.parquet`).",
        "- A control that does not belong: naming a declaration that does not exist (`declaration_id not a known",
        "  declaration`), or whose lines were all quarantined (`declaration quarantined`), or a line (`item_no`) that",
        "  does not exist or was quarantined (`declaration line quarantined`); whose TIN differs from the",
        "  declaration's; dated before the declaration; or, without a declaration, naming an operator with no staged",
        "  declaration line (`tin not a known operator`).",
        "- A value of a column with meta `registered_in` (tax returns' TIN) absent from that register, when the",
        "  register has rows: `tin not in the register (tax.taxpayers.tin)`, also when the TIN's register row was",
        "  quarantined. The per-operator tax figures are computed per registered TIN, so such a return would count",
        "  nowhere. Not on declarations and controls (the",
        "  register may lag behind customs) nor on tax audits (their outcomes count for any operator).",
        "",
        "**Stops, naming what to fix** (a compile error of the first model that reads the file)",
        "",
        "- A required column missing from a file, naming the file(s) and the columns, also when only one file of a",
        "  folder lacks it. An optional column absent from some files of a folder only is a warning naming them.",
        "- A column twice in one file (the same name, or names that differ only in case).",
        "- A required source whose files hold no rows (a header only, or a 0-byte CSV), naming the files; an empty optional source",
        "  (a header only or 0 bytes) is a warning naming the files, and reads as absent.",
        "- A column whose type cannot hold the contract type: numbers in a date column (Excel serial dates), dates or",
        "  booleans in a number column, numbers in a reference code column whose leading zeros matter (HS codes of",
        "  the nomenclature, HS prefixes and chapters, ISIC codes: nothing could restore them); naming the file,",
        "  column and type.",
        "- No staged declaration at all (every row rejected): the evaluation window stops with that reason.",
        "- A CSV file that does not end with a line break: a copy cut mid-file, whose last value can still read cut",
        "  short (`1234.56` as `12`). `cip build` (before dbt), `cip check` and `cip load` stop naming the file and its",
        "  last line: copy the file again, or end it with a line break when that line is whole. A plain `dbt build`",
        "  does not check this (dbt cannot read a file's last byte without reading it all).",
        "- A file the engine cannot read (a truncated copy, a corrupt page, another format under the name): the",
        "  engine's error names the file, and `cip build` adds the fix (export it again, or move it out of the data",
        "  folder). A CSV that is not UTF-8: the engine names the file and line, `cip build` adds the fix (save it",
        "  as UTF-8, or var `csv_encoding: latin-1`). A UTF-16 big-endian CSV stops naming the file. A Windows export",
        "  whose euro sign, curly quotes or dashes are bytes 0x80-0x9F (Windows-1252, which latin-1 does not have and",
        "  DuckDB cannot decode without an extension download) stops: `cip build` names the file, the line and",
        "  the byte, and says to save the file as UTF-8 (`cip check` and `cip load` stop alike); a UTF-8 file read",
        "  with `csv_encoding: latin-1` is named as UTF-8.",
        "- A var of the wrong kind (`as_of_date`, `load_date`, `earliest_date` must be dates YYYY-MM-DD,",
        "  `window_months` a positive integer, `max_abs_number` and `as_of_min_volume_share` numbers), naming the",
        "  var. Vars and file paths reach SQL only as quoted literals, so a quote in a path or a var cannot break it.",
        "  Every tuning var is checked against its rule before any model runs (docs/configuration.md, \"Checked",
        "  configuration\").",
        "- A declarations file already loaded by an incremental build that changed or disappeared, with the",
        "  command that rebuilds (`cip build --full-refresh`; docs/incremental.md). Files are identified by their",
        "  path relative to the data folder plus size, modification time and MD5, so `cip build` and `dbt build`",
        "  agree and a data folder moved or copied elsewhere is not loaded twice.",
        "",
        *FAULTS_OF_EXPORTS,
        "**The evaluation date.** `as_of_date` (var) when set; otherwise the last declaration date whose trailing",
        "7-day volume (staged lines that day and the six before) is at least var `as_of_min_volume_share` (0.25) of",
        "the median trailing 7-day volume. A few stray lines dated after the real end of the data never move it.",
        "",
        "| table | source | optional | key |",
        "|---|---|---|---|",
    ]
    for t in tables.values():
        lines.append(f"| [{t.name}](#{t.name.replace('_', '-')}) | {t.source} | {'yes' if t.optional else 'no'} | {', '.join(t.key)} |")
    for t in tables.values():
        lines += ["", f"## {t.name}", "", f"Source `{t.source}`, {'optional' if t.optional else 'required'}; key ({', '.join(t.key)}).", "", t.description, "",
                  "| column | type | required column | nulls allowed | allowed values | normalisation | description |",
                  "|---|---|---|---|---|---|---|"]
        for c in t.columns:
            allowed = ", ".join(f"`{v}`" for v in c.allowed)
            lines.append(f"| {c.name} | {c.data_type} | {'yes' if c.required else 'no'} | {'yes' if c.nullable else 'no'} "
                         f"| {allowed} | {c.normalisation} | {c.description}"
                         f"{' The same on every line of a declaration.' if c.per_declaration else ''}"
                         f"{f' Leading zeros restored against {c.restore_leading_zeros}.' if c.restore_leading_zeros else ''}"
                         f"{f' Must be in {c.registered_in} when that has rows.' if c.registered_in else ''} |")
    return "\n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--write", action="store_true", help="write docs/source_contract.md instead of printing")


def run(args: argparse.Namespace) -> int:
    text = render_markdown(load_contract())
    if args.write:
        path = project_root() / "docs" / "source_contract.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path}")
    else:
        print(text)
    return 0
