"""Tables of a unit report: points per group and per sub-indicator, what it takes to
reach full points, the trend over the covered quarters."""

from __future__ import annotations

import numpy as np
import pandas as pd

from chiso import formatting as fmt
from chiso import status
from chiso.methodology import RULE_LINEAR, RULE_THRESHOLD
from chiso.period import Period
from chiso.report.blocks import ReportBlock
from chiso.report.data import ReportData
from chiso.report.status import NOT_APPLICABLE_NOTES, NOTES
from chiso.report.tables import change, table_block
# What the numerator of each sub-indicator counts, for "what it takes" sentences
# ("Cần thêm 42 hồ sơ xử lý đúng hạn").
# Sub-indicators whose numerator is not a count (methodology: numerator_is_count: false):
# what to do instead of "N more".
COMPOSITE_ADVICE = {
    "3.3": "Tỷ lệ = (hồ sơ nộp trực tuyến / hồ sơ tiếp nhận) × tỷ lệ đồng bộ 1.4: cần tăng cả hồ sơ nộp "
           "trực tuyến và hồ sơ đồng bộ lên Cổng DVCQG",
}
NUMERATOR_NOUNS = {
    "1.1": "TTHC công bố đúng hạn",
    "1.2": "TTHC cập nhật, công khai đúng hạn",
    "1.3": "TTHC công khai đầy đủ nội dung",
    "1.4": "hồ sơ đồng bộ lên Cổng DVCQG",
    "2.1": "hồ sơ xử lý đúng hạn",
    "3.1": "TTHC cung cấp dịch vụ công trực tuyến",
    "3.2": "dịch vụ công trực tuyến có phát sinh hồ sơ trực tuyến",
    "3.3": "hồ sơ nộp trực tuyến",
    "3.4": "TTHC có nghĩa vụ tài chính được tích hợp thanh toán trực tuyến",
    "3.5": "TTHC có giao dịch thanh toán trực tuyến",
    "3.6": "hồ sơ thanh toán trực tuyến",
    "4.1": "hồ sơ có kết quả giải quyết điện tử",
    "4.2": "hồ sơ được số hóa",
    "4.3": "hồ sơ tái sử dụng dữ liệu số hóa",
    "4.4": "hồ sơ kết nối kho dữ liệu cá nhân",
    "4.5": "xã cung cấp chứng thực bản sao điện tử",
    "4.6": "TTHC kết nối, chia sẻ dữ liệu dân cư",
    "4.7": "hồ sơ sử dụng dữ liệu dân cư",
    "5.1": "PAKN xử lý đúng hạn",
    "5.2": "PAKN được xử lý đúng hạn, hài lòng",
    "5.3": "hồ sơ được đánh giá hài lòng",
}


def group_table(rd: ReportData, unit: str) -> pd.DataFrame:
    """Points per group, with a total row: Nhóm, Tên nhóm, Điểm, Tối đa, Tỷ lệ đạt (%), Điểm bị mất."""
    g = rd.current("groups")
    g = g[g["unit"] == unit]
    total = pd.DataFrame({"group": [""], "group_name": ["Tổng cộng"], "points": [rd.unit_total(unit)["total"]],
                          "max_points": [g["max_points"].sum()]})
    rows = pd.concat([g[total.columns].astype({"group": object, "group_name": object}), total], ignore_index=True)
    table = rows.rename(columns={"group": "Nhóm", "group_name": "Tên nhóm", "points": "Điểm", "max_points": "Tối đa"})
    table["Tỷ lệ đạt (%)"] = table["Điểm"] / table["Tối đa"] * 100
    table["Điểm bị mất"] = table["Tối đa"] - table["Điểm"]
    return table




def _missing_input_vi(detail) -> str:
    """What the engine says is missing, in Vietnamese: "no data: missing table pakn, column
    hoso.DanhGia" -> "thiếu bảng pakn, cột hoso.DanhGia" ("" when it says nothing of it)."""
    prefix = "no data: missing "
    if not isinstance(detail, str) or not detail.startswith(prefix):
        return ""
    words = {"table": "bảng", "column": "cột"}
    items = []
    for item in detail.removeprefix(prefix).split(", "):
        kind, _, name = item.partition(" ")
        items.append(f"{words.get(kind, kind)} {name}".strip())
    return "thiếu " + ", ".join(items)


def _indicator_notes(rows: pd.DataFrame, rd: ReportData) -> pd.Series:
    """The "Ghi chú" column: status (with what input is missing for "no data"), zero
    denominator, average days (2.2), DVCQG's flags."""
    notes = rows["status"].map(NOTES).fillna("")
    missing = rows["detail"].map(_missing_input_vi) if "detail" in rows else pd.Series("", index=rows.index)
    notes = notes.where(missing.eq(""), notes + ": " + missing)
    notes[rows["status"].eq(status.NOT_APPLICABLE)] = NOT_APPLICABLE_NOTES[rd.meta["commune_not_applicable"]]
    notes[rows["status"].eq(status.OK) & rows["denominator"].eq(0)] = "Không phát sinh trong kỳ (mẫu số 0)"
    average = ("Bình quân " + rows["value"].map(fmt.days)).where(rows["value"].notna(), "")
    flags = rows["source_note"].fillna("").where(~rows["status"].eq(status.OFFICIAL), "")  # official: said already
    return pd.Series(["; ".join(filter(None, parts)) for parts in zip(notes, average, flags)], index=rows.index)


def indicator_table(rd: ReportData, unit: str) -> pd.DataFrame:
    """One row per sub-indicator: Mã, Chỉ số thành phần, Tử số, Mẫu số, Tỷ lệ (%), Điểm, Tối đa,
    Điểm bị mất, Ngưỡng (%), Ghi chú.

    "Ngưỡng (%)" is the ratio that gives full points (100 for a linear rule, T for a
    threshold rule). A sub-indicator without data has no points ("—" and "Chưa có số
    liệu"), never 0; with a zero denominator its ratio is left blank. The analysis-only
    2.2 shows its average processing time in the note, no counts or points.
    """
    rows = rd.current("indicators")
    rows = rows[rows["unit"] == unit]
    scored = ~rows["status"].eq(status.NOT_SCORED)
    ratio = rows["ratio"].where(scored & (rows["denominator"].ne(0) | rows["numerator"].isna()))
    threshold = rows["threshold"].where(rows["rule"].eq(RULE_THRESHOLD), np.where(rows["rule"].eq(RULE_LINEAR), 1.0, np.nan))
    return pd.DataFrame(
        {
            "Mã": rows["indicator"].str.replace("-", "–", regex=False).astype(object),
            "Chỉ số thành phần": rows["name"].astype(object),
            "Tử số": rows["numerator"].where(scored),
            "Mẫu số": rows["denominator"].where(scored),
            "Tỷ lệ (%)": ratio * 100,
            "Điểm": rows["points"].where(scored),
            "Tối đa": rows["max_points"].where(scored),
            "Điểm bị mất": rows["points_lost"].where(scored),
            "Ngưỡng (%)": threshold * 100,
            "Ghi chú": _indicator_notes(rows, rd),
        }
    ).reset_index(drop=True)


def what_it_takes(rd: ReportData, unit: str) -> pd.DataFrame:
    """For each sub-indicator that lost points: how many more dossiers / procedures / PAKN
    restore full points (``numerator_to_full``), largest gain first.

    Columns: Mã, Chỉ số thành phần, Điểm bị mất, Cần thêm, Việc cần làm (the sentence,
    e.g. "Cần thêm 42 hồ sơ xử lý đúng hạn ⇒ +2,10 điểm (đạt điểm tối đa)"). When the
    count cannot be given (no denominator, only a published ratio), Cần thêm is empty
    and the sentence says why.
    """
    rows = rd.current("indicators")
    rows = rows[(rows["unit"] == unit) & rows["status"].eq(status.OK) & (rows["points_lost"] > 0)]
    rows = rows.sort_values(["points_lost", "indicator"], ascending=[False, True], kind="stable")
    sentences = []
    for code, needed, lost, den in zip(rows["indicator"], rows["numerator_to_full"], rows["points_lost"],
                                       rows["denominator"]):
        gain = f"+{fmt.number(lost)} điểm"
        if not fmt.is_missing(needed):
            noun = NUMERATOR_NOUNS.get(code, "đơn vị ở tử số")
            sentences.append(f"Cần thêm {fmt.integer(needed)} {noun} ⇒ {gain} (đạt điểm tối đa)")
        elif code in COMPOSITE_ADVICE:
            sentences.append(f"{COMPOSITE_ADVICE[code]} ⇒ {gain}")
        elif den == 0:
            sentences.append(f"Không phát sinh trong kỳ (mẫu số 0): {gain} chỉ lấy lại được khi phát sinh")
        else:
            sentences.append(f"Chỉ có tỷ lệ công bố, không tính được số lượng cần thêm ({gain})")
    return pd.DataFrame(
        {
            "Mã": rows["indicator"].astype(object),
            "Chỉ số thành phần": rows["name"].astype(object),
            "Điểm bị mất": rows["points_lost"],
            "Cần thêm": rows["numerator_to_full"],
            "Việc cần làm": sentences,
        }
    ).reset_index(drop=True)


def processing_time_block(rd: ReportData, unit: str, limit: int = 15) -> ReportBlock:
    """2.2 per procedure of the unit's own dossiers, each in its procedure's unit (docs/methodology.md §5 R8:
    office hours for procedures whose legal time is in hours, working days otherwise; analysis,
    no points), the procedures with most finished dossiers first."""
    times = rd.processing_times
    rows = times[times["unit"] == unit] if times is not None else pd.DataFrame()
    if rows.empty:
        return ReportBlock("Không có hồ sơ của đơn vị hoàn thành trong kỳ (hoặc nguồn là kết quả chính thức).\n")
    rows = rows.sort_values(["dossiers", "MaTTHC"], ascending=[False, True]).head(limit)
    table = pd.DataFrame({
        "Mã TTHC": rows["MaTTHC"], "Thủ tục": rows["TenTTHC"],
        "Số hồ sơ": rows["dossiers"].astype(int),
        "Thời gian trung bình": [f"{a:.1f} {'giờ làm việc' if u == 'hours' else 'ngày làm việc'}"
                                 for a, u in zip(rows["average"], rows["time_unit"])],
    })
    return table_block(table.reset_index(drop=True),
                       f"Thời gian giải quyết trung bình theo thủ tục (chỉ để phân tích; {limit} thủ tục nhiều hồ sơ nhất)")


def what_it_takes_block(rd: ReportData, unit: str) -> ReportBlock:
    """The "what it takes" table as shown in the report (code, sub-indicator, what to do)."""
    table = what_it_takes(rd, unit)[["Mã", "Chỉ số thành phần", "Việc cần làm"]]
    return table_block(table, "Số lượng cần thêm để đạt điểm tối đa (giữ nguyên mẫu số)",
                       empty="Đơn vị đạt điểm tối đa ở mọi chỉ số thành phần có số liệu.")


def trend_table(rd: ReportData, unit: str) -> pd.DataFrame:
    """The unit's total over the covered quarters (oldest first): Kỳ, Tổng điểm, Xếp loại,
    Hạng, Thay đổi (against the quarter before, when covered)."""
    rows = rd.totals[rd.totals["unit"] == unit].set_index("period")
    periods = [p for p in rd.meta["periods"] if p in rows.index]
    rows = rows.loc[periods]
    total = rows["total"]
    previous = pd.Series([total.get(Period.parse(p).previous().code, np.nan) for p in periods], index=rows.index)
    return pd.DataFrame(
        {
            "Kỳ": [rd.period_label(p) for p in periods],
            "Tổng điểm": total.to_numpy(),
            "Xếp loại": rows["band"].astype(object).to_numpy(),
            "Hạng": [f"{r}/{n}" if not fmt.is_missing(r) else fmt.MISSING for r, n in zip(rows["rank"], rows["rank_of"])],
            "Thay đổi": change(total, previous).to_numpy(),
        }
    )
