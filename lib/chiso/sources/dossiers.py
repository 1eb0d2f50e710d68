"""Dossier exports: load a data folder in the chiso data contract, check every row, set bad rows aside.

The contract (tables, columns, types, allowed values) is data, in ``params/contract.yaml``;
other header names for its columns are in ``params/columns.yaml`` (user-extendable).

Files
    A data folder holds one file per table, named after the table (``hoso.csv``,
    ``hoso.xlsx`` or ``hoso.parquet``; the name's case does not matter). Required tables:
    donvi, tthc, hoso, hoso_su_kien; optional: tthc_donvi, pakn, congbo (``None`` when
    absent: "no data", never "nothing happened"). Two files for one table stop the run.
    CSV is UTF-8 with or without BOM; the delimiter (``,`` ``;`` or tab) is taken from the
    header line; quoted line breaks and cells of any size are read (a second, single-block
    pass when pyarrow's parallel blocks split one), and a faulty file is refused with the
    line and byte offset of its first fault (bad UTF-8, unclosed quote, wrong field count).
    XLSX: the first sheet, header in row 1, wholly empty rows skipped; a formula cell without
    a saved value (a workbook written by a program) stops the run: its value is unknown.
    A donvi table with no usable row stops the run (every report is about a unit), and a
    unit code that cannot name a report file is set aside (``_set_aside_unusable_unit_codes``).
    Parquet: read with pyarrow; native timestamps, booleans and numbers pass through, and a
    dictionary-encoded column is decoded once per dictionary entry.
    DVCQG sync payloads (:mod:`chiso.sources.sync`) may supply hoso and hoso_su_kien: their
    rows are checked here like a file's, each naming its own payload file and position; a
    table file beside them is read too if no dossier is in both.

Headers
    Each column is found under its contract name, its DVCQG sync field name or a usual
    Excel header, ignoring case, spaces, punctuation and diacritics (``header_key``).
    A missing required column, two columns meaning the same one, or a file that cannot
    be read raise ``InputError`` with one line naming the file, the column and what was
    expected. Columns outside the contract are kept as they are (they are never used by
    the index and never published; Parquet/arrow keeps them cheap).

Values (decoded vectorised; low-cardinality columns once per distinct value)
    - codes and texts: trimmed; ``""`` and the markers in ``blank_values`` (NULL, NaN,
      #N/A...) are blank -> ``<NA>``; dtype ``string``.
    - dates: ISO 8601 or Vietnamese day-first (``03/04/2026`` = 3 April 2026, never
      4 March) or DVCQG's compact ``20260403140500``: the ``date_rewrites`` put every
      spelling into ISO order, then one strict column-wide ISO 8601 parse (``31/02/2026``
      is unparseable); nothing is guessed per row. Values with a UTC offset are converted
      to local time. dtype ``datetime64[ns]``, naive local time.
    - yes/no: ``1/0``, ``true/false``, ``có/không``, ``x``/blank; blank = False;
      ThanhToanTrucTuyen also takes DVCQG's ``2`` (paid on the provincial gateway) as yes;
      DVCQG's ``DuongDanTepTinKetQua`` (result file path) means KetQuaDienTu when not blank.
    - enums: folded to upper case without diacritics, spaces -> ``_`` ("Xử lý xong" =
      ``XU_LY_XONG``); KenhNop becomes Int8 1/2/3; DonViThoiHan blank -> ``NGAY_LAM_VIEC``.
    - an optional column absent from the file is absent from the DataFrame (the indicators
      that need it then say "no data"); a present one is kept even when blank in every row
      (docs/methodology.md §5 R3); a column with a default (DonViThoiHan) is always present.

Rows set aside (input rows = accepted + set aside, always; checked in code)
    Each set-aside row is listed once in ``.set_aside`` (table, file, row, column, value,
    reason, detail): ``reason`` is a code of :mod:`chiso.reasons` (which holds its Vietnamese
    and English text), ``detail`` what tells the row apart when the code alone does not (a
    length, a character, another unit's code). The first failure counts, in this order:

    1. cell checks, column by column in contract order: ``blank_required``,
       ``unparseable_date``, ``not_yes_no``, ``not_a_number``, ``unknown_value`` (a value
       outside the column's list: SuKien, Cap, KenhNop...);
    2. references: ``unknown_unit`` / ``unknown_procedure`` / ``unknown_dossier`` when the
       code is not in the referenced table at all, ``unit_set_aside`` (etc.) when it names a
       row that was itself set aside (an event of a set-aside dossier is set aside too);
    3. duplicate ids (donvi.MaDonVi, tthc.MaTTHC, hoso.MaHoSo, pakn.MaPAKN): when the copies
       differ, every copy is set aside as ``duplicate_key`` (which one is right is unknown);
       when they are identical in every column, the first is kept and the others are
       ``identical_copy``; then unit codes that cannot name a report file
       (``unit_code_too_long``, ``unit_code_bad_character``, ``unit_code_reserved_name``,
       ``unit_code_case_clash``);
    4. implausible values (docs/methodology.md §5 R11): ``after_export_date`` (or
       ``in_the_future`` with no export date) for the dates of past facts (contract
       ``past: true``), ``due_before_reception`` (hoso), ``handled_before_received``
       (pakn), ``unknown_parent_unit`` / ``parent_unit_set_aside`` (donvi: a unit other than
       the province whose MaDonViCha is not a unit of the export);
    5. events (docs/methodology.md §5 R5): ``event_before_reception`` (any event but the reception and a
       withdrawal dated before its dossier's NgayTiepNhan: it is neither a supplement request
       nor the end) and ``repeated_event`` (same dossier, event and instant as an earlier
       row: counted once). A bare date (00:00) compares by day.

    A units table with no rows, or an events table with no rows while dossiers exist, stops
    with an error. A present column is kept even when blank in every row (docs/methodology.md §5 R3: a
    yes/no column then means "no" for every row); only an absent column is "no data".
    The export date (R9) comes from ``export_date=``, ``_metadata.json``'s ``export_date`` or
    the latest hoso.NgayXuat (:attr:`DossierData.export_date`).

    ``row`` is the 1-based data row: the n-th row under the header (CSV and Parquet; blank
    CSV lines are not rows), or the Excel sheet row minus 1. ``.quality`` counts rows read,
    accepted and set aside per table; ``quality_by_reason`` counts per table, column and reason.

The checks are the decoding itself (a value is bad exactly when it does not decode to its
type), run column-wide with pyarrow compute kernels and numpy; no row-by-row Python.

Example
-------
>>> data = load_dossiers("data/sample")  # doctest: +SKIP
>>> data.hoso[["MaHoSo", "KenhNop", "NgayTiepNhan"]].dtypes.tolist()  # doctest: +SKIP
[<StringDtype(na_value=<NA>)>, Int8Dtype(), dtype('<M8[ns]')]
>>> quality_by_reason(data)  # doctest: +SKIP
          table        column            reason  rows
0          hoso  NgayTiepNhan  unparseable_date     3
1  hoso_su_kien        MaHoSo   unknown_dossier    12
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pandera.pandas as pandera
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import yaml

from chiso import reasons
from chiso.codes import EVENTS
from chiso.errors import ChisoError, InputError
from chiso.formatting import fold_diacritics
from chiso.paths import MAX_CODE_CHARACTERS, params_dir
from chiso.sources.sync import SYNC_TABLES, SyncTable, SyncTables, stack_tables, find_payloads, read_payloads

TABLE_SUFFIXES = (".csv", ".xlsx", ".parquet")
SAMPLE_MARKER = "_sample.json"
COLUMN_TYPES = ("code", "text", "enum", "bool", "date", "number")

METADATA_FILE = "_metadata.json"  # "_": not a sync payload (sources.sync)

SET_ASIDE_COLUMNS = ["table", "file", "row", "column", "value", "reason", "detail"]
QUALITY_COLUMNS = ["table", "file", "rows_read", "accepted", "set_aside"]
NS = "datetime64[ns]"
# Whole days inside the datetime64[ns] range (1677-09-21 ... 2262-04-11).
_NS_FIRST_DAY, _NS_LAST_DAY = np.datetime64("1677-09-22"), np.datetime64("2262-04-10")
# A UTC offset after an ISO time ("...14:05:00+07:00", "...14:05+0700", "...14:05+07" with the
# hours only, "...T07:05Z"); "2026-04-03" has none.
_UTC_OFFSET = r"\d\d:\d\d(?::\d\d(?:\.\d+)?)?\s*(?:Z|[+-]\d\d(?::?\d\d)?)$"


# --------------------------------------------------------------------------- text folding

def header_key(header: str) -> str:
    """The key under which a header is matched: no case, diacritics, spaces or punctuation.

    >>> header_key("Ngày tiếp nhận"), header_key("NGAY_TIEP_NHAN"), header_key("Mã ĐV")
    ('ngaytiepnhan', 'ngaytiepnhan', 'madv')
    """
    return re.sub(r"[^0-9a-z]", "", fold_diacritics(header).lower())


def _enum_key(token: str) -> str:
    """Fold an enum label: ``"Xử lý xong"`` -> ``"XU_LY_XONG"``, ``"toan-trinh"`` -> ``"TOAN_TRINH"``."""
    return re.sub(r"[\s\-]+", "_", fold_diacritics(token).strip().upper())


def _yes_no_key(token: str) -> str:
    """Fold a yes/no spelling: ``"Có"`` -> ``"co"``, ``" KHÔNG "`` -> ``"khong"``."""
    return re.sub(r"\s+", "", fold_diacritics(token).lower())


def _token(value: Any) -> str | None:
    """A distinct cell value as trimmed text (``None`` for null); integral floats lose ``.0``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return str(int(value))
    return str(value).strip()


# --------------------------------------------------------------------------- the contract

@dataclass(frozen=True)
class ColumnSpec:
    """One contract column (``params/contract.yaml``)."""

    name: str
    type: str
    required: bool = False
    values: tuple = ()
    value_aliases: dict = field(default_factory=dict)
    default: Any = None
    dtype: str = "string"
    extra_true: tuple[str, ...] = ()
    past: bool = False  # the date of something that happened: not after the export date
    non_negative: bool = False  # an amount: a negative value is set aside

    def enum_lookup(self) -> dict[str, Any]:
        """Folded label -> value, for the allowed values and their aliases."""
        lookup = {_enum_key(str(v)): v for v in self.values}
        lookup.update({_enum_key(str(k)): v for k, v in self.value_aliases.items()})
        return lookup


@dataclass(frozen=True)
class TableSpec:
    """One contract table: its columns in order, its id column, what it references."""

    name: str
    required: bool
    columns: dict[str, ColumnSpec]
    key: str | None = None
    references: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Contract:
    """The whole input contract; tables in the order they are loaded and checked."""

    tables: dict[str, TableSpec]
    timezone: str
    blank_values: tuple[str, ...]
    true_words: frozenset[str]
    false_words: frozenset[str]
    date_rewrites: tuple[tuple[str, str], ...]  # (RE2 pattern, replacement in ISO order)
    unit_levels: dict[str, str]


def _from_document(doc: dict, dotted: str | None, path: Path) -> tuple:
    """The list at ``dotted`` (``events.kinds``) of the contract document: a list defined once."""
    if not dotted:
        return ()
    value: Any = doc
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if not isinstance(value, list):
        raise ChisoError(f"{path}: values_from {dotted!r} does not name a list of the contract")
    return tuple(value)


def load_contract(path: str | Path | None = None) -> Contract:
    """Read the input contract (default ``params/contract.yaml``) and check its column types."""
    path = Path(path) if path else params_dir() / "contract.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    tables = {}
    for name, table in doc["tables"].items():
        columns = {}
        for column, spec in table["columns"].items():
            if spec.get("type") not in COLUMN_TYPES:
                raise ChisoError(f"{path}: {name}.{column}: type {spec.get('type')!r} is not one of "
                                 f"{', '.join(COLUMN_TYPES)}")
            columns[column] = ColumnSpec(
                name=column, type=spec["type"], required=bool(spec.get("required", False)),
                values=tuple(spec.get("values") or _from_document(doc, spec.get("values_from"), path)),
                value_aliases=dict(spec.get("value_aliases", {})),
                default=spec.get("default"), dtype=spec.get("dtype", "string"),
                extra_true=tuple(_yes_no_key(str(v)) for v in spec.get("extra_true", ())),
                past=bool(spec.get("past", False)), non_negative=bool(spec.get("non_negative", False)),
            )
        references = dict(table.get("references", {}))
        for column, target in references.items():
            if column not in columns or target not in doc["tables"] or not doc["tables"][target].get("key"):
                raise ChisoError(f"{path}: {name}.{column} references {target!r}, which is not a table with a key")
            if target not in reasons.UNKNOWN_REFERENCE or target not in reasons.REFERENCE_SET_ASIDE:
                raise ChisoError(f"{path}: {name}.{column} references {target!r}, for which chiso.reasons has "
                                 f"no reasons (unknown ..., ... set aside)")
        tables[name] = TableSpec(name=name, required=bool(table["required"]), columns=columns,
                                 key=table.get("key"), references=references)
    return Contract(
        tables=tables,
        timezone=doc["timezone"],
        blank_values=tuple(doc["blank_values"]),
        true_words=frozenset(_yes_no_key(str(v)) for v in doc["booleans"]["true"]),
        false_words=frozenset(_yes_no_key(str(v)) for v in doc["booleans"]["false"]),
        date_rewrites=tuple((r["match"], r["iso"]) for r in doc["date_rewrites"]),
        unit_levels=dict(doc["unit_levels"]),
    )


@dataclass(frozen=True)
class TableHeaders:
    """How the headers of one table's file are recognised."""

    meaning: dict[str, str]              # header_key -> contract column
    non_blank_means_yes: frozenset[str]  # header_keys whose non-blank content means yes
    names: dict[str, list[str]]          # contract column -> accepted names, for messages


def load_column_names(contract: Contract, extra: str | Path | None = None) -> dict[str, TableHeaders]:
    """Read the header aliases of ``params/columns.yaml`` (plus a user's ``extra`` file) per table.

    The contract name of a column is always accepted. A name meaning two columns of one
    table, or an unknown table or column, is an error in the file that says so.
    """
    files = [params_dir() / "columns.yaml", *([Path(extra)] if extra else [])]
    docs = [(path, yaml.safe_load(path.read_text(encoding="utf-8")) or {}) for path in files]
    for path, doc in docs:
        unknown = set(doc) - set(contract.tables)
        if unknown:
            raise ChisoError(f"{path}: unknown table {sorted(unknown)[0]!r} "
                             f"(contract tables: {', '.join(contract.tables)})")
    headers = {}
    for table, spec in contract.tables.items():
        meaning: dict[str, str] = {}
        yes_if_present: set[str] = set()
        names: dict[str, list[str]] = {column: [column] for column in spec.columns}
        for path, doc in docs:
            entries = doc.get(table) or {}
            unknown = set(entries) - set(spec.columns)
            if unknown:
                raise ChisoError(f"{path}: {table}: unknown column {sorted(unknown)[0]!r} "
                                 f"(contract columns: {', '.join(spec.columns)})")
            for column, entry in entries.items():
                entry = entry or {}
                names[column] += [str(n) for kind in ("dvcqg", "excel") for n in _as_list(entry.get(kind))]
                for name in _as_list(entry.get("non_blank_means_yes")):
                    if name not in names[column] or spec.columns[column].type != "bool":
                        raise ChisoError(f"{path}: {table}.{column}: non_blank_means_yes {name!r} must be "
                                         f"one of the names of this yes/no column")
                    yes_if_present.add(header_key(name))
            for column, listed in names.items():
                for name in listed:
                    other = meaning.setdefault(header_key(name), column)
                    if other != column:
                        raise ChisoError(f"{path}: {table}: {name!r} would mean both {other} and {column}")
        headers[table] = TableHeaders(meaning, frozenset(yes_if_present),
                                      {column: list(dict.fromkeys(listed)) for column, listed in names.items()})
    return headers


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


# --------------------------------------------------------------------------- reading files

def _find_files(folder: Path, contract: Contract, supplied: tuple[str, ...] = ()) -> dict[str, Path]:
    """Table -> file, in contract order; one file per table; every required table present
    (those in ``supplied`` may instead come from sync payloads)."""
    found: dict[str, list[Path]] = {}
    unsupported: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        table = path.stem.lower()
        if not path.is_file() or table not in contract.tables:
            continue
        (found if path.suffix.lower() in TABLE_SUFFIXES else unsupported).setdefault(table, []).append(path)
    files = {}
    for table, spec in contract.tables.items():
        paths = found.get(table, [])
        if len(paths) > 1:
            raise InputError(f"{folder}: {' and '.join(p.name for p in paths)} are both table {table!r}; keep one")
        if paths:
            files[table] = paths[0]
        elif spec.required and table not in supplied:
            others = unsupported.get(table)
            hint = f" ({', '.join(p.name for p in others)}: not a supported format)" if others else ""
            raise InputError(f"{folder}: required table {table!r} missing: expected "
                             f"{', '.join(table + s for s in TABLE_SUFFIXES)}{hint}")
    return files


def _read_table_file(path: Path) -> tuple[pa.Table, np.ndarray | None]:
    """The file's cells as an arrow table (original headers) and each row's 1-based data row number
    (None: the rows are numbered 1, 2, 3... in order)."""
    readers = {".csv": _read_csv, ".xlsx": _read_xlsx, ".parquet": _read_parquet}
    table, row_numbers = readers[path.suffix.lower()](path)
    seen: set[str] = set()
    for name in table.column_names:
        if name in seen:
            raise InputError(f"{path.name}: column {name!r} appears twice in the header")
        seen.add(name)
    return table, row_numbers


def _read_csv(path: Path) -> tuple[pa.Table, None]:
    """Read a CSV with pyarrow's parallel reader; if that fails, once more as one block with
    quoted line breaks allowed (a valid file with multi-line or > 1 MB cells); a file that
    fails both is faulty, and the message names the line and byte offset of the fault."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first_line = handle.readline()
    except UnicodeDecodeError:
        raise InputError(f"{path.name}: not UTF-8 text ({_csv_fault(path, ',', 0)}; "
                         f"expected a CSV saved as UTF-8)") from None
    if not first_line.strip():
        raise InputError(f"{path.name}: no header row (expected column names on the first line)")
    # Excel in a Vietnamese locale saves "CSV" with ';' (the decimal separator is ',').
    delimiter = max((",", ";", "\t"), key=first_line.count)
    names = next(csv.reader([first_line], delimiter=delimiter))
    convert = pacsv.ConvertOptions(column_types={name: pa.string() for name in names},
                                   strings_can_be_null=False, quoted_strings_can_be_null=False)
    # pyarrow splits the file into blocks at line ends: a quoted line break at a block
    # boundary, or a row longer than a block, fails the fast read of a valid file.
    whole_file = max(1 << 20, min(path.stat().st_size + 1, 1 << 30))
    attempts = [(pacsv.ReadOptions(column_names=names, skip_rows=1), pacsv.ParseOptions(delimiter=delimiter)),
                (pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=whole_file),
                 pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True))]
    for read_options, parse_options in attempts:
        try:
            return pacsv.read_csv(path, read_options=read_options, parse_options=parse_options,
                                  convert_options=convert), None
        except pa.ArrowInvalid as exc:
            message = str(exc)
            if "UTF8" in message:
                raise InputError(f"{path.name}: not UTF-8 text ({_csv_fault(path, delimiter, len(names))}; "
                                 f"expected a CSV saved as UTF-8)") from None
    shape = re.search(r"Expected \d+ columns, got \d+", message)
    detail = _csv_fault(path, delimiter, len(names)) or (shape.group(0) if shape else message.splitlines()[0][:120])
    raise InputError(f"{path.name}: not a readable CSV file ({detail}; "
                     f"expected {len(names)} columns separated by {delimiter!r})")


def _csv_fault(path: Path, delimiter: str, width: int) -> str | None:
    """Where a CSV first breaks, as "line L (byte B): what": invalid UTF-8, an unclosed quote,
    or a row whose number of fields is not ``width`` (0: check only the encoding).

    Runs only after a read failed: the standard library's csv module, line by line.
    """
    starts: list[int] = []  # byte offset of each physical line read so far

    def lines():
        offset = 0
        with path.open("rb") as handle:
            for number, raw in enumerate(handle):
                starts.append(offset)
                try:
                    yield raw.decode("utf-8-sig" if number == 0 else "utf-8")
                except UnicodeDecodeError as exc:
                    raise _Fault(number + 1, offset + exc.start, f"invalid UTF-8 byte 0x{raw[exc.start]:02x}") from None
                offset += len(raw)

    reader = csv.reader(lines(), delimiter=delimiter, strict=True)
    try:
        next(reader, None)  # the header
        first_line = reader.line_num + 1
        for record in reader:
            if width and record and len(record) != width:
                return (f"line {first_line} (byte {starts[first_line - 1]}): "
                        f"expected {width} columns, got {len(record)}")
            first_line = reader.line_num + 1
    except _Fault as fault:
        return f"line {fault.line} (byte {fault.offset}): {fault.what}"
    except csv.Error as exc:
        return f"line {first_line} (byte {starts[first_line - 1]}): {exc}"
    return None


class _Fault(Exception):
    def __init__(self, line: int, offset: int, what: str):
        super().__init__(what)
        self.line, self.offset, self.what = line, offset, what


def _excel_text(value: Any) -> str | None:
    """An Excel cell as text: dates in ISO form (parsed later like any date), integral numbers without .0."""
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return _token(value)


def _read_xlsx(path: Path) -> tuple[pa.Table, np.ndarray]:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML and key errors for damaged files
        raise InputError(f"{path.name}: not a readable Excel workbook ({type(exc).__name__}; "
                         f"expected an .xlsx file)") from None
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise InputError(f"{path.name}: the first sheet is empty (expected column names in row 1)")
        names = ["" if h is None else str(h).strip() for h in header]
        while names and not names[-1]:
            names.pop()
        names = [name or f"column {i + 1}" for i, name in enumerate(names)]
        columns: list[list[str | None]] = [[] for _ in names]
        row_numbers = []
        for number, row in enumerate(rows, start=1):
            cells = [_excel_text(row[i]) if i < len(row) else None for i in range(len(names))]
            if all(c is None or c == "" for c in cells):
                continue
            for column, cell in zip(columns, cells):
                column.append(cell)
            row_numbers.append(number)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{path.name}: not a readable Excel workbook ({type(exc).__name__}; "
                         f"expected an .xlsx file)") from None
    finally:
        workbook.close()
    if any(cell is None for column in columns for cell in column):
        _refuse_unsaved_formulas(path, columns, row_numbers)
    table = pa.table({name: pa.array(column, pa.string()) for name, column in zip(names, columns)})
    return table, np.array(row_numbers, dtype=np.int64)


def _refuse_unsaved_formulas(path: Path, columns: list[list[str | None]], row_numbers: list[int]) -> None:
    """Stop at a formula cell that has no saved value (a workbook written by a program, never
    opened in Excel): its value is unknown, not blank. Read only when some cell came back empty."""
    index = {number: i for i, number in enumerate(row_numbers)}
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        rows = workbook.worksheets[0].iter_rows()
        next(rows, None)
        for number, row in enumerate(rows, start=1):
            for cell in row[:len(columns)]:
                formula = cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("="))
                if formula and number in index and columns[cell.column - 1][index[number]] is None:
                    raise InputError(f"{path.name}: cell {cell.coordinate}: formula without a "
                                     f"saved value: open and save the workbook in Excel")
    finally:
        workbook.close()


def _read_parquet(path: Path) -> tuple[pa.Table, None]:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        detail = re.sub(r"^Could not open Parquet input source '[^']*': ", "", str(exc).split("\n")[0])
        raise InputError(f"{path.name}: not a readable Parquet file ({detail[:100] or type(exc).__name__})") from None
    # pandas writes a non-default index as an extra column: not data.
    table = table.drop_columns([n for n in table.column_names if n.startswith("__index_level_")])
    return table, None


def _canonical_headers(table: pa.Table, spec: TableSpec, headers: TableHeaders,
                       path: Path) -> tuple[pa.Table, set[str]]:
    """Rename recognised headers to contract names; the contract columns read as 'non-blank = yes'."""
    renamed: dict[str, str] = {}
    source: dict[str, str] = {}
    yes_if_present = set()
    for name in table.column_names:
        key = header_key(name)
        column = headers.meaning.get(key)
        if column is None:
            renamed[name] = name
            continue
        if column in source:
            raise InputError(f"{path.name}: columns {source[column]!r} and {name!r} both mean {column}; keep one")
        source[column] = name
        renamed[name] = column
        if key in headers.non_blank_means_yes:
            yes_if_present.add(column)
    for column, column_spec in spec.columns.items():
        if column_spec.required and column not in source:
            raise InputError(f"{path.name}: required column {column!r} missing (also accepted: "
                             f"{', '.join(headers.names[column])}); columns found: {', '.join(table.column_names)}")
    return table.rename_columns([renamed[n] for n in table.column_names]), yes_if_present


# --------------------------------------------------------------------------- decoding cells

@dataclass
class _Decoded:
    """A decoded column: values (numpy, pandas extension or arrow string), blank and bad masks."""

    values: Any
    blank: np.ndarray
    bad: np.ndarray
    reason: str | None = None


def _mask(array: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _as_text(raw: pa.ChunkedArray) -> pa.ChunkedArray:
    """Cells as large_string, the storage of pandas' "string" dtype (so the final wrap copies nothing)."""
    return raw if raw.type == pa.large_string() else pc.cast(raw, pa.large_string())


def _factorize(raw: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Codes into the distinct values (-1 = null) and the distinct values, to decode each once.

    A dictionary column (Parquet keeps low-cardinality text so) is that already: its
    dictionary, unified over the chunks, is used as it is (an entry listed twice or used by
    no row is decoded too, harmlessly). Other columns are combined first: unifying
    per-chunk dictionaries of a column with millions of distinct values is far slower than
    one encoding pass.
    """
    if pa.types.is_dictionary(raw.type):
        unified = raw.unify_dictionaries()
        if unified.num_chunks == 0:
            return np.zeros(0, np.int64), pa.array([], raw.type.value_type)
        indices = pa.chunked_array([chunk.indices for chunk in unified.chunks], raw.type.index_type)
        codes = pc.fill_null(indices, -1).to_numpy().astype(np.int64, copy=False)
        return codes, unified.chunk(0).dictionary
    encoded = pc.dictionary_encode(raw.combine_chunks())
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    return codes, encoded.dictionary


def _per_row(per_value: Any, codes: np.ndarray, null_value: Any, dtype: Any) -> np.ndarray:
    """Spread one result per distinct value to every row (code -1, a null cell, gets ``null_value``)."""
    lookup = np.empty(len(per_value) + 1, dtype=dtype)
    lookup[:-1] = per_value
    lookup[-1] = null_value
    return lookup[codes]


def _may_need_trimming(text: pa.ChunkedArray) -> bool:
    """Whether some value of a large_string column may start or end with whitespace.

    Looks at the first and last byte of every value, straight from the arrow buffers:
    ASCII whitespace is ≤ 0x20 and every other Unicode space is encoded with bytes ≥ 0x80,
    so a column whose values all start and end with visible ASCII (ids, codes) needs no
    trimming pass. True is only "maybe" (``"Sở Nội vụ"`` ends with a non-ASCII byte).

    >>> _may_need_trimming(pa.chunked_array([["S99.01", "A-1"]], pa.large_string()))
    False
    """
    for chunk in text.chunks:
        data = chunk.buffers()[2]
        if len(chunk) == 0 or data is None:  # no value has a byte
            continue
        offsets = np.frombuffer(chunk.buffers()[1], np.int64)[chunk.offset:chunk.offset + len(chunk) + 1]
        starts, ends = offsets[:-1], offsets[1:]
        filled = ends > starts
        edges = np.concatenate([np.frombuffer(data, np.uint8)[starts[filled]],
                                np.frombuffer(data, np.uint8)[ends[filled] - 1]])
        if ((edges <= 0x20) | (edges >= 0x80)).any():
            return True
    return False


def _decode_text(raw: pa.ChunkedArray, contract: Contract) -> _Decoded:
    if pa.types.is_dictionary(raw.type):  # decode the distinct values once, then spread them
        codes, distinct = _factorize(raw)
        per_value = _decode_text(pa.chunked_array([distinct]), contract)
        where = pa.array(codes, mask=codes < 0)  # a masked (null) position takes null
        values = pa.chunked_array([pc.take(per_value.values.combine_chunks(), where)])
        return _Decoded(values, _per_row(per_value.blank, codes, True, bool), np.zeros(len(codes), bool))
    text = _as_text(raw)
    if _may_need_trimming(text):
        text = pc.utf8_trim_whitespace(text)
    # null is in the value set and matched (skip_nulls=False): one pass finds every blank
    blank_values = pa.array([*contract.blank_values, None], pa.large_string())
    blank = _mask(pc.is_in(text, value_set=blank_values, skip_nulls=False))
    if blank.sum() > text.null_count:  # some blanks are text ("", "NULL"): make them null
        text = pc.if_else(pa.array(blank), pa.scalar(None, pa.large_string()), text)
    return _Decoded(text, blank, np.zeros(len(blank), bool))


def _decode_enum(raw: pa.ChunkedArray, spec: ColumnSpec, contract: Contract) -> _Decoded:
    codes, distinct = _factorize(raw)
    lookup = spec.enum_lookup()
    originals = distinct.to_pylist()
    decoded, blank, bad = [], [], []
    for value in originals:
        token = _token(value)
        is_blank = token is None or token in contract.blank_values
        result = spec.default if is_blank else lookup.get(_enum_key(token))
        decoded.append(result)
        blank.append(is_blank)
        bad.append(not is_blank and result is None)
    blank_rows = _per_row(blank, codes, True, bool)
    bad_rows = _per_row(bad, codes, False, bool)
    reason = reasons.UNKNOWN_VALUE
    if spec.dtype == "Int8":
        numbers = _per_row([0 if v is None else v for v in decoded], codes, 0, np.int8)
        missing = _per_row([v is None for v in decoded], codes, spec.default is None, bool)
        return _Decoded(pd.arrays.IntegerArray(numbers, missing), blank_rows, bad_rows, reason)
    is_text = pa.types.is_string(raw.type) or pa.types.is_large_string(raw.type)
    if is_text and decoded == originals and (spec.default is None or (codes >= 0).all()):
        values = _as_text(raw)  # already in the contract's spelling: no need to rebuild millions of strings
    else:
        spelled = pa.array(decoded + [spec.default], pa.large_string())  # the extra entry is for null cells
        values = pa.chunked_array([pc.take(spelled, pa.array(np.where(codes < 0, len(decoded), codes)))])
    return _Decoded(values, blank_rows, bad_rows, reason)


def _decode_bool(raw: pa.ChunkedArray, spec: ColumnSpec, contract: Contract, non_blank_means_yes: bool) -> _Decoded:
    if pa.types.is_boolean(raw.type):
        blank = _mask(pc.is_null(raw))
        return _Decoded(_mask(raw), blank, np.zeros(len(blank), bool), reasons.NOT_YES_NO)
    codes, distinct = _factorize(raw)
    yes = contract.true_words | set(spec.extra_true)
    decoded, blank, bad = [], [], []
    for value in distinct.to_pylist():
        token = _token(value)
        is_blank = token is None or token in contract.blank_values
        key = None if is_blank else _yes_no_key(token)
        decoded.append(not is_blank if non_blank_means_yes else key in yes)
        blank.append(is_blank)
        bad.append(not is_blank and not non_blank_means_yes and key not in yes and key not in contract.false_words)
    return _Decoded(_per_row(decoded, codes, False, bool), _per_row(blank, codes, True, bool),
                    _per_row(bad, codes, False, bool), reasons.NOT_YES_NO)


def _decode_number(raw: pa.ChunkedArray, contract: Contract) -> _Decoded:
    if pa.types.is_integer(raw.type) or pa.types.is_floating(raw.type) or pa.types.is_decimal(raw.type):
        values = pc.cast(raw, pa.float64()).to_numpy()
        blank = np.isnan(values)
        return _Decoded(values, blank, np.isinf(values), reasons.NOT_A_NUMBER)
    codes, distinct = _factorize(raw)
    texts = pd.Series([_token(v) for v in distinct.to_pylist()], dtype=object)
    blank = texts.isna() | texts.isin(contract.blank_values)
    numbers = pd.to_numeric(texts.where(~blank), errors="coerce").astype(float)
    bad = ~blank & ~np.isfinite(numbers)  # unreadable, or infinite ("1e400", "inf")
    return _Decoded(_per_row(numbers.to_numpy(), codes, np.nan, float), _per_row(blank.to_numpy(), codes, True, bool),
                    _per_row(bad.to_numpy(), codes, False, bool), reasons.NOT_A_NUMBER)


def _to_ns(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """datetime64 of any unit -> datetime64[ns]; values outside its range (year 1677-2262) are NaT and flagged."""
    out_of_range = np.zeros(len(values), bool)
    if values.dtype != np.dtype(NS):
        out_of_range = ~np.isnat(values) & ((values < _NS_FIRST_DAY) | (values > _NS_LAST_DAY))
        values = np.where(out_of_range, np.datetime64("NaT"), values).astype(NS)
    return values, out_of_range


def _parse_dates(texts: pa.Array, contract: Contract) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse (distinct) date texts column-wide: rewrite into ISO order, then one strict ISO 8601 pass.

    >>> _parse_dates(pa.array(["03/04/2026 14:05", "2026-04-03", "", "31/02/2026"]), contract)  # doctest: +SKIP
    (['2026-04-03T14:05', '2026-04-03T00:00', 'NaT', 'NaT'], [F, F, T, F], [F, F, F, T])
    """
    texts = pc.utf8_trim_whitespace(pc.cast(texts, pa.large_string()))
    blank = _mask(pc.is_in(texts, value_set=pa.array([*contract.blank_values, None], pa.large_string()),
                           skip_nulls=False))
    for pattern, iso in contract.date_rewrites:
        texts = pc.replace_substring_regex(texts, pattern=pattern, replacement=iso)
    series = pd.Series(pd.arrays.ArrowStringArray(texts))
    parsed = np.full(len(texts), np.datetime64("NaT"), dtype=NS)
    out_of_range = np.zeros(len(texts), bool)
    offset = _mask(pc.match_substring_regex(texts, _UTC_OFFSET)) & ~blank
    local = ~offset & ~blank
    for selected, utc in ((offset, True), (local, False)):
        if selected.any():
            values = pd.to_datetime(series[selected], format="ISO8601", utc=utc, errors="coerce")
            if utc:
                values = values.dt.tz_convert(contract.timezone).dt.tz_localize(None)
            parsed[selected], out_of_range[selected] = _to_ns(values.to_numpy())
    return parsed, blank, ~blank & np.isnat(parsed) | out_of_range


def _decode_date(raw: pa.ChunkedArray, contract: Contract) -> _Decoded:
    if pa.types.is_date(raw.type):
        raw = pc.cast(raw, pa.timestamp("s"))
    if pa.types.is_timestamp(raw.type):
        series = raw.to_pandas()
        if series.dt.tz is not None:
            series = series.dt.tz_convert(contract.timezone).dt.tz_localize(None)
        values, out_of_range = _to_ns(series.to_numpy())
        return _Decoded(values, np.isnat(values) & ~out_of_range, out_of_range, reasons.UNPARSEABLE_DATE)
    codes, distinct = _factorize(raw)
    values, blank, bad = _parse_dates(distinct, contract)
    return _Decoded(_per_row(values, codes, np.datetime64("NaT"), NS), _per_row(blank, codes, True, bool),
                    _per_row(bad, codes, False, bool), reasons.UNPARSEABLE_DATE)


def _decode(raw: pa.ChunkedArray, spec: ColumnSpec, contract: Contract, non_blank_means_yes: bool) -> _Decoded:
    if pa.types.is_null(raw.type):  # a Parquet column with no value at all
        raw = pc.cast(raw, pa.large_string())
    if spec.type in ("code", "text"):
        return _decode_text(raw, contract)
    if spec.type == "enum":
        return _decode_enum(raw, spec, contract)
    if spec.type == "bool":
        return _decode_bool(raw, spec, contract, non_blank_means_yes)
    if spec.type == "number":
        return _decode_number(raw, contract)
    return _decode_date(raw, contract)


# --------------------------------------------------------------------------- rows of one table

class _Rows:
    """One input table while it is checked: decoded contract columns and the rows set aside so far."""

    def __init__(self, spec: TableSpec, path: Path, raw: pa.Table, row_numbers: np.ndarray | None,
                 yes_if_present: set[str], contract: Contract, payload: SyncTable | None = None):
        self.spec, self.path, self.raw, self.row_numbers = spec, path, raw, row_numbers
        self.n = raw.num_rows
        self.flagged = np.zeros(self.n, bool)
        self._records: list[pd.DataFrame] = []
        self.decoded: dict[str, _Decoded] = {}
        # rows read from sync payloads: each names its own file; some are known to be set aside
        self.name = ", ".join(payload.files) if payload else path.name
        self.row_files = payload.row_files if payload else None
        self.replaced = payload.replaced if payload else np.zeros(self.n, bool)
        for mask, column, reason, detail in payload.set_aside if payload else ():
            self.set_aside(mask, column, reason, detail)
        for name, column in spec.columns.items():
            if name not in raw.column_names:
                continue
            decoded = _decode(raw.column(name), column, contract, name in yes_if_present)
            self.decoded[name] = decoded
            self.set_aside(decoded.bad, name, decoded.reason)
            if column.required:
                self.set_aside(decoded.blank, name, reasons.BLANK_REQUIRED)
            if column.non_negative:
                self.set_aside(np.asarray(decoded.values < 0, dtype=bool), name, reasons.NEGATIVE_AMOUNT)

    def set_aside(self, rows: np.ndarray, column: str, reason: str | None, detail: str | None = None) -> None:
        """Set these rows aside for ``reason`` (a code of :mod:`chiso.reasons`, with its ``detail``)
        unless an earlier check already did (first failure wins)."""
        new = rows & ~self.flagged
        if not new.any():
            return
        if reason not in reasons.TEXTS:  # every reason is a code with its texts, so reports can say it
            raise ChisoError(f"{self.name}: internal error: reason {reason!r} is not in chiso.reasons")
        where = np.flatnonzero(new)
        shown = pc.cast(self.raw.column(column).take(pa.array(where)), pa.string())
        self._records.append(pd.DataFrame({
            "file": self.path.name if self.row_files is None else self.row_files[where],
            "row": where + 1 if self.row_numbers is None else self.row_numbers[where], "column": column,
            "value": pd.arrays.ArrowStringArray(pc.fill_null(shown, "")), "reason": reason,
            "detail": pd.array([detail] * len(where), dtype="string"),
        }))
        self.flagged |= new

    def key_values(self, column: str) -> pa.ChunkedArray:
        return self.decoded[column].values

    def records(self) -> pd.DataFrame:
        if not self._records:
            return pd.DataFrame(columns=SET_ASIDE_COLUMNS[1:])
        return pd.concat(self._records, ignore_index=True).sort_values("row", kind="stable", ignore_index=True)

    def frame(self) -> pd.DataFrame:
        """Accepted rows: contract columns (in contract order, typed) then the file's other columns."""
        accepted = self.n - int(self.flagged.sum())
        keep = None if accepted == self.n else ~self.flagged  # None: every row, nothing to copy
        arrow_keep = None if keep is None else pa.array(keep)

        def accepted_rows(values: Any) -> Any:
            if keep is None:
                return values
            return values.filter(arrow_keep) if isinstance(values, pa.ChunkedArray) else values[keep]

        data: dict[str, Any] = {}
        for name, spec in self.spec.columns.items():
            decoded = self.decoded.get(name)
            if decoded is None:
                if spec.default is not None:
                    data[name] = pd.array([spec.default] * accepted, dtype="string")
                continue
            # A present column is data even when blank in every row (docs/methodology.md §5 R3): a yes/no
            # column then says "no" for every row, a date column "not happened". Only a
            # column absent from the file is "no data".
            values = accepted_rows(decoded.values)
            data[name] = pd.arrays.ArrowStringArray(values) if isinstance(values, pa.ChunkedArray) else values
        strings = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow")}
        for name in self.raw.column_names:
            if name not in self.spec.columns:
                data[name] = accepted_rows(self.raw.column(name)).to_pandas(types_mapper=strings.get)
        return pd.DataFrame(data, index=pd.RangeIndex(accepted))


_PANDAS_DTYPES = {"code": "string", "text": "string", "enum": "string", "bool": "bool",
                  "date": "datetime64[ns]", "number": "float64"}


def accepted_schema(spec: TableSpec) -> pandera.DataFrameSchema:
    """The pandera schema every accepted table satisfies: the in-memory contract.

    Required columns are present and never null; each contract column has its dtype
    (``string``, ``bool``, ``datetime64[ns]``, ``float64``, or the column's own ``dtype``
    such as KenhNop's ``Int8``); enumerations hold only their allowed values. Optional
    columns may be absent; columns outside the contract pass through (``strict=False``).

    >>> accepted_schema(load_contract().tables["donvi"]).columns["Cap"].nullable
    False
    """
    columns = {}
    for name, column in spec.columns.items():
        dtype = column.dtype if column.dtype != "string" else _PANDAS_DTYPES[column.type]
        checks = [pandera.Check.isin(list(column.values))] if column.type == "enum" and column.values else []
        columns[name] = pandera.Column(dtype, checks=checks, nullable=not column.required,
                                       required=column.required or column.default is not None)
    return pandera.DataFrameSchema(columns, strict=False, name=spec.name)


def _positions(values: pa.ChunkedArray, target: _Rows, key: str) -> np.ndarray:
    """Row of ``target`` whose key each value names (the first such row), -1 when none."""
    keys = target.key_values(key).combine_chunks()
    found = pc.index_in(values, value_set=keys, skip_nulls=True)
    return pc.fill_null(found, -1).to_numpy().astype(np.int64, copy=False)


def _set_aside_unreferenced(rows: _Rows, column: str, positions: np.ndarray, target: _Rows) -> None:
    rows.set_aside(~rows.decoded[column].blank & (positions < 0), column, reasons.UNKNOWN_REFERENCE[target.spec.name])
    known = positions >= 0
    target_set_aside = np.zeros(rows.n, bool)
    target_set_aside[known] = target.flagged[positions[known]]
    rows.set_aside(target_set_aside, column, reasons.REFERENCE_SET_ASIDE[target.spec.name])


def _set_aside_duplicates(rows: _Rows) -> None:
    """Copies of one id: all set aside when they differ; identical copies keep the first."""
    key = rows.spec.key
    codes, distinct = _factorize(rows.key_values(key))
    present = (codes >= 0) & ~rows.replaced  # an older version of a synced dossier is not a copy
    if len(distinct) == present.sum():
        return  # every id once: the usual case
    counts = np.bincount(codes[present], minlength=len(distinct))
    where = np.flatnonzero(present & (counts[np.maximum(codes, 0)] > 1))
    copies = rows.raw.take(pa.array(where)).to_pandas(types_mapper=pd.ArrowDtype)
    copies.index = codes[where]  # the id, as a number
    later_copy = copies.duplicated(keep="first").to_numpy()
    versions = copies[~later_copy].index.value_counts()
    conflicting = versions.reindex(copies.index).to_numpy() > 1
    for selected, reason in ((conflicting, reasons.DUPLICATE_KEY), (later_copy & ~conflicting, reasons.IDENTICAL_COPY)):
        mask = np.zeros(rows.n, bool)
        mask[where[selected]] = True
        rows.set_aside(mask, key, reason)


# Names Windows reserves for devices, whatever the extension ("CON.01.html" too).
_RESERVED_FILE_NAMES = frozenset(["CON", "PRN", "AUX", "NUL", *(f"{d}{i}" for d in ("COM", "LPT") for i in range(10))])
_NOT_IN_FILE_NAMES = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def _set_aside_unusable_unit_codes(donvi: _Rows) -> None:
    """Unit codes that cannot name a report file on every system (reports are ``<code>.html``):
    a Windows device name (``CON``, ``NUL``, ``COM1``...), a character not allowed in file
    names, a code longer than :data:`chiso.paths.MAX_CODE_CHARACTERS`, or a code that differs from another unit's only by case (``t00.01`` beside
    ``T00.01``: one file on Windows and macOS; both rows are set aside, which is right is unknown).
    """
    codes = donvi.key_values("MaDonVi").to_pylist()
    unusable: dict[int, tuple[str, str | None]] = {}  # position -> (reason, detail)
    for i, code in enumerate(codes):
        if code is None:
            continue
        bad_character = _NOT_IN_FILE_NAMES.search(code)
        if len(code) > MAX_CODE_CHARACTERS:
            unusable[i] = reasons.UNIT_CODE_TOO_LONG, str(len(code))
        elif bad_character:
            unusable[i] = reasons.UNIT_CODE_BAD_CHARACTER, repr(bad_character.group(0))
        elif code.split(".")[0].strip().upper() in _RESERVED_FILE_NAMES or code.strip(".") == "":
            unusable[i] = reasons.UNIT_CODE_RESERVED, None
    spellings: dict[str, list[int]] = {}
    for i, code in enumerate(codes):
        if code is not None and not donvi.flagged[i] and i not in unusable:
            spellings.setdefault(code.casefold(), []).append(i)
    for same in spellings.values():
        if len({codes[i] for i in same}) > 1:
            for i in same:
                other = next(j for j in same if codes[j] != codes[i])
                unusable[i] = reasons.UNIT_CODE_CASE_CLASH, codes[other]
    for i, (reason, detail) in unusable.items():
        mask = np.zeros(donvi.n, bool)
        mask[i] = True
        donvi.set_aside(mask, "MaDonVi", reason, detail)


def _day_or_instant(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both as comparable datetime64[ns]: where either is a bare date (exactly midnight), both are
    compared by their day (a date means the whole day)."""
    day = lambda v: v.astype("datetime64[D]").astype(NS)  # noqa: E731
    bare = (first == day(first)) | (second == day(second))
    return np.where(bare, day(first), first), np.where(bare, day(second), second)


def _set_aside_before(rows: _Rows, later: str, earlier: np.ndarray, reason: str) -> None:
    """Rows whose date ``later`` is before ``earlier`` (both known; bare dates compare by day)."""
    values = rows.decoded[later].values
    known = ~np.isnat(values) & ~np.isnat(earlier)
    a, b = _day_or_instant(values[known], earlier[known])
    mask = np.zeros(rows.n, bool)
    mask[known] = a < b
    rows.set_aside(mask, later, reason)


def _set_aside_events_before_reception(hoso: _Rows, events: _Rows, positions: np.ndarray) -> None:
    """Events dated before their dossier's reception (NgayTiepNhan) — docs/methodology.md §5 R5 and R11.

    They do not count as supplement requests or as the end, so they are kept out of the
    timeline and listed. The reception itself and a withdrawal are kept: a withdrawal before
    acceptance removes the dossier (it was never received).
    """
    usable = ~events.flagged & (positions >= 0)
    reception = np.full(events.n, np.datetime64("NaT"), dtype=NS)
    reception[usable] = hoso.decoded["NgayTiepNhan"].values[positions[usable]]
    exempt = _mask(pc.is_in(events.decoded["SuKien"].values,
                            value_set=pa.array([EVENTS.reception, EVENTS.withdrawal], pa.large_string())))
    reception[exempt] = np.datetime64("NaT")
    _set_aside_before(events, "ThoiDiem", reception, reasons.EVENT_BEFORE_RECEPTION)


def _set_aside_repeated_events(events: _Rows, positions: np.ndarray) -> None:
    """Rows repeating an earlier row's dossier, event kind and instant count once (docs/methodology.md §5 R5)."""
    usable = ~events.flagged & (positions >= 0)
    kinds = pc.index_in(events.decoded["SuKien"].values, value_set=pa.array(EVENTS.kinds, pa.large_string()))
    key = pd.DataFrame({"dossier": positions, "kind": pc.fill_null(kinds, -1).to_numpy(),
                        "time": events.decoded["ThoiDiem"].values.view(np.int64)})[usable]
    repeated = np.zeros(events.n, bool)
    repeated[np.flatnonzero(usable)[key.duplicated().to_numpy()]] = True
    events.set_aside(repeated, "SuKien", reasons.REPEATED_EVENT)


def _set_aside_orphan_units(donvi: _Rows, contract: Contract) -> None:
    """Units whose parent is unknown (docs/methodology.md §5 R11): they would drop out of every parent total.

    A province (Cap TINH) may name a parent outside the export, or none. Any other unit must
    name a unit of the export when the export has a province, and that unit must not be set
    aside itself (so a whole branch under an unknown unit is set aside, each row named).
    """
    if "MaDonViCha" not in donvi.decoded:
        return
    level = donvi.decoded["Cap"].values
    province = _mask(pc.equal(level, pa.scalar("TINH", level.type)))
    parent = donvi.decoded["MaDonViCha"]
    position = _positions(parent.values, donvi, "MaDonVi")
    has_province = bool((province & ~donvi.flagged).any())
    unknown = ~province & ((~parent.blank & (position < 0)) | (parent.blank & has_province))
    donvi.set_aside(unknown, "MaDonViCha", reasons.UNKNOWN_PARENT)
    while True:  # a unit under a unit set aside: a branch goes with its root
        known = position >= 0
        under = np.zeros(donvi.n, bool)
        under[known] = donvi.flagged[position[known]]
        if not (under & ~donvi.flagged).any():
            return
        donvi.set_aside(under, "MaDonViCha", reasons.PARENT_SET_ASIDE)


def _export_limit(export_date: pd.Timestamp | None, contract: Contract) -> tuple[np.datetime64, str]:
    """Latest plausible date of a past fact: the end of the export day, else now (local time)."""
    if export_date is not None:
        return (export_date.normalize() + pd.Timedelta(days=1, microseconds=-1)).to_datetime64(), reasons.AFTER_EXPORT
    return pd.Timestamp.now(tz=contract.timezone).tz_localize(None).to_datetime64(), reasons.IN_THE_FUTURE


def _set_aside_after(rows: _Rows, limit: np.datetime64, reason: str) -> None:
    """Dates of past facts (contract ``past: true``) after ``limit`` (docs/methodology.md §5 R11: dated in 2099...)."""
    for name, column in rows.spec.columns.items():
        if column.past and name in rows.decoded:
            values = rows.decoded[name].values
            rows.set_aside(~np.isnat(values) & (values > limit), name, reason)


def _export_date(folder: Path, hoso: _Rows | None, given) -> tuple[pd.Timestamp | None, str | None]:
    """The date the export was made (docs/methodology.md §5 R9): given on the command line, else the
    ``export_date`` of ``_metadata.json``, else the latest hoso.NgayXuat."""
    if given is not None:
        try:
            return pd.Timestamp(given), "command line"
        except (TypeError, ValueError):
            raise InputError(f"export date {given!r} is not a date (expected YYYY-MM-DD)") from None
    meta = folder / METADATA_FILE
    if meta.is_file():
        try:
            value = json.loads(meta.read_text(encoding="utf-8")).get("export_date")
            if value:
                return pd.Timestamp(value), METADATA_FILE
        except (UnicodeDecodeError, json.JSONDecodeError, AttributeError, TypeError, ValueError) as exc:
            raise InputError(f"{METADATA_FILE}: export_date not readable ({exc}; expected "
                             '{"export_date": "YYYY-MM-DD"})') from None
    if hoso is not None and "NgayXuat" in hoso.decoded:
        values = hoso.decoded["NgayXuat"].values
        if (~np.isnat(values)).any():
            return pd.Timestamp(values[~np.isnat(values)].max()), "hoso.NgayXuat"
    return None, None


# --------------------------------------------------------------------------- the result

@dataclass(repr=False)
class DossierData:
    """A checked data folder: one DataFrame per contract table plus what was set aside and why."""

    donvi: pd.DataFrame
    tthc: pd.DataFrame
    hoso: pd.DataFrame
    hoso_su_kien: pd.DataFrame
    tthc_donvi: pd.DataFrame | None
    pakn: pd.DataFrame | None
    congbo: pd.DataFrame | None
    units: pd.DataFrame
    quality: pd.DataFrame
    set_aside: pd.DataFrame
    files: dict[str, Path]
    fingerprint: str
    is_sample: bool
    meta: dict = field(default_factory=dict)
    export_date: pd.Timestamp | None = None   # when the export was made (docs/methodology.md §5 R9)
    export_date_source: str | None = None     # "command line", "_metadata.json" or "hoso.NgayXuat"

    def __repr__(self) -> str:
        counts = ", ".join(f"{t}={len(getattr(self, t))}" for t in self.files)
        return f"DossierData({counts}; set aside {len(self.set_aside)}{'; sample' if self.is_sample else ''})"


def quality_by_reason(data: DossierData) -> pd.DataFrame:
    """Rows set aside per table, column and reason (a code of :mod:`chiso.reasons`; tables in
    contract order, most frequent reason first). The rows' details are in ``data.set_aside``.

    >>> quality_by_reason(data)  # doctest: +SKIP
              table        column            reason  rows
    0          hoso  NgayTiepNhan  unparseable_date     3
    """
    if data.set_aside.empty:
        return pd.DataFrame({"table": pd.Series(dtype="string"), "column": pd.Series(dtype="string"),
                             "reason": pd.Series(dtype="string"), "rows": pd.Series(dtype="int64")})
    order = {table: i for i, table in enumerate(data.files)}
    counts = data.set_aside.groupby(["table", "column", "reason"], observed=True).size().rename("rows").reset_index()
    counts["_order"] = counts["table"].map(order)
    return (counts.sort_values(["_order", "rows"], ascending=[True, False], kind="stable")
            .drop(columns="_order").reset_index(drop=True))


def _units(donvi: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    parent = donvi["MaDonViCha"] if "MaDonViCha" in donvi else pd.Series(pd.NA, index=donvi.index, dtype="string")
    return pd.DataFrame({
        "unit": donvi["MaDonVi"],
        "name": donvi["TenDonVi"],
        "level": donvi["Cap"].map(contract.unit_levels).astype("string"),
        "parent": parent,
    })


def _fingerprint(files: list[Path], marker: Path) -> str:
    """sha256 over each input file's name and bytes (tables in contract order, then sync payloads),
    then the sample marker."""
    digest = hashlib.sha256()
    extra = [p for p in (marker, marker.with_name(METADATA_FILE)) if p.is_file()]
    for path in dict.fromkeys([*files, *extra]):
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _sample_meta(marker: Path) -> dict:
    if not marker.is_file():
        return {}
    try:
        return json.loads(marker.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{marker.name}: not valid JSON ({exc}; expected the sample generator's marker)") from None


def _beside_table(payload: SyncTable, raw: pa.Table, row_numbers: np.ndarray | None, path: Path,
                  yes_if_present: set[str], synced: SyncTables, contract: Contract) -> SyncTable:
    """A table file and sync payloads for the same table, one under the other: allowed only
    when no dossier is in both (which of two versions is right is unknown)."""
    in_payloads = pa.concat_arrays([synced.hoso.raw.column("MaHoSo").combine_chunks().cast(pa.large_string()),
                                    synced.hoso_su_kien.raw.column("MaHoSo").combine_chunks().cast(pa.large_string())])
    if "MaHoSo" in raw.column_names:
        codes = pc.utf8_trim_whitespace(pc.cast(raw.column("MaHoSo"), pa.large_string()))
        both = pc.filter(codes, pc.is_in(codes, value_set=in_payloads))
        if len(both):
            raise InputError(f"{path.name} and the sync payloads ({', '.join(p.name for p in synced.paths)}) both "
                             f"hold dossier {both[0].as_py()!r}: a folder may mix tables and payloads only if no "
                             f"dossier is in both; keep one")
    sync_raw = payload.raw
    for column in yes_if_present & set(sync_raw.column_names):  # "non-blank = yes" in the table: no = blank
        values = sync_raw.column(column)
        if pa.types.is_boolean(values.type):
            sync_raw = sync_raw.set_column(sync_raw.column_names.index(column), column,
                                           pc.if_else(values, pa.scalar("1"), pa.scalar(None, pa.string())))
    for column in set(raw.column_names) & set(sync_raw.column_names):
        # dates the payloads give as timestamps: the table's too when all of them parse (else
        # both stay text, parsed by the loader, which names the bad ones)
        if pa.types.is_timestamp(sync_raw.column(column).type) and not pa.types.is_timestamp(raw.column(column).type):
            parsed, _, bad = _parse_dates(pc.cast(raw.column(column), pa.large_string()).combine_chunks(), contract)
            if not bad.any():
                raw = raw.set_column(raw.column_names.index(column), column,
                                     pa.array(parsed, pa.timestamp("ns"), from_pandas=True))
                sync_raw = sync_raw.set_column(sync_raw.column_names.index(column), column,
                                               pc.cast(sync_raw.column(column), pa.timestamp("ns")))
    before = np.zeros(raw.num_rows, bool)
    numbers = np.arange(1, raw.num_rows + 1) if row_numbers is None else row_numbers
    return SyncTable(stack_tables([raw, sync_raw]), np.concatenate([np.full(raw.num_rows, path.name, object), payload.row_files]),
                     np.concatenate([numbers, payload.row_numbers]),
                     [(np.concatenate([before, mask]), *why) for mask, *why in payload.set_aside],
                     np.concatenate([before, payload.replaced]))


def load_dossiers(folder: str | Path, *, column_names: str | Path | None = None,
                  export_date=None) -> DossierData:
    """Load and check a data folder in the chiso data contract (rules in the module docstring).

    ``column_names``: a header-alias file (same layout as ``params/columns.yaml``) whose
    names are accepted in addition to those of ``params/columns.yaml``. ``export_date``:
    when the export was made, if not recorded in the folder (docs/methodology.md §5 R9, see :func:`_export_date`).

    >>> data = load_dossiers("data/sample")  # doctest: +SKIP
    >>> data.quality  # doctest: +SKIP
              table          file  rows_read  accepted  set_aside
    0         donvi     donvi.csv        164       164          0
    """
    folder = Path(folder)
    contract = load_contract()
    headers = load_column_names(contract, column_names)
    if not folder.is_dir():
        raise InputError(f"{folder}: data folder not found")
    payloads = find_payloads(folder)
    files = _find_files(folder, contract, SYNC_TABLES if payloads else ())
    checked: dict[str, _Rows] = {}
    synced: SyncTables | None = None
    exported, exported_from = _export_date(folder, None, export_date)
    for table, spec in contract.tables.items():
        path, payload = files.get(table), None
        if table in SYNC_TABLES and payloads:
            if synced is None:
                synced = read_payloads(payloads, checked["donvi"].frame(), checked["tthc"].frame()["MaTTHC"],
                                       lambda texts: _parse_dates(texts, contract)[0])
            payload = getattr(synced, table)
        if path is None and payload is None:
            continue
        if path is None:
            path, raw, row_numbers, yes_if_present = payloads[0], payload.raw, payload.row_numbers, set()
        else:
            raw, row_numbers = _read_table_file(path)
            raw, yes_if_present = _canonical_headers(raw, spec, headers[table], path)
            if payload is not None:
                payload = _beside_table(payload, raw, row_numbers, path, yes_if_present, synced, contract)
                raw, row_numbers = payload.raw, payload.row_numbers
        files[table] = path
        rows = checked[table] = _Rows(spec, path, raw, row_numbers, yes_if_present, contract, payload)
        _check_not_empty(rows, checked)
        if table == "hoso" and exported is None:
            exported, exported_from = _export_date(folder, rows, None)
        _set_aside_after(rows, *_export_limit(exported, contract))
        if table == "hoso" and "NgayHenTra" in rows.decoded:
            _set_aside_before(rows, "NgayHenTra", rows.decoded["NgayTiepNhan"].values, reasons.DUE_BEFORE_RECEPTION)
        if table == "pakn" and "NgayXuLyXong" in rows.decoded:
            _set_aside_before(rows, "NgayXuLyXong", rows.decoded["NgayTiepNhan"].values, reasons.HANDLED_BEFORE_RECEIVED)
        positions = {column: _positions(rows.key_values(column), checked[target], contract.tables[target].key)
                     for column, target in spec.references.items()}
        for column, target in spec.references.items():
            _set_aside_unreferenced(rows, column, positions[column], checked[target])
        if spec.key:
            _set_aside_duplicates(rows)
        if table == "donvi":
            _set_aside_unusable_unit_codes(rows)
            _set_aside_orphan_units(rows, contract)
        if table == "hoso_su_kien":
            _set_aside_events_before_reception(checked["hoso"], rows, positions["MaHoSo"])
            _set_aside_repeated_events(rows, positions["MaHoSo"])

    frames: dict[str, pd.DataFrame] = {}
    quality, set_aside = [], []
    for table, rows in checked.items():
        frames[table] = rows.frame()
        try:  # what every indicator relies on; a failure here is a chiso bug, not bad input
            accepted_schema(rows.spec).validate(frames[table], lazy=True)
        except pandera.errors.SchemaErrors as exc:
            raise ChisoError(f"{rows.name}: internal error: accepted rows break the contract: "
                             f"{exc.failure_cases.head(3).to_dict('records')}") from exc
        records = rows.records()
        if rows.n != len(frames[table]) + len(records):
            raise ChisoError(f"{rows.name}: internal error: {rows.n} rows read but "
                             f"{len(frames[table])} accepted + {len(records)} set aside")
        quality.append((table, rows.name, rows.n, len(frames[table]), len(records)))
        records.insert(0, "table", table)
        set_aside.append(records)
    if frames["donvi"].empty:  # every report is about a unit: nothing to do, and say why
        donvi = checked["donvi"]
        first = donvi.records().iloc[0] if donvi.n else None
        why = ("a header but no rows" if first is None else
               f"all {donvi.n} rows set aside, e.g. row {first['row']}: "
               f"{reasons.text(first['reason'], first['column'], first['detail'], language='en')}")
        raise InputError(f"{donvi.path.name}: no units ({why}; expected one row per unit)")
    set_aside_frame = pd.concat(set_aside, ignore_index=True).astype(
        {column: "int64" if column == "row" else "string" for column in SET_ASIDE_COLUMNS})
    marker = folder / SAMPLE_MARKER
    return DossierData(
        donvi=frames["donvi"], tthc=frames["tthc"], hoso=frames["hoso"], hoso_su_kien=frames["hoso_su_kien"],
        tthc_donvi=frames.get("tthc_donvi"), pakn=frames.get("pakn"), congbo=frames.get("congbo"),
        units=_units(frames["donvi"], contract),
        quality=pd.DataFrame(quality, columns=QUALITY_COLUMNS).astype({"table": "string", "file": "string"}),
        set_aside=set_aside_frame[SET_ASIDE_COLUMNS],
        files=dict(files), fingerprint=_fingerprint([*files.values(), *payloads], marker),
        is_sample=marker.is_file(), meta=_sample_meta(marker),
        export_date=exported, export_date_source=exported_from,
    )


def _check_not_empty(rows: _Rows, checked: dict[str, _Rows]) -> None:
    """An events table with no rows while dossiers exist is an error (docs/methodology.md §5 R11), not a report
    of zeros (a units table with no accepted rows is checked after loading)."""
    if rows.spec.name == "hoso_su_kien" and rows.n == 0 and checked["hoso"].n > 0:
        raise InputError(f"{rows.path.name}: no events, but {checked['hoso'].path.name} has {checked['hoso'].n} "
                         "dossiers (expected each dossier's processing events; an export cut short?)")
