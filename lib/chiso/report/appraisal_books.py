"""The staff-appraisal evidence of the internal edition: two workbooks and a section per unit report.

INTERNAL ONLY (officials' codes are personal data, Nghị định 13/2023/NĐ-CP): written under
``reports/<period>-noibo/`` and nowhere else; the public edition's report data holds none of
it (``ReportData.appraisal_*`` are internal tables).

- ``danh-gia-can-bo.xlsx``: one row per official code and unit with the counts of
  :mod:`chiso.appraisal` for the period and each of its parts (a year's quarters); each count
  of a fault links to the sheet listing the dossiers behind it (first row of that official's
  block, or of the part's). Dossiers handled and steps taken are workload, not faults: they are
  counted, not listed (a province's year is millions of rows, past Excel's limit); the same
  command reproduces them from the data. A list longer than Excel's limit is cut, saying so.
- ``danh-gia-don-vi.xlsx``: per unit, score, band and rank for each part and the period, the
  sub-indicators short of full points and the counts the head of unit answers for, under the
  plan's wording (``params/appraisal.yaml``).
- :func:`head_of_unit_blocks`: the same for one unit, in its internal report (HTML and PDF).

Every workbook opens on a sheet that says what it is: source, period and cut-off, methodology,
input hash, the command that reproduces it, and that it is internal.
Where the input lacks what a column needs, the column says "chưa có số liệu", never 0.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from chiso import formatting as fmt
from chiso import status
from chiso.appraisal import MEASURE, MEASURES, NO_DATA, STEPS, STEPS_HEADER, appraisal_settings
from chiso.outputs import replacing
from chiso.period import Period
from chiso.report.blocks import ReportBlock, escape_markdown
from chiso.report.data import ReportData
from chiso.report.tables import heading, table_block
from chiso.scoring import LEVEL_NAMES_VI
from chiso.report.text import SAMPLE_BANNER, cutoff_text

OFFICIALS_BOOK = "danh-gia-can-bo.xlsx"
UNITS_BOOK = "danh-gia-don-vi.xlsx"
INTERNAL_NOTICE = ("TÀI LIỆU NỘI BỘ: chứa mã cán bộ là dữ liệu cá nhân theo "
                   "Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân; chỉ dùng cho đánh giá, xếp loại; "
                   "không công bố, không đăng tải, không gửi ra ngoài cơ quan.")
# The plan's rules, in order, and the counts that measure each (params/appraisal.yaml words them).
RULE_MEASURES = {"supplements": ("supplements",), "returns": ("returns",), "pauses": ("pauses",),
                 "step_deadlines": ("late_steps", "overdue_held")}
INFO_SHEET = "Thông tin"
# The counts whose dossiers are listed (see the module docstring).
LISTED = tuple(m for m in MEASURES if m.key != "handled")
EXCEL_ROWS = 1_048_576
EXCEL_LINKS = 65_530  # hyperlinks per worksheet
FIRST_DATA_ROW = 3  # notice, title, header


def part_label(key: str) -> str:
    """``2026-Q1`` → ``Quý 1/2026``; ``2026`` → ``Năm 2026``."""
    return Period.parse(key).label_vi


def _info_rows(rd: ReportData, what: str) -> list[tuple[str, str]]:
    meta = rd.meta
    appraisal = meta.get("appraisal", {})
    rows = [
        ("Tài liệu", what),
        ("Bản", INTERNAL_NOTICE),
        ("Nguồn số liệu", f"{meta['source_label']}{' — ' + meta['province'] if meta.get('province') else ''}"),
        ("Kỳ đánh giá", f"{meta['period_label']} ({meta['period_start']} – {meta['period_end']})"),
        ("Số liệu tính đến", cutoff_text(meta)),
        ("Phương pháp", f"{meta['methodology_title']} ({meta['methodology_id']}, phiên bản "
                        f"{meta['methodology_version']}); quy tắc đánh giá cán bộ: params/appraisal.yaml"),
        ("Mã kiểm tra dữ liệu đầu vào (SHA-256)", meta["input_fingerprint"]),
        ("Tái lập", f"chiso report --period {meta['period'].split('-den-')[0]}"
                    f"{' --as-of ' + Period.parse(meta['period']).as_of.strftime('%Y-%m-%d') if meta.get('as_of') else ''}"
                    " --edition internal --source <cùng nguồn> (cùng dữ liệu cho cùng kết quả)"),
        ("Chia theo", ", ".join(part_label(k) for k in appraisal.get("parts", [])) or "—"),
    ]
    if rd.is_sample:
        rows.insert(1, ("Lưu ý", SAMPLE_BANNER))
    for key, note in appraisal.get("missing", {}).items():
        rows.append((MEASURE[key].header if key in MEASURE else key, note))
    return rows


class _Book:
    """An xlsxwriter workbook with the formats the two books share and an info sheet first."""

    def __init__(self, path: Path, rd: ReportData, what: str):
        import xlsxwriter

        self._target = replacing(path)  # whole or not at all (chiso.outputs)
        partial = self._target.__enter__()
        self.book = xlsxwriter.Workbook(partial)
        self.bold = self.book.add_format({"bold": True, "valign": "top"})
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})
        self.header = self.book.add_format({"bold": True, "bg_color": "#eef1f4", "border": 1, "text_wrap": True,
                                            "valign": "top", "align": "center"})
        self.warning = self.book.add_format({"bold": True, "font_color": "#8a0000", "bg_color": "#fff0f0",
                                             "text_wrap": True, "valign": "top"})
        self.link = self.book.add_format({"font_color": "#1a56b0", "underline": 1})
        self.points = self.book.add_format({"num_format": "0.00"})
        self.muted = self.book.add_format({"font_color": "#777777", "italic": True})
        sheet = self.book.add_worksheet(INFO_SHEET)
        sheet.set_column(0, 0, 36)
        sheet.set_column(1, 1, 110)
        for row, (label, value) in enumerate(_info_rows(rd, what)):
            sheet.write_string(row, 0, label, self.bold)
            sheet.write_string(row, 1, str(value), self.warning if label in ("Bản", "Lưu ý") else self.wrap)

    def sheet(self, name: str, notice: bool = True):
        sheet = self.book.add_worksheet(name)
        if notice:
            sheet.write_string(0, 0, INTERNAL_NOTICE, self.warning)
        return sheet

    def grouped_header(self, sheet, col: int, title: str, parts: list[str]) -> int:
        """``title`` over one column per part (rows 2-3); returns the next free column."""
        sheet.merge_range(1, col, 1, col + len(parts) - 1, title, self.header)
        for n, part in enumerate(parts):
            sheet.write_string(2, col + n, part_label(part), self.header)
        return col + len(parts)

    def count(self, sheet, row: int, col: int, value, target: str | None = None) -> None:
        """A count (a link to the rows behind it when there are any), or "chưa có số liệu"."""
        if value is None or pd.isna(value):
            sheet.write_string(row, col, NO_DATA, self.muted)
        elif target and value > 0:
            sheet.write_url(row, col, f"internal:{target}", self.link, string=str(int(value)))
            sheet.write_number(row, col, int(value), self.link)
        else:
            sheet.write_number(row, col, int(value))

    def __enter__(self) -> "_Book":
        return self

    def __exit__(self, kind, error, traceback):
        if kind is None:
            try:
                self.book.close()
            except Exception as failure:  # noqa: BLE001 - handed to replacing(), which names the file
                return self._target.__exit__(type(failure), failure, failure.__traceback__)
        return self._target.__exit__(kind, error, traceback)


def write_officials_book(rd: ReportData, path: Path) -> Path:
    """``danh-gia-can-bo.xlsx`` (see the module docstring)."""
    path = Path(path)
    appraisal = rd.meta["appraisal"]
    parts = [rd.period, *appraisal["parts"]]
    names = rd.units.set_index("unit")["name"]
    with _Book(path, rd, "Bằng chứng đánh giá cán bộ theo Bộ chỉ số (từng cán bộ, từng đơn vị)") as book:
        sheet = book.sheet("Cán bộ")  # right after the info sheet; filled once the evidence rows are known
        evidence_rows = _write_evidence_sheets(book, rd.appraisal_evidence)
        columns = [(STEPS, STEPS_HEADER) if key == STEPS else (key, MEASURE[key].header)
                   for key in ["handled", STEPS, *[m.key for m in MEASURES[1:]]]]
        sheet.merge_range(1, 0, 2, 0, "Mã cán bộ", book.header)
        sheet.merge_range(1, 1, 2, 1, "Mã đơn vị", book.header)
        sheet.merge_range(1, 2, 2, 2, "Đơn vị", book.header)
        col = 3
        for key, title in columns:
            col = book.grouped_header(sheet, col, title, parts)
        sheet.set_row(1, 45)
        sheet.set_column(0, 1, 12)
        sheet.set_column(2, 2, 32)
        sheet.set_column(3, col, 11)
        sheet.freeze_panes(3, 3)
        officials = rd.appraisal_officials
        counted = [f"{m.key}|{part}" for m in LISTED for part in parts]
        # Past Excel's limit of links per sheet, only the whole period's counts link.
        link_parts = officials is None or int((officials.reindex(columns=counted) > 0).sum().sum()) <= EXCEL_LINKS
        if officials is None or officials.empty:
            sheet.write_string(3, 0, appraisal["missing"].get("MaCanBo", "Không có cán bộ nào xử lý hồ sơ trong kỳ."),
                               book.muted)
        else:
            for row, record in enumerate(officials.to_dict("records"), start=3):
                official, unit = record["MaCanBo"], record["unit"]
                sheet.write_string(row, 0, str(official))
                sheet.write_string(row, 1, str(unit))
                sheet.write_string(row, 2, str(names.get(unit, "")))
                col = 3
                for key, _ in columns:
                    for part in parts:
                        linked = part == rd.period or link_parts
                        first = linked and evidence_rows.get(key, {}).get((official, unit, None if part == rd.period else part))
                        target = f"'{MEASURE[key].sheet}'!A{first}" if first else None
                        book.count(sheet, row, col, record.get(f"{key}|{part}"), target)
                        col += 1
            sheet.autofilter(2, 0, 2 + len(officials), col - 1)
    return path


def _write_evidence_sheets(book: _Book, evidence: pd.DataFrame | None) -> dict[str, dict]:
    """One sheet per measure listing its rows; returns, per measure, the first Excel row of each
    (official, unit) block and of each (official, unit, part) block, for the links."""
    firsts: dict[str, dict] = {}
    headers = ["Mã cán bộ", "Mã đơn vị", "Mã hồ sơ", "Mã TTHC", "Tên thủ tục", "Kỳ", "Thời điểm", "Bước xử lý",
               "Chi tiết"]
    for measure in LISTED:
        sheet = book.sheet(measure.sheet)
        sheet.write_string(1, 0, measure.header, book.bold)
        for col, title in enumerate(headers):
            sheet.write_string(2, col, title, book.header)
        sheet.set_column(0, 3, 12)
        sheet.set_column(4, 4, 40)
        sheet.set_column(5, 7, 16)
        sheet.set_column(8, 8, 60)
        sheet.freeze_panes(3, 0)
        rows = pd.DataFrame() if evidence is None else evidence[evidence["measure"] == measure.key]
        rows = rows.sort_values(["MaCanBo", "unit", "part", "time", "MaHoSo"], na_position="last", kind="stable")
        room = EXCEL_ROWS - FIRST_DATA_ROW - 1
        shown = rows.head(room)
        labels = {key: part_label(key) for key in shown["part"].dropna().unique()}
        table = pd.DataFrame({
            "MaCanBo": shown["MaCanBo"], "unit": shown["unit"], "MaHoSo": shown["MaHoSo"], "MaTTHC": shown["MaTTHC"],
            "TenTTHC": shown["TenTTHC"], "part": shown["part"].map(labels),
            "time": pd.to_datetime(shown["time"]).dt.strftime("%d/%m/%Y %H:%M"), "step": shown["step"],
            "detail": shown["detail"],
        }).astype(object).fillna("")
        seen: dict = {}
        keys = zip(shown["MaCanBo"].astype(object).where(shown["MaCanBo"].notna(), None), shown["unit"], shown["part"])
        for n, (official, unit, part) in enumerate(keys, start=FIRST_DATA_ROW + 1):
            seen.setdefault((official, unit, None), n)
            seen.setdefault((official, unit, part), n)
        for n, values in enumerate(table.itertuples(index=False, name=None), start=FIRST_DATA_ROW):
            sheet.write_row(n, 0, [str(v) for v in values])
        if rows.empty:
            sheet.write_string(FIRST_DATA_ROW, 0, "Không có hồ sơ nào trong kỳ.", book.muted)
        elif len(rows) > room:
            sheet.write_string(1, 2, f"Danh sách bị cắt ở {fmt.integer(room)} dòng (giới hạn của Excel); còn "
                                     f"{fmt.integer(len(rows) - room)} dòng: xem dữ liệu _data/appraisal_evidence.parquet",
                               book.warning)
        firsts[measure.key] = seen
    return firsts


def unit_answerable(rd: ReportData) -> pd.DataFrame:
    """Per unit and part: total, band, rank, sub-indicators short of full points, and the rule counts."""
    appraisal = rd.meta["appraisal"]
    parts = [*appraisal["parts"], rd.period]
    totals = rd.totals[rd.totals["period"].isin(parts)]
    lost = rd.indicators[rd.indicators["period"].isin(parts) & (rd.indicators["points_lost"] > 0)
                         & rd.indicators["status"].eq(status.OK)]
    short = lost.groupby(["period", "unit"]).apply(
        lambda g: "; ".join(f"{c} (−{fmt.number(p)} điểm)" for c, p in zip(g["indicator"], g["points_lost"])),
        include_groups=False).rename("short")
    return totals.merge(short.reset_index(), on=["period", "unit"], how="left")


def write_units_book(rd: ReportData, path: Path) -> Path:
    """``danh-gia-don-vi.xlsx`` (see the module docstring)."""
    path = Path(path)
    appraisal = rd.meta["appraisal"]
    parts = [*appraisal["parts"], rd.period]
    rules = appraisal_settings()["rules"]
    results = unit_answerable(rd).set_index(["unit", "period"])
    counts = rd.appraisal_units.set_index("unit") if rd.appraisal_units is not None else pd.DataFrame()
    with _Book(path, rd, "Đánh giá đơn vị và trách nhiệm người đứng đầu theo Bộ chỉ số") as book:
        sheet = book.sheet("Đơn vị")
        fixed = ["Mã đơn vị", "Đơn vị", "Cấp"]
        for col, title in enumerate(fixed):
            sheet.merge_range(1, col, 2, col, title, book.header)
        col = len(fixed)
        for part in parts:
            sheet.merge_range(1, col, 1, col + 3, part_label(part), book.header)
            for n, title in enumerate(("Điểm", "Xếp loại", "Hạng", "Chỉ số chưa đạt điểm tối đa")):
                sheet.write_string(2, col + n, title, book.header)
            col += 4
        rule_columns = [(rule, key) for rule, keys in RULE_MEASURES.items() for key in keys]
        for rule, key in rule_columns:
            col = book.grouped_header(sheet, col, f"{rules[rule]}: {MEASURE[key].header.lower()}", parts)
        sheet.set_row(1, 60)
        sheet.set_column(0, 0, 12)
        sheet.set_column(1, 1, 34)
        sheet.set_column(3, col, 12)
        sheet.freeze_panes(3, 2)
        for row, unit in enumerate(rd.units.itertuples(), start=3):
            sheet.write_string(row, 0, unit.unit)
            sheet.write_string(row, 1, unit.name)
            sheet.write_string(row, 2, LEVEL_NAMES_VI.get(unit.level, unit.level))
            col = len(fixed)
            for part in parts:
                if (unit.unit, part) in results.index:
                    r = results.loc[(unit.unit, part)]
                    sheet.write_number(row, col, float(r["total"]), book.points)
                    sheet.write_string(row, col + 1, str(r["band"]))
                    if pd.notna(r["rank"]):
                        sheet.write_string(row, col + 2, f"{int(r['rank'])}/{int(r['rank_of'])}")
                    sheet.write_string(row, col + 3, r["short"] if isinstance(r["short"], str) else "")
                else:
                    sheet.write_string(row, col, NO_DATA, book.muted)
                col += 4
            for rule, key in rule_columns:
                for part in parts:
                    column = f"{key}|{part}"
                    value = counts.at[unit.unit, column] if unit.unit in counts.index and column in counts else (
                        float("nan") if key in appraisal["missing"] else 0)
                    book.count(sheet, row, col, value)
                    col += 1
    return path


def head_of_unit_blocks(rd: ReportData, unit: str) -> list[ReportBlock]:
    """The internal unit report's section on what the head of unit answers for (the plan's rules)."""
    if rd.appraisal_units is None:
        return []
    appraisal = rd.meta["appraisal"]
    parts = [*appraisal["parts"], rd.period]
    rules = appraisal_settings()["rules"]
    results = unit_answerable(rd)
    results = results[results["unit"] == unit].set_index("period")
    scores = pd.DataFrame({
        "Kỳ": [part_label(p) for p in parts],
        "Điểm": [results.at[p, "total"] if p in results.index else None for p in parts],
        "Xếp loại": [results.at[p, "band"] if p in results.index else NO_DATA for p in parts],
        "Hạng": [f"{int(results.at[p, 'rank'])}/{int(results.at[p, 'rank_of'])}"
                 if p in results.index and pd.notna(results.at[p, "rank"]) else "—" for p in parts],
        "Chỉ số chưa đạt điểm tối đa": [results.at[p, "short"] if p in results.index
                                        and isinstance(results.at[p, "short"], str) else "—" for p in parts],
    })
    counts = rd.appraisal_units.set_index("unit")
    rows = []
    for rule, keys in RULE_MEASURES.items():
        for key in keys:
            row = {"Quy định": rules[rule], "Nội dung": MEASURE[key].header}
            for p in parts:
                column = f"{key}|{p}"
                value = counts.at[unit, column] if unit in counts.index and column in counts else (
                    None if key in appraisal["missing"] else 0)
                row[part_label(p)] = NO_DATA if key in appraisal["missing"] else fmt.integer(value)
            rows.append(row)
    return [
        heading("Trách nhiệm của người đứng đầu đơn vị", 2),
        ReportBlock(f"> **{escape_markdown(INTERNAL_NOTICE)}**\n"),
        heading("Điểm, xếp loại, xếp hạng theo kỳ"),
        table_block(scores),
        heading("Các quy định của kế hoạch: số trường hợp trong kỳ"),
        table_block(pd.DataFrame(rows)),
        ReportBlock(f"Danh sách hồ sơ và cán bộ liên quan: {OFFICIALS_BOOK} (cùng thư mục báo cáo nội bộ).\n"),
    ]

