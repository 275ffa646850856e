"""Reading a raw CSV export record by record, for the Python paths (`cip load`, `cip check`,
the backtest's filtered copies): the same reading as the dbt macros raw_csv_dialect and
raw_csv_reader (macros/contract/read_raw_source.sql), which cannot call Python.

DuckDB's sniffer samples the data rows too: one record with a field too many or written with
another delimiter makes it fall back to a single column named by the whole header line, and
an explicit dialect with null padding drops an extra field silently and shifts the values of
a short record. So the dialect comes from the header line alone, the records are read with
it (every value text, a spare column past the header), and each record carries
_cip_record_error: why its values would sit in the wrong columns (null for a sound record).
The contract reader quarantines a row whose _cip_record_error is set, on every engine.
"""

from __future__ import annotations

from pathlib import Path

RECORD_ERROR_COLUMN = "_cip_record_error"
DELIMITERS = (",", ";", "\t", "|")

TOO_MANY = "CSV record has more fields than the header"
TOO_FEW = "CSV record has fewer fields than the header"
JOINED = ("CSV record holds a line break and a whole record in one value "
          "(a quote left open joined the next records into it)")


def _sql_string(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _options(delimiter: str) -> str:
    # fixed dialect; a missing field pads null while an empty one reads '' (nullstr chr(0));
    # a malformed record is read, not fatal (strict_mode off); one thread, since the parallel
    # scanner cannot pad records beside quoted line breaks
    return (f"auto_detect = false, delim = {_sql_string(delimiter)}, quote = '\"', escape = '\"', "
            "null_padding = true, nullstr = chr(0), strict_mode = false, parallel = false")


def dialect(con, path: Path) -> tuple[str, list[str]]:
    """(delimiter, column names) from the header line; no names for a file without a line."""
    first = con.execute(
        f"select line from read_csv({_sql_string(path)}, auto_detect = false, header = false, "
        "columns = {'line': 'VARCHAR'}, delim = chr(0), quote = '', escape = '', strict_mode = false, parallel = false) limit 1").fetchall()
    if not first or first[0][0] is None:
        return ",", []
    line = first[0][0]
    delimiter = max(DELIMITERS, key=lambda d: (line.count(d), -DELIMITERS.index(d)))
    if line.count(delimiter) == 0:
        delimiter = ","
    fields = ", ".join(f"'_cip_f{i}': 'VARCHAR'" for i in range(1, line.count(delimiter) + 2))
    parsed = con.execute(f"select * from read_csv({_sql_string(path)}, {_options(delimiter)}, header = false, "
                         f"columns = {{{fields}}}) limit 1").fetchone()
    names = [(value.strip() or f"column{i}") for i, value in enumerate(parsed, start=1) if value is not None]
    return delimiter, names


def scan(path: Path, delimiter: str, names: list[str]) -> str:
    """read_csv of the records by position: one field per header column plus _cip_f_extra."""
    fields = [f"'_cip_f{i}': 'VARCHAR'" for i in range(1, len(names) + 1)] + ["'_cip_f_extra': 'VARCHAR'"]
    return (f"read_csv({_sql_string(path)}, {_options(delimiter)}, header = true, "
            f"columns = {{{', '.join(fields)}}}, filename = '_cip_raw_file')")


def reader(con, path: Path) -> str:
    """A select of one CSV file: its header's columns (text), _cip_record_error, _cip_raw_file."""
    delimiter, names = dialect(con, path)
    width = len(names)
    separator = "\\|" if delimiter == "|" else delimiter
    pattern = _sql_string(f"\\n[^\\n]*(?:{separator}[^\\n]*){{{max(width - 1, 1)}}}")
    selects = [f'_cip_f{i} as "' + name.replace('"', '""') + '"' for i, name in enumerate(names, start=1)]
    reasons = [f"when _cip_f_extra is not null then {_sql_string(TOO_MANY)}"]
    if width:
        joined = " or ".join(f"(contains(_cip_f{i}, chr(10)) and regexp_matches(_cip_f{i}, {pattern}))"
                             for i in range(1, width + 1))
        reasons.insert(0, f"when {joined} then {_sql_string(JOINED)}")
        reasons.append(f"when _cip_f{width} is null then {_sql_string(TOO_FEW)}")
    selects.append(f"case {' '.join(reasons)} end as {RECORD_ERROR_COLUMN}")
    selects.append("_cip_raw_file")
    return f"(select {', '.join(selects)} from {scan(path, delimiter, names)})"
