"""DVCQG sync payloads as the contract's dossier tables (``hoso``, ``hoso_su_kien``).

Every provincial one-stop system sends each dossier to DVCQG as ``DongBoHoSoMC`` dossier
records and ``CapNhatTienDoHoSoMC`` progress records (spec ``dvcqg-sync.md``). A data folder
may hold those payloads instead of the ``hoso`` and ``hoso_su_kien`` tables; ``donvi`` and
``tthc`` (and the optional tables) stay tables. :func:`read_payloads` turns the payloads
into the two contract tables as raw arrow tables, which :func:`chiso.sources.dossiers.load_dossiers`
then checks row by row exactly like a table file: every rule of the engine applies unchanged.

Files
    Any file of the folder whose name does not start with ``_`` or ``.`` and that is named
    ``.json``/``.jsonl``/``.ndjson`` (optionally ``.gz``), or is gzip (magic bytes), or starts
    with ``{`` or ``[`` (after a BOM and blanks): a JSON document (an envelope
    ``{"service": "DongBoHoSoMC", "data": [...]}``, a bare array of records, or one record) or
    JSON Lines (one record, array or envelope a line). Records are told apart by the
    envelope's ``service``, else by their fields (``ThoiDiemXuLy``/``TrangThai`` = progress,
    ``MaHoSo`` otherwise = dossier). A record's position is its line in a JSON Lines file,
    else its 1-based index in its array; set-aside rows name the file and that position.

Mapping (choices where the sources disagree are settings in ``params/sync.yaml``)
    hoso: MaHoSo; MaTTHC (the catalogue's code, or its national part ``1.001234`` of
    ``1.001234.000.00.00.H44``); MaDonVi (below); KenhNop = KenhThucHien (blank = in person);
    NgayNop = NgayNopHoSo; NgayTiepNhan; NgayHenTra; NgayHenTraMoi = the last supplement's;
    NgayBatDauXuLy and DanhGia when a record carries them; DongBoDVCQG = yes (the record was
    synced); SoHoa, TaiSuDung, KhoDuLieuCaNhan from the ``TaiLieuNop`` flags; DuLieuDanCu from
    TaiKhoanDuocXacThucVoiVNeID / DSKetNoiCSDL; KetQuaDienTu from DanhSachGiayToKetQua;
    PhiLePhi = sum of DanhSachLePhi[].Gia (no list = unknown); ThanhToanTrucTuyen from
    DuocThanhToanTrucTuyen. Personal fields (ChuHoSo, SoGiayToChuHoSo, SoDienThoai, Email,
    MaDoiTuong, DinhDanhCHS...) are never read.
    hoso_su_kien: one event per progress record (ThoiDiemXuLy; the status gives the event,
    a waiting status is ended by the next processing record; MaCanBo = NguoiXuLy, internal;
    BuocXuLy = NoiDungXuLy; HanBuoc = NgayKetThucTheoQuyDinh), plus events from the dossier
    record: its supplement list, and its end from TrangThaiHoSo with NgayKetThucXuLy/NgayTra
    when no progress record gives one. Dates ``yyyyMMddHHmmss`` (local time) or ISO.

Unit of a dossier
    Its ``MaDonVi`` field when present (a donvi.MaDonVi or donvi.MaDinhDanh); else the part
    of MaHoSo before the first ``-`` matched to donvi.MaDinhDanh or donvi.MaDonVi; else
    DonViXuLy matched to donvi.TenDonVi without regard to case, spaces or diacritics (a name
    two units share matches neither). No match: the record is set aside (``unknown_unit``).

Several records of one dossier: the latest wins (``params/sync.yaml``), the others are set
aside as replaced; events from all payloads are merged, identical ones (dossier, time,
status) set aside as copies. Input = accepted + set aside holds as for tables: every
record read is one row of hoso or hoso_su_kien (events derived from a dossier record are
rows too, numbered as that record).

Example
-------
>>> payloads = find_payloads(Path("data/sync"))                  # doctest: +SKIP
>>> tables = read_payloads(payloads, units, procedures)         # doctest: +SKIP
>>> tables.hoso.raw.column_names[:4]                            # doctest: +SKIP
['MaHoSo', 'MaTTHC', 'MaDonVi', 'KenhNop']
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson
import yaml

from chiso import reasons
from chiso.codes import EVENTS
from chiso.errors import ChisoError, InputError
from chiso.formatting import fold_diacritics
from chiso.paths import params_dir

DOSSIER_SERVICE, PROGRESS_SERVICE = "DongBoHoSoMC", "CapNhatTienDoHoSoMC"
SYNC_TABLES = ("hoso", "hoso_su_kien")
GZIP_MAGIC = b"\x1f\x8b"
PAYLOAD_SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz")
_BATCH = 50_000  # records converted to arrow at a time (keeps memory flat)
_NEVER = np.iinfo(np.int64).min
_DOSSIER_DATES = ("NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi",
                  "NgayBatDauXuLy")


# --------------------------------------------------------------------------- settings

@dataclass(frozen=True)
class SyncSettings:
    """``params/sync.yaml``: how payload fields become contract columns (see that file)."""

    status_events: dict[str, str]
    step_event: str
    waits: dict[str, tuple[frozenset[str], str]]
    supplements: str
    dossier_end_events: dict[str, dict[str, tuple[str, ...]]]
    due_date: str
    blank_channel: str
    online_payment: frozenset[str]
    electronic_result: str
    digitised: str
    reused: str
    personal_store: str
    population_databases: frozenset[str]
    unrated: str

    CHOICES = {"supplements": ("list", "progress"), "due_date": ("as_sent", "after_supplement"),
               "electronic_result": ("code_and_link", "link"), "digitised": ("file_attached", "flag"),
               "reused": ("f766", "reuse_flag"), "personal_store": ("store_flag", "store_flag_or_result"),
               "unrated": ("not_unsatisfied", "no_data")}


def load_sync_settings(path: str | Path | None = None) -> SyncSettings:
    """Read ``params/sync.yaml`` and check every choice is one of its allowed values."""
    path = Path(path) if path else params_dir() / "sync.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for name, allowed in SyncSettings.CHOICES.items():
        if doc.get(name) not in allowed:
            raise ChisoError(f"{path}: {name}: {doc.get(name)!r} is not one of {', '.join(allowed)}")
    kinds = [*doc["status_events"].values(), doc["step_event"], *(w["end_event"] for w in doc["waits"].values()),
             *(kind for ends in doc["dossier_end_events"].values() for kind in ends)]
    unknown = sorted(set(kinds) - set(EVENTS.kinds))
    if unknown:
        raise ChisoError(f"{path}: {', '.join(unknown)}: not an event kind (params/contract.yaml events.kinds)")
    return SyncSettings(
        status_events={str(k): v for k, v in doc["status_events"].items()},
        step_event=doc["step_event"],
        waits={str(k): (frozenset(str(s) for s in v["resumed_by"]), v["end_event"]) for k, v in doc["waits"].items()},
        supplements=doc["supplements"],
        dossier_end_events={str(k): {kind: tuple(fields) for kind, fields in v.items()}
                            for k, v in doc["dossier_end_events"].items()},
        due_date=doc["due_date"],
        blank_channel=str(doc["blank_channel"]),
        online_payment=frozenset(str(v) for v in doc["online_payment"]),
        electronic_result=doc["electronic_result"],
        digitised=doc["digitised"],
        reused=doc["reused"],
        personal_store=doc["personal_store"],
        population_databases=frozenset(str(v) for v in doc["population_databases"] or ()),
        unrated=doc["unrated"],
    )


# --------------------------------------------------------------------------- finding and parsing files

def _open(path: Path):
    with path.open("rb") as handle:
        magic = handle.read(2)
    return gzip.open(path, "rb") if magic == GZIP_MAGIC else path.open("rb")


def _is_payload(path: Path) -> bool:
    """JSON by its name or its first character; gzip by its magic bytes (a damaged one is
    still taken, so that reading it says what is wrong instead of skipping it)."""
    if path.name.lower().endswith(PAYLOAD_SUFFIXES):
        return True
    with path.open("rb") as handle:
        start = handle.read(4096)
    if start[:2] == GZIP_MAGIC:
        return True
    return start.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def find_payloads(folder: Path) -> list[Path]:
    """Files of ``folder`` holding sync payloads (module docstring, "Files"), in name order."""
    return [path for path in sorted(folder.iterdir())
            if path.is_file() and not path.name.startswith(("_", ".")) and _is_payload(path)]


@dataclass
class _Batch:
    """Records of one file in reading order: dossier and progress records with their positions."""

    dossiers: list[dict] = field(default_factory=list)
    dossier_positions: list[int] = field(default_factory=list)
    updating: list[Any] = field(default_factory=list)
    progress: list[dict] = field(default_factory=list)
    progress_positions: list[int] = field(default_factory=list)
    bad: list[tuple[int, str, str, str | None]] = field(default_factory=list)  # position, shown value, reason, detail

    def __len__(self) -> int:
        return len(self.dossiers) + len(self.progress) + len(self.bad)

    def add(self, value: Any, position: int, kind: str | None = None, updating: Any = None,
            numbered: bool = True) -> None:
        """One parsed JSON value: a record, an array of them or an envelope. ``numbered``:
        positions are indexes in the array (JSON), not the line (JSON Lines)."""
        if isinstance(value, list):
            for index, item in enumerate(value, start=1):
                self.add(item, index if numbered else position, kind, updating, numbered)
            return
        if isinstance(value, dict) and isinstance(value.get("data"), list):
            service = value.get("service")
            kind = {DOSSIER_SERVICE: "dossier", PROGRESS_SERVICE: "progress"}.get(service, kind)
            self.add(value["data"], position, kind, value.get("isUpdating", updating), numbered)
            return
        if not isinstance(value, dict):
            self.bad.append((position, type(value).__name__, reasons.NOT_A_SYNC_RECORD, None))
            return
        if kind is None:
            if "ThoiDiemXuLy" in value or ("TrangThai" in value and "TrangThaiHoSo" not in value):
                kind = "progress"
            elif "MaHoSo" in value:
                kind = "dossier"
            else:
                self.bad.append((position, ",".join(list(value)[:6]), reasons.NOT_A_SYNC_RECORD, None))
                return
        if kind == "progress":
            self.progress.append(value)
            self.progress_positions.append(position)
        else:
            self.dossiers.append(value)
            self.dossier_positions.append(position)
            self.updating.append(value.get("isUpdating", updating))


def _batches(path: Path) -> Iterator[_Batch]:
    """Parse one payload file into batches of records (JSON Lines streamed, JSON whole)."""
    try:
        with _open(path) as handle:
            first = handle.readline()
            while first and not first.strip():
                first = handle.readline()
            try:
                value = orjson.loads(first.lstrip(b"\xef\xbb\xbf")) if first else None
                json_lines = True
            except orjson.JSONDecodeError:
                json_lines = False
            if not json_lines:  # one JSON document over several lines
                content = first + handle.read()
                try:
                    value = orjson.loads(content.lstrip(b"\xef\xbb\xbf"))
                except orjson.JSONDecodeError as exc:
                    raise InputError(f"{path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}, "
                                     f"byte {exc.pos}: {exc.msg}; expected a DVCQG sync payload or JSON Lines)") from None
                batch = _Batch()
                batch.add(value, 1)
                yield batch
                return
            batch = _Batch()
            if first:
                batch.add(value, 1, numbered=False)
            number = 1
            for line in handle:
                number += 1
                if not line.strip():
                    continue
                try:
                    batch.add(orjson.loads(line), number, numbered=False)
                except orjson.JSONDecodeError as exc:  # a broken line costs that line, not the file
                    # (the line is not shown: it may hold personal data)
                    batch.bad.append((number, f"byte {exc.pos}", reasons.INVALID_JSON, exc.msg))
                if len(batch) >= _BATCH:
                    yield batch
                    batch = _Batch()
            yield batch
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise InputError(f"{path.name}: cannot be read to the end ({type(exc).__name__}: {exc}; "
                         f"expected a complete JSON or gzip file)") from None


# --------------------------------------------------------------------------- record fields

def _text(value: Any) -> str | None:
    """A payload scalar as trimmed text (numbers without ``.0``, booleans as 1/0); blank -> None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip() if not isinstance(value, str) else value.strip()
    return text or None


def _clean(values: pa.Array) -> pa.Array:
    """Scalars as trimmed large_string, blank = null (numbers and booleans as their text)."""
    if pa.types.is_boolean(values.type):
        values = pc.if_else(values, pa.scalar("1"), pa.scalar("0"))
    if pa.types.is_floating(values.type):  # 2.0 -> "2"
        integral = pc.equal(values, pc.floor(values))
        values = pc.if_else(integral, pc.cast(pc.cast(values, pa.int64(), safe=False), pa.large_string()),
                            pc.cast(values, pa.large_string()))
    text = pc.utf8_trim_whitespace(pc.cast(values, pa.large_string()))
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.large_string()), text)


def _column(records: list[dict], name: str) -> pa.Array:
    """One field of every record (Python dicts) as a cleaned large_string array."""
    values = [record.get(name) for record in records]
    try:
        return _clean(pa.array(values, pa.large_string()))
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([_text(v) for v in values], pa.large_string())


# The lists inside a dossier record, and the fields of their items that the index reads.
NESTED = {
    "TaiLieuNop": ("IsDeleted", "DuongDanTaiTepTin", "DuocSoHoa", "DuocTaiSuDung", "DuocLayTuKhoDMQG"),
    "DSKetNoiCSDL": ("MaCSDL",),
    "DanhSachLePhi": ("Gia",),
    "DanhSachGiayToKetQua": ("DuongDanTepTinKetQua", "MaGiayToKetQua"),
    "DanhSachHoSoBoSung": ("NgayBoSung", "NgayTiepNhanBoSung", "NgayHenTraMoi"),
}
_DOSSIER_FIELDS = ("MaHoSo", "MaTTHC", "MaDonVi", "DonViXuLy", "KenhThucHien", *_DOSSIER_DATES, "TrangThaiHoSo",
                   "DanhGia", "HoSoCoThanhPhanSoHoa", "TaiKhoanDuocXacThucVoiVNeID", "DuocThanhToanTrucTuyen",
                   "isUpdating")
_PROGRESS_FIELDS = ("MaHoSo", "ThoiDiemXuLy", "TrangThai", "NguoiXuLy", "NoiDungXuLy", "NgayKetThucTheoQuyDinh")


@dataclass
class _Records:
    """Records of one kind as columns: each scalar field (cleaned text), each nested list
    flattened (the row owning each item and the item's fields), and where each record was."""

    fields: dict[str, pa.Array]
    nested: dict[str, tuple[np.ndarray, dict[str, pa.Array]]]
    files: np.ndarray
    positions: np.ndarray

    @property
    def n(self) -> int:
        return len(self.positions)

    @classmethod
    def from_dicts(cls, records: list[dict], names: tuple[str, ...], nested: dict, file: str,
                   positions: list[int], defaults: dict | None = None) -> _Records:
        fields = {name: _column(records, name) for name in names}
        for name, values in (defaults or {}).items():  # envelope-level values (isUpdating)
            fields[name] = pc.coalesce(fields[name], pa.array(values, pa.large_string()))
        lists = {}
        for name, item_fields in nested.items():
            owners: list[int] = []
            items: list[dict] = []
            for row, record in enumerate(records):
                found = record.get(name)
                if isinstance(found, list):
                    kept = [item for item in found if isinstance(item, dict)]
                    owners.extend([row] * len(kept))
                    items.extend(kept)
            lists[name] = (np.array(owners, np.int64), {field: _column(items, field) for field in item_fields})
        return cls(fields, lists, np.full(len(records), file, object), np.array(positions, np.int64))

    @classmethod
    def from_arrow(cls, table: pa.Table, names: tuple[str, ...], nested: dict, file: str,
                   positions: np.ndarray) -> _Records:
        def scalar(name):
            if name not in table.column_names:
                return pa.nulls(table.num_rows, pa.large_string())
            return _clean(table.column(name).combine_chunks())

        lists = {}
        for name, item_fields in nested.items():
            if name not in table.column_names or pa.types.is_null(table.column(name).type):
                lists[name] = (np.zeros(0, np.int64), {f: pa.nulls(0, pa.large_string()) for f in item_fields})
                continue
            column = table.column(name).combine_chunks()
            owners = pc.list_parent_indices(column).to_numpy().astype(np.int64)
            items = pc.list_flatten(column)
            present = {items.type.field(i).name for i in range(items.type.num_fields)} \
                if pa.types.is_struct(items.type) else set()
            lists[name] = (owners, {f: _clean(items.field(f)) if f in present else pa.nulls(len(items), pa.large_string())
                                    for f in item_fields})
        return cls({name: scalar(name) for name in names}, lists, np.full(table.num_rows, file, object), positions)

    @classmethod
    def concat(cls, parts: list[_Records], names: tuple[str, ...], nested: dict) -> _Records:
        offsets = np.cumsum([0] + [part.n for part in parts])
        fields = {name: pa.concat_arrays([pa.nulls(0, pa.large_string())] + [p.fields[name] for p in parts])
                  for name in names}
        lists = {}
        for name, item_fields in nested.items():
            owners = np.concatenate([np.zeros(0, np.int64)] + [p.nested[name][0] + o for p, o in zip(parts, offsets)])
            lists[name] = (owners, {f: pa.concat_arrays([pa.nulls(0, pa.large_string())] +
                                                        [p.nested[name][1][f] for p in parts]) for f in item_fields})
        return cls(fields, lists, np.concatenate([np.zeros(0, object)] + [p.files for p in parts]),
                   np.concatenate([np.zeros(0, np.int64)] + [p.positions for p in parts]))


def _json_lines_fast(path: Path) -> tuple[_Records, _Records, list] | None:
    """A plain JSON Lines file (one record a line, consistent types) read by pyarrow's
    multi-threaded JSON reader; None when it is anything else (then read record by record)."""
    with path.open("rb") as handle:
        if handle.read(2) == GZIP_MAGIC:
            return None
    try:
        table = pajson.read_json(path, read_options=pajson.ReadOptions(block_size=16 << 20))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OSError):
        return None
    if {"data", "service"} & set(table.column_names):  # envelopes, one a line
        return None
    lines = 0
    with path.open("rb") as handle:  # a position is a line: only when no line was blank
        last = b"\n"
        for block in iter(lambda: handle.read(1 << 24), b""):
            lines += block.count(b"\n")
            last = block[-1:]
    if lines + (last != b"\n") != table.num_rows:
        return None

    def present(name):
        return pc.is_valid(table.column(name)) if name in table.column_names else pa.array(np.zeros(table.num_rows, bool))

    is_progress = pc.or_(present("ThoiDiemXuLy"), pc.and_(present("TrangThai"), pc.invert(present("TrangThaiHoSo"))))
    is_dossier = pc.and_(pc.invert(is_progress), present("MaHoSo"))
    positions = np.arange(1, table.num_rows + 1)
    try:
        parts = [_Records.from_arrow(table.filter(mask), names, nested, path.name,
                                     positions[np.asarray(mask.to_numpy(zero_copy_only=False), bool)])
                 for mask, names, nested in ((is_dossier, _DOSSIER_FIELDS, NESTED), (is_progress, _PROGRESS_FIELDS, {}))]
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):  # a list or object where text is expected
        return None
    neither = np.flatnonzero(~np.asarray(pc.or_(is_dossier, is_progress).to_numpy(zero_copy_only=False), bool))
    bad = [(path.name, int(positions[i]), "", reasons.NOT_A_SYNC_RECORD, None) for i in neither]
    return parts[0], parts[1], bad


def _read_file(path: Path) -> tuple[list[_Records], list[_Records], list]:
    """One payload file: its dossier records, progress records and unusable entries."""
    fast = _json_lines_fast(path)
    if fast is not None:
        return [fast[0]], [fast[1]], fast[2]
    dossiers, progress, bad = [], [], []
    for batch in _batches(path):
        if batch.dossiers:
            dossiers.append(_Records.from_dicts(batch.dossiers, _DOSSIER_FIELDS, NESTED, path.name,
                                                batch.dossier_positions, {"isUpdating": [_text(u) for u in batch.updating]}))
        if batch.progress:
            progress.append(_Records.from_dicts(batch.progress, _PROGRESS_FIELDS, {}, path.name, batch.progress_positions))
        bad.extend((path.name, *entry) for entry in batch.bad)
    return dossiers, progress, bad


# --------------------------------------------------------------------------- dates

def _times(texts: pa.ChunkedArray, parse_other) -> tuple[np.ndarray, pa.ChunkedArray]:
    """Times of date texts as int64 ns (``_NEVER`` when blank or unreadable) and the column to
    hand to the loader: timestamps when every value is ``yyyyMMddHHmmss`` or blank (parsed here
    once, in C++), else the texts themselves (the loader parses them and sets bad ones aside)."""
    texts = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
    compact = pc.strptime(texts, format="%Y%m%d%H%M%S", unit="s", error_is_null=True)
    missed = pc.and_(pc.is_null(compact), pc.invert(pc.is_null(texts)))
    ns = pc.cast(compact, pa.timestamp("ns")).cast(pa.int64()).fill_null(_NEVER).to_numpy()
    if not pc.any(missed).as_py():
        return ns, pa.chunked_array([compact])
    other = np.asarray(pc.fill_null(missed, False).to_numpy(zero_copy_only=False))
    parsed = parse_other(texts.filter(pa.array(other)))
    ns = ns.copy()
    ns[other] = np.where(np.isnat(parsed), _NEVER, parsed.astype("datetime64[ns]").astype(np.int64))
    return ns, pa.chunked_array([texts])


# --------------------------------------------------------------------------- the result

@dataclass
class SyncTable:
    """One contract table read from payloads: raw cells under contract names, where each row
    came from (file name and position), rows already known to be set aside, and rows that
    are older versions of a dossier (left out of the duplicate-id check)."""

    raw: pa.Table
    row_files: np.ndarray       # file name of each row (object array)
    row_numbers: np.ndarray     # position of each row in its file
    set_aside: list[tuple[np.ndarray, str, str, str | None]]  # (rows, column, reason, detail): chiso.reasons
    replaced: np.ndarray        # bool per row

    @property
    def files(self) -> list[str]:
        return list(dict.fromkeys(self.row_files.tolist()))


@dataclass
class SyncTables:
    hoso: SyncTable
    hoso_su_kien: SyncTable
    paths: list[Path]


# --------------------------------------------------------------------------- reading

def read_payloads(paths: list[Path], units: pd.DataFrame, procedures: pd.Series, parse_dates,
                  settings: SyncSettings | None = None) -> SyncTables:
    """Read the payload files into raw ``hoso`` and ``hoso_su_kien`` tables (module docstring).

    ``units``: the accepted donvi rows (MaDonVi, TenDonVi, optional MaDinhDanh);
    ``procedures``: the accepted tthc.MaTTHC; ``parse_dates``: the contract's date parser for
    dates not in the compact form (texts -> datetime64[ns], NaT when unreadable).
    """
    settings = settings or load_sync_settings()
    dossiers, progress, bad = [], [], []
    for path in paths:
        more_dossiers, more_progress, more_bad = _read_file(path)
        dossiers += more_dossiers
        progress += more_progress
        bad += more_bad
    return _Builder(_Records.concat(dossiers, _DOSSIER_FIELDS, NESTED), _Records.concat(progress, _PROGRESS_FIELDS, {}),
                    bad, units, procedures, parse_dates, settings).build(paths)


def _as_table(columns: dict[str, Any]) -> pa.Table:
    return pa.table({name: values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values])
                     for name, values in columns.items()})


def stack_tables(tables: list[pa.Table]) -> pa.Table:
    """Tables one under the other; a column typed differently in two of them (timestamps here,
    texts there) becomes text, which the loader parses like any cell."""
    names = list(dict.fromkeys(name for table in tables for name in table.column_names))
    types = {name: {t.schema.field(name).type for t in tables if name in t.column_names} for name in names}
    aligned = []
    for table in tables:
        columns = {}
        for name in names:
            column = table.column(name) if name in table.column_names else None
            if len(types[name]) > 1:
                column = (pa.chunked_array([pa.nulls(table.num_rows, pa.large_string())]) if column is None
                          else pc.cast(column, pa.large_string()))
            elif column is None:
                column = pa.chunked_array([pa.nulls(table.num_rows, next(iter(types[name])))])
            columns[name] = column
        aligned.append(pa.table(columns))
    return pa.concat_tables(aligned)


class _Builder:
    """Turns the parsed records into the raw hoso and hoso_su_kien tables."""

    def __init__(self, dossiers: _Records, progress: _Records, bad, units, procedures, parse_dates,
                 settings: SyncSettings):
        self.d = {**dossiers.fields, "_file": pa.array(dossiers.files, pa.string()),
                  "_position": pa.array(dossiers.positions, pa.int64())}
        self.p = {**progress.fields, "_file": pa.array(progress.files, pa.string()),
                  "_position": pa.array(progress.positions, pa.int64())}
        self.bad, self.units, self.procedures, self.parse_dates, self.settings = bad, units, procedures, parse_dates, settings
        self.n = dossiers.n
        self.d_times = {name: _times(self.d[name], parse_dates) for name in _DOSSIER_DATES}
        self.numbers = self.d["MaHoSo"].to_pylist()
        self._lists(dossiers.nested)

    def _lists(self, nested: dict[str, tuple[np.ndarray, dict[str, pa.Array]]]) -> None:
        """What the index reads from the lists of each record: flags, fee, supplements."""
        n, yes = self.n, ("1", "true", "True", "TRUE")

        def is_in(values, allowed):
            return np.asarray(pc.fill_null(pc.is_in(values, pa.array(list(allowed), pa.large_string())), False)
                              .to_numpy(zero_copy_only=False), bool)

        def valid(values):
            return np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False), bool)

        def any_of(owners, mask):
            out = np.zeros(n, bool)
            out[owners[mask]] = True
            return out

        owners, item = nested["TaiLieuNop"]
        kept = ~is_in(item["IsDeleted"], yes)
        self.flag = {
            "files": any_of(owners, kept & valid(item["DuongDanTaiTepTin"])),
            "digitised_flag": any_of(owners, kept & is_in(item["DuocSoHoa"], yes)),
            "reuse_flag": any_of(owners, kept & is_in(item["DuocTaiSuDung"], ("1", "2"))),
            "store_flag": any_of(owners, kept & is_in(item["DuocLayTuKhoDMQG"], yes)),
        }
        owners, item = nested["DSKetNoiCSDL"]
        self.flag["population_db"] = any_of(owners, is_in(item["MaCSDL"], self.settings.population_databases))
        owners, item = nested["DanhSachGiayToKetQua"]
        link = valid(item["DuongDanTepTinKetQua"])
        self.flag["result_link"] = any_of(owners, link)
        self.flag["result_code_link"] = any_of(owners, link & valid(item["MaGiayToKetQua"]))
        # fee: the sum of the list's amounts; no list = unknown; an amount that is not a number is
        # passed on as it is, for the loader to set the record aside (``not_a_number``)
        owners, item = nested["DanhSachLePhi"]
        texts = pd.Series(item["Gia"].to_pandas(), dtype=object)
        amounts = pd.to_numeric(texts, errors="coerce").to_numpy(dtype=float)
        sums = np.bincount(owners, weights=np.nan_to_num(amounts), minlength=n) if n else np.zeros(0)
        fee = pd.Series(sums, dtype=float).map(_text).astype(object)
        if n:
            fee[np.bincount(owners, minlength=n) == 0] = None
        broken = texts.notna().to_numpy() & np.isnan(amounts)
        fee.iloc[owners[broken][::-1]] = texts[broken].to_numpy()[::-1]  # the first bad amount of each list
        self.fee = pa.array(fee.tolist(), pa.large_string())
        owners, item = nested["DanhSachHoSoBoSung"]
        self.supplement_owners, self.supplement_items = owners, item
        self.has_list = any_of(owners, np.ones(len(owners), bool))

    def times(self, texts: list[str | None]) -> tuple[np.ndarray, pa.ChunkedArray]:
        return _times(pa.array(texts, pa.large_string()), self.parse_dates)

    def field_in(self, name: str, values) -> np.ndarray:
        found = pc.is_in(self.d[name], pa.array(list(values), pa.large_string()))
        return np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False), bool)

    # -- dossiers ----------------------------------------------------------------------------

    def winners(self) -> np.ndarray:
        """Rows of the latest record of each dossier, in reading order (``params/sync.yaml``)."""
        if self.n == 0:
            return np.zeros(0, np.int64)
        codes = pc.dictionary_encode(self.d["MaHoSo"]).indices.fill_null(-1).to_numpy(zero_copy_only=False)
        newest = np.max([self.d_times[n][0] for n in ("NgayTiepNhan", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi")],
                        axis=0)
        for name in ("NgayBoSung", "NgayTiepNhanBoSung"):
            np.maximum.at(newest, self.supplement_owners, _times(self.supplement_items[name], self.parse_dates)[0])
        updating = self.field_in("isUpdating", ("1", "true", "True", "TRUE"))
        ranked = np.lexsort((np.arange(self.n), updating, newest, codes))  # the last of each code wins
        last = np.ones(self.n, bool)
        last[:-1] = codes[ranked[:-1]] != codes[ranked[1:]]
        keep = np.zeros(self.n, bool)
        keep[ranked[last]] = True
        keep[codes < 0] = True  # no MaHoSo: a row of its own (the loader sets it aside)
        return np.flatnonzero(keep)

    def units_of(self, rows: np.ndarray) -> pa.Array:
        """MaDonVi of each record (module docstring, "Unit of a dossier"); an unmatched record
        keeps the text it named, shown beside ``unknown_unit``."""
        units = self.units
        codes = dict(zip(units["MaDonVi"], units["MaDonVi"]))
        if "MaDinhDanh" in units:
            named = units.dropna(subset=["MaDinhDanh"])
            codes.update({c: u for c, u in zip(named["MaDinhDanh"], named["MaDonVi"]) if c not in codes})
        folded = pd.Series(units["MaDonVi"].to_numpy(), index=[_name_key(n) for n in units["TenDonVi"]])
        by_name = folded[~folded.index.duplicated(keep=False)].to_dict()

        def field(name):
            return pd.Series(self.d[name].take(pa.array(rows, pa.int64())).to_pylist(), dtype=object)

        given, number, handler = field("MaDonVi"), field("MaHoSo"), field("DonViXuLy")
        prefix = number.str.split("-", n=1).str[0]
        resolved = given.map(codes)
        resolved = resolved.fillna(prefix.where(given.isna()).map(codes))
        by_handler = {n: by_name.get(_name_key(n)) for n in handler[resolved.isna() & given.isna()].dropna().unique()}
        resolved = resolved.fillna(handler.where(given.isna()).map(by_handler))
        shown = given.fillna(handler).fillna(prefix)
        return pa.array(resolved.fillna(shown).tolist(), pa.large_string())

    def procedures_of(self, rows: np.ndarray) -> pa.Array:
        """The catalogue's code: as sent, else its national part (``1.001234`` of ``1.001234.000.00.00.H44``)."""
        sent = pd.Series(self.d["MaTTHC"].take(pa.array(rows, pa.int64())).to_pylist(), dtype=object)
        known = set(self.procedures)
        national = sent.str.extract(r"^(\d+\.\d+)\.", expand=False)
        use_national = ~sent.isin(known) & national.isin(known)
        return pa.array(sent.where(~use_national, national).tolist(), pa.large_string())

    def new_due_dates(self) -> pa.ChunkedArray | None:
        """The last supplement's NgayHenTraMoi of each record (None: not used or never given)."""
        if self.settings.due_date == "as_sent":
            return None
        new_due = self.supplement_items["NgayHenTraMoi"]
        given = np.flatnonzero(np.asarray(pc.is_valid(new_due).to_numpy(zero_copy_only=False), bool))
        if not len(given):
            return None
        last = np.full(self.n, -1, np.int64)
        last[self.supplement_owners[given]] = given  # items in order: the last given one stays
        return _times(new_due.take(pa.array(last, mask=last < 0)), self.parse_dates)[1]

    def hoso(self, winners: np.ndarray) -> SyncTable:
        s, flag = self.settings, self.flag
        replaced = np.setdiff1d(np.arange(self.n), winners)
        rows = np.concatenate([winners, replaced]).astype(np.int64)  # winners first: references find them
        take = pa.array(rows)
        result = flag["result_link" if s.electronic_result == "link" else "result_code_link"]
        reused = (flag["reuse_flag"] if s.reused == "reuse_flag"
                  else self.field_in("HoSoCoThanhPhanSoHoa", ("1", "true", "True")) | flag["digitised_flag"])
        store = flag["store_flag"] | (result if s.personal_store == "store_flag_or_result" else False)
        population = self.field_in("TaiKhoanDuocXacThucVoiVNeID", ("1", "true", "True")) | flag["population_db"]
        columns = {
            "MaHoSo": self.d["MaHoSo"].take(take),
            "MaTTHC": self.procedures_of(rows),
            "MaDonVi": self.units_of(rows),
            "KenhNop": pc.fill_null(self.d["KenhThucHien"], s.blank_channel).take(take),
            "NgayNop": self.d_times["NgayNopHoSo"][1].take(take),
            "NgayTiepNhan": self.d_times["NgayTiepNhan"][1].take(take),
            "NgayHenTra": self.d_times["NgayHenTra"][1].take(take),
            "NgayBatDauXuLy": self.d_times["NgayBatDauXuLy"][1].take(take),
            "DongBoDVCQG": pa.array(np.ones(len(rows), bool)),  # the record is what was synced
            "SoHoa": pa.array(flag["files" if s.digitised == "file_attached" else "digitised_flag"][rows]),
            "TaiSuDung": pa.array(reused[rows]),
            "KhoDuLieuCaNhan": pa.array(store[rows]),
            "DuLieuDanCu": pa.array(population[rows]),
            "KetQuaDienTu": pa.array(result[rows]),
            "PhiLePhi": pa.array(self.fee, pa.large_string()).take(take),
            "ThanhToanTrucTuyen": pa.array(self.field_in("DuocThanhToanTrucTuyen", s.online_payment)[rows]),
            "DanhGia": self.d["DanhGia"].take(take),
        }
        if columns["NgayBatDauXuLy"].null_count == len(rows):  # not a sync field: only when records carry it
            del columns["NgayBatDauXuLy"]
        new_due = self.new_due_dates()
        if new_due is not None:
            columns["NgayHenTraMoi"] = new_due.take(take)
        # nor is the rating: unrated means not rated unsatisfied, or no data (setting `unrated`)
        if s.unrated != "not_unsatisfied" and columns["DanhGia"].null_count == len(rows):
            del columns["DanhGia"]
        is_replaced = np.arange(len(rows)) >= len(winners)
        return SyncTable(_as_table(columns), self.d["_file"].take(take).to_numpy(zero_copy_only=False),
                         self.d["_position"].take(take).to_numpy(), [(is_replaced, "MaHoSo", reasons.REPLACED, None)],
                         is_replaced)

    # -- events -----------------------------------------------------------------------------

    def events(self, winners: np.ndarray) -> SyncTable:
        s, p = self.settings, self.p
        n = len(p["MaHoSo"])
        time_ns, time_column = _times(p["ThoiDiemXuLy"], self.parse_dates)
        status = np.array(p["TrangThai"].to_pylist(), dtype=object)
        dossier = pc.dictionary_encode(p["MaHoSo"]).indices.fill_null(-1).to_numpy(zero_copy_only=False)
        status_codes = pd.factorize(status)[0]
        # identical progress records (dossier, time, status): the first counts, later ones are copies
        ranked = np.lexsort((np.arange(n), status_codes, time_ns, dossier))
        copy = np.zeros(n, bool)
        if n > 1:
            a, b = ranked[:-1], ranked[1:]
            copy[b] = ((dossier[a] == dossier[b]) & (time_ns[a] == time_ns[b]) & (status_codes[a] == status_codes[b])
                       & (dossier[b] >= 0))
        kind = np.array([s.status_events.get(v, v) for v in status.tolist()], dtype=object)
        # the status before each record, in time order within its dossier (copies left out)
        ordered = ranked[~copy[ranked]]
        previous = np.full(n, None, dtype=object)
        if len(ordered) > 1:
            a, b = ordered[:-1], ordered[1:]
            same = dossier[a] == dossier[b]
            previous[b[same]] = status[a[same]]
        from_list_codes = self.list_supplement_dossiers(winners, status)
        from_list = np.asarray(pc.fill_null(pc.is_in(p["MaHoSo"], pa.array(sorted(from_list_codes), pa.large_string())),
                                            False).to_numpy(zero_copy_only=False), bool)
        for wait, (resumed_by, end_event) in s.waits.items():
            ignored = from_list if s.status_events.get(wait) == EVENTS.supplement_request else np.zeros(n, bool)
            kind[(status == wait) & ((previous == wait) | ignored)] = s.step_event
            kind[(previous == wait) & _isin(status, resumed_by) & ~ignored] = end_event
        terminal = _isin(kind, [s.status_events[k] for k in s.dossier_end_events if k in s.status_events]) & ~copy
        ended = set(pc.filter(p["MaHoSo"], pa.array(terminal)).to_pylist()) if n else set()
        progress = _as_table({
            "MaHoSo": p["MaHoSo"], "ThoiDiem": time_column, "SuKien": pa.array(kind.tolist(), pa.large_string()),
            "MaCanBo": p["NguoiXuLy"], "BuocXuLy": p["NoiDungXuLy"],
            "HanBuoc": _times(p["NgayKetThucTheoQuyDinh"], self.parse_dates)[1],
        })
        derived, derived_rows = self.dossier_events(winners, ended, from_list_codes)
        origin = pa.array(derived_rows, pa.int64())
        files = np.concatenate([p["_file"].to_numpy(zero_copy_only=False),
                                self.d["_file"].take(origin).to_numpy(zero_copy_only=False)])
        numbers = np.concatenate([p["_position"].to_numpy(), self.d["_position"].take(origin).to_numpy()])
        copies = np.concatenate([copy, np.zeros(len(derived_rows), bool)])
        return SyncTable(stack_tables([progress, derived]), files, numbers, [(copies, "ThoiDiem", reasons.IDENTICAL_COPY, None)],
                         np.zeros(len(files), bool))

    def list_supplement_dossiers(self, winners: np.ndarray, status: np.ndarray) -> set:
        """Dossiers whose supplements come from their DanhSachHoSoBoSung (``supplements`` setting)."""
        listed = {self.numbers[i] for i in winners[self.has_list[winners]].tolist()}
        if self.settings.supplements == "progress":
            request = [k for k, v in self.settings.status_events.items() if v == EVENTS.supplement_request]
            listed -= set(pc.filter(self.p["MaHoSo"], pa.array(_isin(status, request))).to_pylist())
        return listed - {None}

    def dossier_events(self, winners: np.ndarray, ended: set, from_list: set) -> tuple[pa.Table, list[int]]:
        """Events from winning dossier records: their supplement list, and their end from
        TrangThaiHoSo when no progress record gives one."""
        rows, codes, times, kinds = [], [], [], []
        status = self.d["TrangThaiHoSo"].to_pylist()
        dates = {name: self.d[name].to_pylist() for name in _DOSSIER_DATES}

        def add(i, when, kind):
            rows.append(i)
            codes.append(self.numbers[i])
            times.append(when)
            kinds.append(kind)

        is_winner = np.zeros(self.n, bool)
        is_winner[winners] = True
        owners, items = self.supplement_owners, self.supplement_items
        listed = is_winner[owners] & _isin(np.array(self.numbers, object)[owners], from_list)
        for name, kind in (("NgayBoSung", EVENTS.supplement_request), ("NgayTiepNhanBoSung", EVENTS.supplement_done)):
            when = items[name].to_pylist()
            for k in np.flatnonzero(listed).tolist():
                if when[k]:
                    add(int(owners[k]), when[k], kind)
        for i in winners.tolist():
            code = self.numbers[i]
            if code is None:
                continue
            if code not in ended:
                for kind, fields in self.settings.dossier_end_events.get(status[i] or "", {}).items():
                    when = next((dates[f][i] for f in fields if dates[f][i]), None)
                    if when:
                        add(i, when, kind)
        table = _as_table({"MaHoSo": pa.array(codes, pa.large_string()), "ThoiDiem": self.times(times)[1],
                           "SuKien": pa.array(kinds, pa.large_string())})
        return table, rows

    def build(self, paths: list[Path]) -> SyncTables:
        winners = self.winners()
        hoso = self.hoso(winners)
        events = self.events(winners)
        if self.bad:  # unreadable lines and values that are not records: rows of hoso, set aside
            files, numbers, shown, why, details = map(list, zip(*self.bad))
            raw = stack_tables([hoso.raw, pa.table({"MaHoSo": pa.array(shown, pa.large_string())})])
            grow = np.zeros(len(files), bool)
            set_aside = [(np.concatenate([mask, grow]), *known) for mask, *known in hoso.set_aside]
            for k, (reason, detail) in enumerate(zip(why, details)):
                mask = np.zeros(raw.num_rows, bool)
                mask[hoso.raw.num_rows + k] = True
                set_aside.append((mask, "MaHoSo", reason, detail))
            hoso = SyncTable(raw, np.concatenate([hoso.row_files, np.array(files, object)]),
                             np.concatenate([hoso.row_numbers, np.array(numbers, np.int64)]), set_aside,
                             np.concatenate([hoso.replaced, grow]))
        return SyncTables(hoso, events, list(paths))


def _isin(values: np.ndarray, allowed) -> np.ndarray:
    """``values`` (an object array of texts) in ``allowed``, hashed (numpy's isin sorts objects)."""
    return pd.Series(values, dtype=object).isin(list(allowed)).to_numpy(dtype=bool)


def _name_key(name: str) -> str:
    """A unit name for matching: no case, diacritics or extra spaces (``"UBND  xã Mẫu Sơn"`` = ``"ubnd xa mau son"``)."""
    return re.sub(r"\s+", " ", fold_diacritics(name).strip().lower())


# --------------------------------------------------------------------------- writing (sample province)

DOSSIER_FILE, PROGRESS_FILE = "DongBoHoSoMC.jsonl", "CapNhatTienDoHoSoMC.jsonl"


def _compact(times: pd.Series) -> list[str]:
    """Times as DVCQG writes them: ``yyyyMMddHHmmss``, ``""`` for none."""
    return times.dt.strftime("%Y%m%d%H%M%S").fillna("").tolist()


def _supplement_list(items: list[dict], due: str, new_due: str) -> list[dict]:
    """DanhSachHoSoBoSung items; a new due date goes on the last one (an item of its own if none)."""
    if new_due and not items:
        items = [{"HoSoBoSungId": 1, "NgayBoSung": "", "NgayTiepNhanBoSung": ""}]
    return [{**item, "NgayHenTraTruoc": due, "NgayHenTraMoi": new_due if k == len(items) - 1 else ""}
            for k, item in enumerate(items)]


def write_payloads(out: Path, hoso: pa.Table, events: pa.Table, donvi: pa.Table, tthc: pa.Table,
                   settings: SyncSettings | None = None) -> dict[str, pa.Table]:
    """Write contract dossiers and events as sync payloads, the inverse of :func:`read_payloads`.

    Synced dossiers (DongBoDVCQG) go to ``DongBoHoSoMC.jsonl`` (one dossier record a line,
    HG/TH style) with their events in ``CapNhatTienDoHoSoMC.jsonl``; supplements also go to
    DanhSachHoSoBoSung (request, completion), as the default ``supplements: list`` reads
    them. The dossiers never synced and their events are returned as ``hoso`` and
    ``hoso_su_kien`` tables for the caller to write beside the payloads. Reading the folder
    back gives the same tables (up to the personal fields' names), so the same scores.
    """
    settings = settings or load_sync_settings()
    status_of = {kind: code for code, kind in reversed(list(settings.status_events.items()))}
    status_of.update({end: "4" for _, end in settings.waits.values()})  # back to processing
    synced = pc.fill_null(hoso.column("DongBoDVCQG"), False) if "DongBoDVCQG" in hoso.column_names \
        else pa.chunked_array([pa.array(np.ones(hoso.num_rows, bool))])
    local_codes = pc.filter(hoso.column("MaHoSo"), pc.invert(synced))
    local_events = pc.is_in(events.column("MaHoSo"), value_set=local_codes.combine_chunks())
    d = hoso.filter(synced).to_pandas()
    e = events.filter(pc.invert(local_events)).to_pandas()
    e["_order"] = np.arange(len(e))
    e = e.sort_values(["MaHoSo", "ThoiDiem", "_order"], kind="stable")
    e["TrangThai"] = e["SuKien"].map(status_of)
    names = dict(zip(donvi.column("MaDonVi").to_pylist(), donvi.column("TenDonVi").to_pylist()))
    procedures = dict(zip(tthc.column("MaTTHC").to_pylist(), tthc.column("TenTTHC").to_pylist()))

    grouped = e.groupby("MaHoSo", sort=False)
    last_status = grouped["TrangThai"].last().to_dict()
    first = {kind: e[e["SuKien"] == kind].groupby("MaHoSo")["ThoiDiem"].first() for kind in EVENTS.result}
    supplements: dict[str, list[dict]] = {}
    waits = e[e["SuKien"].isin([EVENTS.supplement_request, EVENTS.supplement_done])]
    for code, rows in waits.groupby("MaHoSo", sort=False):
        items: list[dict] = []
        for kind, when in zip(rows["SuKien"], _compact(rows["ThoiDiem"])):
            if kind == EVENTS.supplement_request:
                items.append({"HoSoBoSungId": len(items) + 1, "NgayBoSung": when, "NgayTiepNhanBoSung": ""})
            elif items and not items[-1]["NgayTiepNhanBoSung"]:
                items[-1]["NgayTiepNhanBoSung"] = when
        supplements[code] = items

    columns = {name: d[name] if name in d else pd.Series(pd.NA, index=d.index) for name in (
        "MaHoSo", "MaTTHC", "MaDonVi", "KenhNop", "SoHoa", "TaiSuDung", "KhoDuLieuCaNhan", "DuLieuDanCu",
        "KetQuaDienTu", "PhiLePhi", "ThanhToanTrucTuyen", "DanhGia", "HoTenNguoiNop", "SoCCCD", "SoDienThoai")}
    dates = {name: _compact(pd.to_datetime(d[name])) if name in d else [""] * len(d)
             for name in ("NgayNop", "NgayTiepNhan", "NgayHenTra", "NgayHenTraMoi", "NgayBatDauXuLy")}
    ends = {kind: _compact(d["MaHoSo"].map(times)) for kind, times in first.items()}
    with (out / DOSSIER_FILE).open("wb") as handle:
        for i, row in enumerate(zip(*(values.tolist() for values in columns.values()))):
            (code, procedure, unit, channel, digitised, reused, store, population, result, fee, paid, rating,
             owner, id_number, phone) = row
            files = []
            if digitised or store:
                files.append({"TepDinhKemId": "", "TenTepDinhKem": "Thành phần hồ sơ", "IsDeleted": "False",
                              "MaThanhPhanHoSo": "", "DuongDanTaiTepTin": f"https://motcua.mau/{code}/1.pdf" if digitised
                              else "", "DuocSoHoa": "1" if reused else "0", "DuocTaiSuDung": "0",
                              "DuocLayTuKhoDMQG": "1" if store else "0", "MaKetQuaThayThe": ""})
            record = {
                "MaHoSo": code, "MaTTHC": procedure, "TenTTHC": procedures.get(procedure, ""),
                "KenhThucHien": None if pd.isna(channel) or int(channel) == 1 else str(int(channel)),
                "ChuHoSo": owner, "SoGiayToChuHoSo": id_number, "SoDienThoai": phone, "LoaiDoiTuong": "1",
                "DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": id_number}] if isinstance(id_number, str) else [],
                "NgayNopHoSo": dates["NgayNop"][i], "NgayTiepNhan": dates["NgayTiepNhan"][i],
                "NgayHenTra": dates["NgayHenTra"][i], "TrangThaiHoSo": last_status.get(code, "2"),
                "NgayKetThucXuLy": ends[EVENTS.result[0]][i], "NgayTra": ends[EVENTS.result[1]][i], "HinhThuc": "0",
                "DonViXuLy": names.get(unit, ""), "NoiNopHoSo": "2", "HoSoCoThanhPhanSoHoa": "1" if reused else "0",
                "TaiKhoanDuocXacThucVoiVNeID": "1" if population else "0",
                "DuocThanhToanTrucTuyen": _text(paid) if _text(paid) in ("1", "2") else "0",
                "DSKetNoiCSDL": [{"MaCSDL": "7"}],
                "TaiLieuNop": files,
                "DanhSachLePhi": [] if pd.isna(fee) else [{"TenPhiLePhi": "Lệ phí", "MaPhiLePhi": "1",
                                                          "HinhThucThu": "1", "Gia": _text(float(fee)), "LoaiPhiLePhi": "1"}],
                "DanhSachHoSoBoSung": _supplement_list(supplements.get(code, []), dates["NgayHenTra"][i],
                                                       dates["NgayHenTraMoi"][i]),
                "DanhSachGiayToKetQua": [{"TenGiayTo": "Kết quả", "MaGiayToKetQua": "KQ.01",
                                          "DuongDanTepTinKetQua": f"https://motcua.mau/{code}/kq.pdf"}] if result else [],
            }
            if dates["NgayBatDauXuLy"][i]:  # not sync fields: carried so that the sample reads back the same
                record["NgayBatDauXuLy"] = dates["NgayBatDauXuLy"][i]
            if isinstance(rating, str):
                record["DanhGia"] = rating
            handle.write(orjson.dumps(record) + b"\n")
    step_dates = {name: _compact(pd.to_datetime(e[name])) if name in e else [""] * len(e)
                  for name in ("ThoiDiem", "HanBuoc")}
    officials = e["MaCanBo"].tolist() if "MaCanBo" in e else [None] * len(e)
    steps = e["BuocXuLy"].tolist() if "BuocXuLy" in e else [None] * len(e)
    with (out / PROGRESS_FILE).open("wb") as handle:
        for code, status, when, official, step, deadline in zip(e["MaHoSo"].tolist(), e["TrangThai"].tolist(),
                                                                step_dates["ThoiDiem"], officials, steps,
                                                                step_dates["HanBuoc"]):
            handle.write(orjson.dumps({"MaHoSo": code, "NguoiXuLy": official, "ChucDanh": "", "ThoiDiemXuLy": when,
                                       "PhongBanXuLy": "", "NoiDungXuLy": step, "TrangThai": status,
                                       "NgayBatDau": "", "NgayKetThucTheoQuyDinh": deadline}) + b"\n")
    return {"hoso": hoso.filter(pc.invert(synced)), "hoso_su_kien": events.filter(local_events)}
