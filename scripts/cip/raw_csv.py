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

import codecs
import functools
import gzip
import re
from pathlib import Path

RECORD_ERROR_COLUMN = "_cip_record_error"
DELIMITERS = (",", ";", "\t", "|")

TOO_MANY = "CSV record has more fields than the header"
TOO_FEW = "CSV record has fewer fields than the header"
HEADER_AGAIN = "CSV record repeats the header line (exports joined into one file: remove the repeated header)"
JOINED = ("CSV record holds a line break and a whole record in one value "
          "(a quote left open joined the next records into it)")


def _sql_string(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "latin-1": "latin-1", "latin1": "latin-1",
             "iso-8859-1": "latin-1", "utf-16": "utf-16", "utf16": "utf-16"}


def raw_files(folder: Path, table: str) -> list[Path]:
    """The files of one raw table, as the read_raw_source macro finds them (sorted):
    <t>.parquet, <t>/*.parquet, <t>.csv, <t>.csv.gz."""
    folder = Path(folder)
    found = [folder / f"{table}.parquet", *sorted((folder / table).glob("*.parquet")),
             folder / f"{table}.csv", folder / f"{table}.csv.gz"]
    return sorted((path for path in found if path.is_file()), key=str)


def is_csv(path: Path) -> bool:
    return str(path).endswith((".csv", ".csv.gz"))


def _first_line(con, path: Path, encoding: str):
    return con.execute(
        f"select line from read_csv({_sql_string(path)}, auto_detect = false, header = false, "
        "columns = {'line': 'VARCHAR'}, delim = chr(0), quote = '', escape = '', strict_mode = false, parallel = false, "
        f"encoding = {_sql_string(encoding)}) limit 1").fetchall()


def _head(path: Path, size: int = 2) -> bytes:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as handle:
        return handle.read(size)


def encoding(con, path: Path, config: dict | None = None) -> str:
    """The macro raw_csv_encoding: UTF-16 when the file starts with the little-endian byte order
    mark, else var csv_encoding (utf-8 by default) of `config`, the effective vars (dbt_project.yml
    with the command's --vars: cip.paths.load_vars). The macro cannot read bytes and probes with
    DuckDB; here the first two bytes are read. A file DuckDB's latin-1 decoder would reject
    stops naming its line (latin1_problem)."""
    head = _head(path)
    if head == b"\xff\xfe":
        return "utf-16"
    if head == b"\xfe\xff":
        raise SystemExit(f"CSV file {path} is UTF-16 big-endian, which the reader cannot decode. Save it as UTF-8 "
                         "(or UTF-16 little-endian), see docs/source_contract.md.")
    if config is None:
        from cip.paths import load_vars

        config = load_vars()
    wanted = str(config.get("csv_encoding") or "utf-8").strip().lower().replace("_", "-")
    if wanted not in ENCODINGS:
        raise SystemExit(f"Var csv_encoding = {wanted} is not one of utf-8, latin-1, utf-16: "
                         "give e.g. --vars '{csv_encoding: latin-1}' (docs/configuration.md).")
    if ENCODINGS[wanted] == "latin-1":
        problem = latin1_problem(path)
        if problem:
            raise SystemExit(problem)
    return ENCODINGS[wanted]


@functools.lru_cache(maxsize=64)
def _first_c1_byte(path: str, size: int, mtime: float) -> tuple[int, int, bool] | None:
    """(line, byte, whether the file reads as UTF-8) of the first byte 0x80-0x9F, streamed."""
    opener = gzip.open if path.endswith(".gz") else open
    lines, utf8 = 1, True
    decoder = codecs.getincrementaldecoder("utf-8")()
    with opener(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 24), b""):
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            found = re.search(rb"[\x80-\x9f]", chunk)
            if found:
                return lines + chunk.count(b"\n", 0, found.start()), chunk[found.start()], utf8
            lines += chunk.count(b"\n")
    return None


def latin1_problem(path: Path) -> str | None:
    """Why DuckDB cannot read a file as latin-1, or None. Its latin-1 decoder rejects bytes
    0x80-0x9F: in a Windows export those are Windows-1252's euro sign, curly quotes and dashes
    (ISO-8859-1 has no characters there); in a UTF-8 file they are parts of characters."""
    path = Path(path)
    stat = path.stat()
    found = _first_c1_byte(str(path), stat.st_size, stat.st_mtime)
    if not found:
        return None
    line, byte, utf8 = found
    if utf8:
        return (f"CSV file {path} is UTF-8 (line {line} holds a UTF-8 character), not latin-1: drop var csv_encoding "
                "(utf-8 is the default), see docs/source_contract.md")
    return (f"CSV file {path} line {line} holds byte 0x{byte:02X}, a Windows-1252 character (euro sign, curly quote or "
            "dash), which latin-1 (ISO-8859-1) does not have and the reader cannot decode: save the file as UTF-8 "
            "(Excel: \"CSV UTF-8\") and drop var csv_encoding, see docs/source_contract.md")


def unfinished_last_line(path: Path) -> str | None:
    """Why the last record of a CSV file may be cut, or None. Every writer ends a file with a
    line break; a copy interrupted mid-file does not, and its last value cut short can still
    read (`1234.56` cut to `12`). Only the file's end is read (its lines are counted when it is
    cut, to name the line); a .csv.gz cut short fails to decompress instead."""
    path = Path(path)
    if not str(path).endswith(".csv") or path.stat().st_size == 0:
        return None
    with open(path, "rb") as handle:
        utf16 = handle.read(2) == b"\xff\xfe"
        handle.seek(max(path.stat().st_size - 512, 0))
        tail = handle.read()
        if tail.endswith(b"\n\x00" if utf16 else b"\n") or (not utf16 and tail.endswith(b"\r")):
            return None
        handle.seek(0)
        newline = b"\n\x00" if utf16 else b"\n"
        lines = sum(chunk.count(newline) for chunk in iter(lambda: handle.read(1 << 24), b""))
    if lines == 0:
        return None   # a header line alone: no record to cut
    last = tail.rsplit(newline, 1)[-1].decode("utf-16-le" if utf16 else "latin-1", errors="replace")
    return (f"CSV file {path} does not end with a line break: its last line (line {lines + 1}: "
            f"{last[-60:]!r}) may have been cut by an interrupted copy. Copy or export the file again; if that "
            "line is whole, end the file with a line break (docs/source_contract.md)")


def _options(delimiter: str, encoding: str = "utf-8") -> str:
    # fixed dialect; a missing field pads null while an empty one reads '' (nullstr chr(0));
    # a malformed record is read, not fatal (strict_mode off); one thread, since the parallel
    # scanner cannot pad records beside quoted line breaks
    return (f"auto_detect = false, delim = {_sql_string(delimiter)}, quote = '\"', escape = '\"', "
            "null_padding = true, nullstr = chr(0), strict_mode = false, parallel = false, "
            f"encoding = {_sql_string(encoding)}")


def dialect(con, path: Path, config: dict | None = None) -> tuple[str, list[str]]:
    """(delimiter, column names) from the header line; no names for a file without a line."""
    code = encoding(con, path, config)
    first = _first_line(con, path, code)
    if not first or first[0][0] is None:
        return ",", []
    line = first[0][0].lstrip("\ufeff")
    delimiter = max(DELIMITERS, key=lambda d: (line.count(d), -DELIMITERS.index(d)))
    if line.count(delimiter) == 0:
        delimiter = ","
    fields = ", ".join(f"'_cip_f{i}': 'VARCHAR'" for i in range(1, line.count(delimiter) + 2))
    parsed = con.execute(f"select * from read_csv({_sql_string(path)}, {_options(delimiter, code)}, header = false, "
                         f"columns = {{{fields}}}) limit 1").fetchone()
    names = [(value.strip() or f"column{i}") for i, value in enumerate(parsed, start=1) if value is not None]
    return delimiter, names


def scan(path: Path, delimiter: str, names: list[str], code: str = "utf-8") -> str:
    """read_csv of the records by position: one field per header column plus _cip_f_extra."""
    fields = [f"'_cip_f{i}': 'VARCHAR'" for i in range(1, len(names) + 1)] + ["'_cip_f_extra': 'VARCHAR'"]
    return (f"read_csv({_sql_string(path)}, {_options(delimiter, code)}, header = true, "
            f"columns = {{{', '.join(fields)}}}, filename = '_cip_raw_file')")


def reader(con, path: Path, config: dict | None = None) -> str:
    """A select of one CSV file: its header's columns (text), _cip_record_error, _cip_raw_file.
    `config`: the effective vars (default: dbt_project.yml's)."""
    cut = unfinished_last_line(path)
    if cut:
        raise SystemExit(cut)
    code = encoding(con, path, config)
    delimiter, names = dialect(con, path, config)
    width = len(names)
    separator = "\\|" if delimiter == "|" else delimiter
    pattern = _sql_string(f"\\n[^\\n]*(?:{separator}[^\\n]*){{{max(width - 1, 1)}}}")
    selects = [f'_cip_f{i} as "' + name.replace('"', '""') + '"' for i, name in enumerate(names, start=1)]
    reasons = [f"when _cip_f_extra is not null then {_sql_string(TOO_MANY)}"]
    if width:
        joined = " or ".join(f"(contains(_cip_f{i}, chr(10)) and regexp_matches(_cip_f{i}, {pattern}))"
                             for i in range(1, width + 1))
        reasons.insert(0, f"when {joined} then {_sql_string(JOINED)}")
        # every field the header's name: a second export appended with its header (a BOM too)
        again = " and ".join(f"trim(replace(_cip_f{i}, chr(65279), '')) = {_sql_string(name)}"
                             for i, name in enumerate(names, start=1))
        reasons.insert(1, f"when {again} then {_sql_string(HEADER_AGAIN)}")
        reasons.append(f"when _cip_f{width} is null then {_sql_string(TOO_FEW)}")
    selects.append(f"case {' '.join(reasons)} end as {RECORD_ERROR_COLUMN}")
    selects.append("_cip_raw_file")
    return f"(select {', '.join(selects)} from {scan(path, delimiter, names, code)})"
