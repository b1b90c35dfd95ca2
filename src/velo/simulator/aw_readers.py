"""Readers for delimited table exports, one per quirk rather than one per file.

Each quirk is detected from the bytes, never from the file name:

- compression: gzip and zip by their magic bytes (a zip holds one table, or one named like it);
- encoding: a BOM (UTF-8, UTF-16 LE/BE), UTF-16 without a BOM by its NUL bytes, else UTF-8,
  else Windows-1252 (Latin-1 for the five bytes Windows-1252 leaves undefined);
- record format: SQL Server's ``bcp`` native text (fields ``+|``, records ``&|`` + newline, so
  fields may hold newlines), else one record per line split on the delimiter that yields the
  table's column count (tab, comma with CSV quoting, semicolon or pipe);
- header or not: a first record that names the table's columns is a header (names stripped of
  padding); header-less files take the columns of the table definition;
- a last record without its line end and with too few fields is a cut-off record: dropped and
  reported when the caller allows it (a known truncated copy), an error otherwise.

Anything unreadable is one VeloError naming the file and the line.
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from velo.errors import VeloError

BCP_FIELD, BCP_RECORD = "+|", "&|"
DELIMITERS = ("\t", ",", ";", "|")
# Suffixes a table export may carry, compressed or not; the stem names the table.
SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz", ".csv.zip", ".zip", ".gz")
BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


@dataclass(frozen=True)
class RawTable:
    """A table's records as text fields, each with the file line it starts on."""

    path: Path
    columns: tuple[str, ...]
    rows: list[list[str]]
    lines: list[int]
    cut_line: int | None = None  # line of a cut-off last record that was dropped
    has_header: bool = False
    encoding: str = ""
    terminated: bool = True  # the last record ends with its line end

    def column_index(self, name: str) -> int:
        lowered = [c.lower() for c in self.columns]
        if name.lower() not in lowered:
            where = "line 1: the header has" if self.has_header else "the table definition has"
            raise VeloError(f"{self.path}: {where} no column {name} ({', '.join(self.columns)})")
        return lowered.index(name.lower())

    def without_last_row(self) -> RawTable:
        return replace(self, rows=self.rows[:-1], lines=self.lines[:-1], cut_line=self.lines[-1])


def find_table_file(directory: Path, table: str) -> Path | None:
    """The export of ``table`` in ``directory`` (any case, any known suffix), or None."""
    if not directory.is_dir():
        raise VeloError(f"{directory} is not a directory of table exports")
    wanted = {table.lower() + suffix for suffix in SUFFIXES}
    found = sorted(p for p in directory.iterdir() if p.name.lower() in wanted and p.is_file())
    if len(found) > 1:
        raise VeloError(
            f"{directory}: more than one export of {table} ({', '.join(p.name for p in found)}); "
            "keep one"
        )
    return found[0] if found else None


def read_table(path: Path, columns: Sequence[str], *, allow_cut: bool = False) -> RawTable:
    """Read one table export; ``columns`` is the table definition (used when there is no header)."""
    data = _decompress(path, path.read_bytes())
    encoding = _detect_encoding(data)
    text = _decode(path, data, encoding).replace("\ufeff", "")  # BOMs and stray U+FEFF in XML
    records, lines, terminated = _split_records(path, text, len(columns))
    if not records:
        return RawTable(path, tuple(columns), [], [], encoding=encoding)
    header = [name.strip() for name in records[0]]
    known = {c.lower(): c for c in columns}
    has_header = sum(name.lower() in known for name in header) * 2 >= len(header)
    if has_header:
        names = tuple(known.get(name.lower(), name) for name in header)
        records, lines = records[1:], lines[1:]
    else:
        names = tuple(columns)
    table = RawTable(path, names, records, lines, None, has_header, encoding, terminated)
    return _check_field_counts(table, allow_cut)


def _decompress(path: Path, data: bytes) -> bytes:
    try:
        if data[:2] == b"\x1f\x8b":
            return gzip.decompress(data)
        if data[:4] == b"PK\x03\x04":
            return _unzip(path, data)
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
        raise VeloError(f"{path}: corrupt or cut-off compressed file ({exc})") from None
    return data


def _unzip(path: Path, data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [m for m in archive.namelist() if not m.endswith("/")]
        stem = path.name.split(".")[0].lower()
        named = [m for m in members if Path(m).name.split(".")[0].lower() == stem]
        chosen = members if len(members) == 1 else named
        if len(chosen) != 1:
            raise VeloError(
                f"{path}: cannot tell which member holds the table ({', '.join(members)})"
            )
        return archive.read(chosen[0])


def _detect_encoding(data: bytes) -> str:
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return encoding
    sample = data[:512]
    if len(sample) >= 4:
        # ASCII text in UTF-16 has a NUL in every other byte.
        if sample[1::2].count(0) * 4 >= len(sample) * 3 // 2:
            return "utf-16-le"
        if sample[0::2].count(0) * 4 >= len(sample) * 3 // 2:
            return "utf-16-be"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            return "latin-1"
        return "cp1252"
    return "utf-8"


def _decode(path: Path, data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].decode(encoding, errors="replace").count("\n") + 1
        raise VeloError(
            f"{path}: line {line}: bytes that are not valid {encoding} ({exc.reason}); "
            "is the file cut off or in another encoding?"
        ) from None


def _split_records(
    path: Path, text: str, n_columns: int
) -> tuple[list[list[str]], list[int], bool]:
    """Records as field lists, the line each starts on, and whether the last one is terminated."""
    first_line = text.split("\n", 1)[0]
    if BCP_FIELD in first_line or (n_columns == 1 and first_line.rstrip("\r").endswith(BCP_RECORD)):
        return _split_bcp(text)
    return _split_delimited(path, text, _choose_delimiter(first_line, n_columns))


def _split_bcp(text: str) -> tuple[list[list[str]], list[int], bool]:
    pieces = text.split(BCP_RECORD)
    tail = pieces.pop()  # after the last record end: only the line end, unless cut off
    terminated = not tail.strip()
    if not terminated:
        pieces.append(tail)
    records, lines, line = [], [], 1
    for index, piece in enumerate(pieces):
        if index > 0:  # the line end that followed the previous record's `&|`
            if piece.startswith("\r\n"):
                piece = piece[2:]
            elif piece.startswith("\n"):
                piece = piece[1:]
            line += 1
        if piece:
            records.append(piece.split(BCP_FIELD))
            lines.append(line)
        line += piece.count("\n")
    return records, lines, terminated


def _choose_delimiter(first_line: str, n_columns: int) -> str:
    """The delimiter splitting the first line into the table's column count, else the commonest."""
    counts = {d: first_line.count(d) for d in DELIMITERS}
    for delimiter, count in counts.items():
        if count == n_columns - 1 and count > 0:
            return delimiter
    return max(counts, key=lambda d: counts[d])


def _split_delimited(
    path: Path, text: str, delimiter: str
) -> tuple[list[list[str]], list[int], bool]:
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting)
    records, lines, line = [], [], 1
    try:
        for fields in reader:
            if fields:  # blank lines are no records
                records.append(fields)
                lines.append(line)
            line = reader.line_num + 1
    except csv.Error as exc:
        raise VeloError(f"{path}: line {reader.line_num}: unreadable ({exc})") from None
    return records, lines, text.endswith("\n")


def _check_field_counts(table: RawTable, allow_cut: bool) -> RawTable:
    expected = len(table.columns)
    for index, (fields, line) in enumerate(zip(table.rows, table.lines, strict=True)):
        if len(fields) == expected:
            continue
        is_last = index == len(table.rows) - 1
        if is_last and not table.terminated and len(fields) < expected:
            if allow_cut:
                return table.without_last_row()
            raise VeloError(
                f"{table.path}: line {line}: the file ends inside a record ({len(fields)} of "
                f"{expected} fields); the copy is cut off, get a complete one"
            )
        raise VeloError(
            f"{table.path}: line {line}: {len(fields)} fields where {expected} were expected "
            f"({', '.join(table.columns)})"
        )
    return table
