"""Build small DossierData-like inputs for the indicator tests, with the loader's dtypes.

The loader (chiso.sources.dossiers) gives codes as pandas "string", dates as
datetime64[ns], booleans as numpy bool (blank = False), KenhNop as Int8, ThoiHanGiaiQuyet and
PhiLePhi as float; a column absent from the export is absent from the frame. ``make_data``
builds the same from lists of dicts, so each test states only the fields it is about.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from chiso.sources.dossiers import SET_ASIDE_COLUMNS

DATE_COLUMNS = {"NgayNop", "NgayTiepNhan", "NgayHenTra", "NgayBatDauXuLy", "ThoiDiem", "HanBuoc",
                "NgayXuLyXong", "NgayQuyetDinh", "NgayHieuLuc", "NgayCongKhai"}
BOOL_COLUMNS = {"CoPhiLePhi", "YeuCauKetQuaGiay", "ChoCongDan", "ChungThucDienTu", "TichHopThanhToan",
                "DongBoDVCQG", "SoHoa", "TaiSuDung", "KhoDuLieuCaNhan", "DuLieuDanCu", "KetQuaDienTu",
                "ThanhToanTrucTuyen", "KhongHaiLong", "DayDuNoiDung"}
FLOAT_COLUMNS = {"ThoiHanGiaiQuyet", "PhiLePhi"}
LEVELS = {"TINH": "province", "SO": "department", "HUYEN": "district", "XA": "commune"}


@dataclass
class FakeDossierData:
    """The attributes of chiso.sources.dossiers.DossierData that the indicators and the
    report data read (a clean export: nothing set aside)."""

    donvi: pd.DataFrame
    tthc: pd.DataFrame
    tthc_donvi: pd.DataFrame | None
    hoso: pd.DataFrame
    hoso_su_kien: pd.DataFrame
    pakn: pd.DataFrame | None
    congbo: pd.DataFrame | None
    units: pd.DataFrame
    export_date: pd.Timestamp | None = None  # when the export was made (unknown here)
    export_date_source: str | None = None

    @property
    def files(self) -> dict[str, str]:
        tables = ("donvi", "tthc", "tthc_donvi", "hoso", "hoso_su_kien", "pakn", "congbo")
        return {t: f"{t}.csv" for t in tables if getattr(self, t) is not None}

    @property
    def quality(self) -> pd.DataFrame:
        rows = [(t, f, len(getattr(self, t)), len(getattr(self, t)), 0) for t, f in self.files.items()]
        return pd.DataFrame(rows, columns=["table", "file", "rows_read", "accepted", "set_aside"])

    @property
    def set_aside(self) -> pd.DataFrame:
        return pd.DataFrame(columns=SET_ASIDE_COLUMNS)


def frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """A table with the loader's dtypes; ``columns`` lists the columns present in the export."""
    raw = pd.DataFrame(rows, columns=columns)
    out = pd.DataFrame(index=raw.index)
    for column in columns:
        values = raw[column]
        if column in DATE_COLUMNS:
            out[column] = pd.to_datetime(values, format="ISO8601").astype("datetime64[ns]")
        elif column in BOOL_COLUMNS:
            out[column] = values.fillna(False).astype(bool).to_numpy(dtype=bool)
        elif column in FLOAT_COLUMNS:
            out[column] = values.astype(float)
        elif column == "KenhNop":
            out[column] = values.astype("Int8")
        elif column == "DonViThoiHan":
            out[column] = values.fillna("NGAY_LAM_VIEC").astype("string")
        else:
            out[column] = values.astype("string")
    return out


def _columns(rows: list[dict], required: list[str]) -> list[str]:
    seen = list(required)
    for row in rows:
        seen += [c for c in row if c not in seen]
    return seen


def make_data(units, tthc, hoso, events, tthc_donvi=None, pakn=None, congbo=None) -> FakeDossierData:
    """``units``: (MaDonVi, TenDonVi, Cap, MaDonViCha); the other arguments: lists of row dicts
    (None = table not supplied). A column is present when any row names it."""
    donvi = frame([dict(zip(["MaDonVi", "TenDonVi", "Cap", "MaDonViCha"], u)) for u in units],
                  ["MaDonVi", "TenDonVi", "Cap", "MaDonViCha"])
    unit_table = pd.DataFrame({
        "unit": donvi["MaDonVi"],
        "name": donvi["TenDonVi"],
        "level": donvi["Cap"].map(LEVELS).astype("string"),
        "parent": donvi["MaDonViCha"],
    })
    tthc = [{"TenTTHC": r["MaTTHC"], **r} for r in tthc]
    return FakeDossierData(
        donvi=donvi,
        tthc=frame(tthc, _columns(tthc, ["MaTTHC", "TenTTHC"])),
        tthc_donvi=None if tthc_donvi is None else frame(tthc_donvi, _columns(tthc_donvi, ["MaTTHC", "MaDonVi"])),
        hoso=frame(hoso, _columns(hoso, ["MaHoSo", "MaTTHC", "MaDonVi", "KenhNop", "NgayTiepNhan"])),
        hoso_su_kien=frame(events, _columns(events, ["MaHoSo", "ThoiDiem", "SuKien"])),
        pakn=None if pakn is None else frame(pakn, _columns(pakn, ["MaPAKN", "MaDonVi", "NgayTiepNhan"])),
        congbo=None if congbo is None else frame(congbo, _columns(congbo, ["MaTTHC", "MaDonVi", "NgayQuyetDinh"])),
        units=unit_table,
    )


def events_of(dossier: str, *steps) -> list[dict]:
    """Event rows of one dossier: ``events_of("A", ("2026-04-06 08:00", "TIEP_NHAN"), ...)``;
    a step may carry a dict of extra fields (MaCanBo, BuocXuLy, HanBuoc) as third item."""
    return [{"MaHoSo": dossier, "ThoiDiem": s[0], "SuKien": s[1], **(s[2] if len(s) > 2 else {})} for s in steps]


def rows_by(table: pd.DataFrame, key: str) -> dict:
    """``{key value: row as dict}`` for compact assertions."""
    return {r[key]: r for r in table.to_dict("records")}
