"""Report tables: what the unit reports and the province summary show, and the Excel ranking.

Two layers:

- *builders* take a :class:`~chiso.reportdata.ReportData` and return a DataFrame with
  Vietnamese column headers and **numeric** values (``group_table``,
  ``indicator_table``, ``what_it_takes``, ``ranking_table``, ``enforcement_map``, ...):
  tests and the Excel writer use the numbers as they are;
- *blocks* turn them into report Markdown through :mod:`chiso.render` (numbers
  formatted the Vietnamese way by :mod:`chiso.formatting`, every name escaped):
  ``table_block``, ``map_block``, ``unit_header``, ``unit_summary``, ...

How a numeric column is formatted (in Markdown and in Excel) depends on its header,
listed in :data:`COLUMN_KINDS`: points with 2 decimals, counts as integers, changes
with their sign.

A missing value is "no data" and shows as "—" (or "Chưa có số liệu"), never as 0.

Example
-------
>>> rd = load_report_data("reports/2026-Q2/_data")                  # doctest: +SKIP
>>> group_table(rd, "H44.19")                                        # doctest: +SKIP
  Nhóm                     Tên nhóm  Điểm  Tối đa  Tỷ lệ đạt (%)  Điểm bị mất
0    1         Công khai, minh bạch  15.2    18.0          84.44          2.8
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from chiso import formatting as fmt
from chiso.errors import ChisoError
from chiso.period import Period
from chiso.render import ReportBlock, coloured_table, escape_markdown, markdown_table
from chiso.reportdata import ReportData
from chiso.scoring import LEVEL_NAMES_VI, LEVELS, round_half_up

LEVEL_NAMES = LEVEL_NAMES_VI
# "ranked among ..." for a unit's rank.
LEVEL_PEERS = {
    "province": "các tỉnh",
    "department": "các sở, ban, ngành",
    "district": "các huyện",
    "commune": "các xã, phường",
}
NO_DATA = "Chưa có số liệu"
SAMPLE_BANNER = "DỮ LIỆU MẪU (HƯ CẤU) — không phải số liệu thật của bất kỳ đơn vị nào"
EDITION_NAMES = {"public": "Công khai", "internal": "Nội bộ (phục vụ đánh giá cán bộ, không công bố)"}

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

POINTS, COUNT, PERCENT, SIGNED, RANK = "points", "count", "percent", "signed", "rank"
COLUMN_KINDS = {
    "Điểm": POINTS,
    "Tối đa": POINTS,
    "Điểm bị mất": POINTS,
    "Tổng điểm": POINTS,
    "Kỳ trước": POINTS,
    "Kỳ này": POINTS,
    "Điểm bình quân": POINTS,
    "Tổng điểm bị mất": POINTS,
    "Tử số": COUNT,
    "Mẫu số": COUNT,
    "Cần thêm": COUNT,
    "Số đơn vị": COUNT,
    "Số đơn vị chưa đạt tối đa": COUNT,
    "Số đơn vị chưa có số liệu": COUNT,
    "Số hồ sơ quá hạn": COUNT,
    "Số lần yêu cầu bổ sung": COUNT,
    "Số ngày làm việc": COUNT,
    "Tổng": COUNT,
    "Tỷ lệ (%)": PERCENT,
    "Tỷ lệ đạt (%)": PERCENT,
    "Tỷ lệ đạt bình quân (%)": PERCENT,
    "Ngưỡng (%)": PERCENT,
    "Thay đổi": SIGNED,
    "Thay đổi so với kỳ trước": SIGNED,
    "Hạng": RANK,
    "Hạng kỳ trước": RANK,
}
_FORMATTERS = {
    POINTS: fmt.number,
    PERCENT: fmt.number,
    SIGNED: fmt.signed,
    RANK: fmt.integer,
    COUNT: lambda v: fmt.integer(v) if fmt.is_missing(v) or float(v).is_integer() else fmt.number(v),
}
EXCEL_FORMATS = {POINTS: "0.00", PERCENT: "0.00", SIGNED: "+0.00;-0.00;0.00", RANK: "0", COUNT: "#,##0.##"}


# --------------------------------------------------------------------------- shared


def column_kind(header: str, values: pd.Series) -> str | None:
    """How a numeric column is formatted: by its header (COLUMN_KINDS), else as a count
    (integers) or points (other numbers). None for a text column (shown as it is)."""
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    return COLUMN_KINDS.get(header, COUNT if pd.api.types.is_integer_dtype(values) else POINTS)


def formatted(frame: pd.DataFrame) -> pd.DataFrame:
    """Every numeric cell as Vietnamese text ("1.234,50", "+2,35", "—"); text unchanged."""
    out = frame.copy()
    for column in frame.columns:
        kind = column_kind(column, frame[column])
        if kind is not None:
            out[column] = frame[column].map(_FORMATTERS[kind]).astype(object)
        else:
            out[column] = frame[column].astype(object).where(frame[column].notna(), fmt.MISSING)
    return out


def table_block(frame: pd.DataFrame, caption: str | None = None, empty: str = "Không có.") -> ReportBlock:
    """A builder's table as a report table (or a sentence when it has no rows)."""
    if frame.empty:
        return ReportBlock(escape_markdown(empty) + "\n")
    return markdown_table(formatted(frame), caption=caption)


def ranked_levels(rd: ReportData) -> list[str]:
    """Levels ranked in the summary (every level but the province itself), in order."""
    present = set(rd.current("totals")["level"])
    return [lv for lv in LEVELS if lv in present and lv != "province"]


def band_of(rd: ReportData, score: float) -> dict | None:
    """The band (as stored in meta: code, name, min, color) of a score out of 100; None when missing.

    Also used for a share of a maximum × 100 (map cells, chart bars).
    """
    if fmt.is_missing(score):
        return None
    return next((b for b in rd.meta["bands"] if score >= b["min"]), rd.meta["bands"][-1])


def tint(colour: str, strength: float = 0.45) -> str:
    """A light version of a "#rrggbb" colour (mixed with white), for cells with black text.

    >>> tint("#000000", 0.5)
    '#808080'
    """
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 - (255 - c) * strength):02x}" for c in rgb)


def ink_on(colour: str) -> str:
    """Black or white text, whichever reads better on ``colour`` (WCAG relative luminance).

    >>> ink_on("#1a7f37"), ink_on("#f2c744")
    ('white', 'black')
    """
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "black" if luminance > 0.179 else "white"


def _change(current: pd.Series, previous: pd.Series) -> pd.Series:
    """Change of a 2-decimal score, rounded back to 2 decimals (99.33 − 100 = −0.67 exactly)."""
    return pd.Series(round_half_up(current - previous, 2), index=current.index)


def _previous_totals(rd: ReportData) -> pd.Series:
    """Total of each unit in the previous quarter (empty when not covered)."""
    prev = rd.previous_period
    if prev is None:
        return pd.Series(dtype=float)
    rows = rd.totals[rd.totals["period"] == prev]
    return rows.set_index("unit")["total"]


# --------------------------------------------------------------------------- text blocks


def report_title(rd: ReportData, unit: str | None = None) -> str:
    """Plain-text title of a report (for the renderer's title and the site)."""
    subject = rd.unit_total(unit)["name"] if unit else f"Tổng hợp toàn tỉnh — {rd.meta['province'] or ''}".rstrip(" —")
    return f"{subject} — Bộ chỉ số phục vụ người dân, doanh nghiệp, {rd.meta['period_label']}"


def heading(text: str, level: int = 3) -> ReportBlock:
    """A Markdown heading whose text is escaped (for headings that name data)."""
    return ReportBlock(f"{'#' * level} {escape_markdown(text)}\n")


def show_internal(rd: ReportData, edition: str) -> bool:
    """Whether a notebook run with ``edition`` shows the internal sections.

    ChisoError when the notebook asks for the internal edition but the report data was
    built for the public one (it holds no drill-down to show).
    """
    if edition == "internal" and not rd.internal:
        raise ChisoError("edition 'internal' asked for, but the report data was built for the public edition")
    return edition == "internal"


def banner(rd: ReportData) -> str | None:
    """The warning shown on every page of a report made from sample data (None otherwise)."""
    return SAMPLE_BANNER if rd.is_sample else None


def _header_lines(rd: ReportData) -> list[str]:
    meta = rd.meta
    generated = fmt.date_time(pd.Timestamp(meta["generated_at"]).tz_localize(None))
    return [
        f"- **Kỳ đánh giá:** {escape_markdown(meta['period_label'])} "
        f"({escape_markdown(meta['period_start'])} – {escape_markdown(meta['period_end'])})",
        f"- **Phương pháp:** {escape_markdown(meta['methodology_title'])} "
        f"({escape_markdown(meta['methodology_id'])}, phiên bản {meta['methodology_version']})",
        f"- **Nguồn số liệu:** {escape_markdown(meta['source_label'])}",
        f"- **Thời điểm lập báo cáo:** {escape_markdown(generated)}",
        f"- **Mã kiểm tra dữ liệu đầu vào (SHA-256):** `{meta['input_fingerprint']}`",
        f"- **Bản:** {escape_markdown(EDITION_NAMES[meta['edition']])}",
    ]


def _sample_notice(rd: ReportData) -> list[str]:
    if not rd.is_sample:
        return []
    return ["", "> **Lưu ý: báo cáo này được lập từ dữ liệu mẫu (hư cấu).** Các con số chỉ minh họa cách "
            "tính, không phản ánh kết quả thực tế của bất kỳ cơ quan, đơn vị nào."]


def unit_header(rd: ReportData, unit: str) -> ReportBlock:
    """Who and what the report is about: unit, period, methodology, source, time, fingerprint."""
    row = rd.unit_total(unit)
    lines = [
        f"- **Đơn vị:** {escape_markdown(row['name'])} (mã {escape_markdown(unit)}; "
        f"cấp: {escape_markdown(LEVEL_NAMES.get(row['level'], row['level']))})",
        *_header_lines(rd),
        *_sample_notice(rd),
    ]
    return ReportBlock("\n".join(lines) + "\n")


def data_coverage(rd: ReportData) -> str | None:
    """Which sub-indicators have no data, and for how many units; None when all have data.

    Totals, bands and ranks count only sub-indicators with data, so a reader must know
    when part of the 100 points could not be computed (e.g. no ``congbo`` export).

    >>> data_coverage(rd)                                                  # doctest: +SKIP
    'chưa có số liệu: 1.1, 1.2, 1.3 (mọi đơn vị); 5.1 (3 đơn vị) — tổng điểm, xếp loại và hạng chỉ tính các chỉ số có số liệu'
    """
    rows = rd.current("indicators")
    missing = rows[rows["status"].eq("no_data")]
    if missing.empty:
        return None
    units = rows["unit"].nunique()
    per_indicator = missing.groupby("indicator", sort=False)["unit"].nunique()
    everywhere = [code for code, n in per_indicator.items() if n == units]
    some = [f"{code} ({n} đơn vị)" for code, n in per_indicator.items() if n < units]
    parts = ([f"{', '.join(everywhere)} (mọi đơn vị)"] if everywhere else []) + some
    return (f"chưa có số liệu: {'; '.join(parts)} — tổng điểm, xếp loại và hạng chỉ tính các chỉ số "
            "có số liệu")


def province_header(rd: ReportData) -> ReportBlock:
    """Header of the province summary: province, period, methodology, source, time,
    fingerprint, and which sub-indicators lack data."""
    counts = rd.current("totals")["level"].value_counts()
    units = "; ".join(f"{escape_markdown(LEVEL_NAMES[lv].lower())}: {counts[lv]}" for lv in ranked_levels(rd))
    coverage = data_coverage(rd)
    lines = [
        f"- **Tỉnh:** {escape_markdown(rd.meta['province'] or NO_DATA)} (số đơn vị — {units})",
        *_header_lines(rd),
        *([f"- **Lưu ý về số liệu:** {escape_markdown(coverage)}"] if coverage else []),
        *_sample_notice(rd),
    ]
    return ReportBlock("\n".join(lines) + "\n")


def unit_overview(rd: ReportData, unit: str) -> dict:
    """The unit's headline figures: total, band, rank among its level, change since last quarter."""
    row = rd.unit_total(unit)
    previous = _previous_totals(rd).get(unit, np.nan)
    return {
        "unit": unit,
        "name": row["name"],
        "level": row["level"],
        "total": row["total"],
        "band": row["band"],
        "rank": row["rank"],
        "rank_of": row["rank_of"],
        "previous_period": rd.previous_period,
        "previous_total": previous,
        "change": float(round_half_up(row["total"] - previous, 2)),
    }


def unit_summary(rd: ReportData, unit: str) -> ReportBlock:
    """Total /100, band, rank among units of the same level, change since the previous quarter."""
    o = unit_overview(rd, unit)
    if fmt.is_missing(o["total"]):
        return ReportBlock(f"**{NO_DATA}** để tính tổng điểm của đơn vị trong kỳ này.\n")
    lines = [f"- **Tổng điểm: {fmt.number(o['total'])}/100** — xếp loại **{escape_markdown(o['band'])}**"]
    rows = rd.current("indicators")
    no_data = rows[(rows["unit"] == unit) & rows["status"].eq("no_data")]
    if len(no_data):
        # A total over fewer than 100 points of data is not comparable with a complete one: say so.
        lines.append(
            f"- **Lưu ý:** {len(no_data)} chỉ số thành phần ({fmt.number(no_data['max_points'].sum(), 0)} điểm) "
            f"chưa có số liệu ({escape_markdown(', '.join(no_data['indicator']))}); tổng điểm chỉ tính "
            "các chỉ số có số liệu"
        )
    if o["rank_of"] > 1:
        peers = LEVEL_PEERS.get(o["level"], "các đơn vị cùng cấp")
        lines.append(f"- **Xếp hạng:** {o['rank']}/{o['rank_of']} trong {escape_markdown(peers)}")
    if o["previous_period"] is None:
        lines.append("- **So với kỳ trước:** chưa có số liệu kỳ trước để so sánh")
    elif fmt.is_missing(o["previous_total"]):
        label = rd.period_label(o["previous_period"])
        lines.append(f"- **So với {escape_markdown(label)}:** đơn vị chưa có số liệu kỳ đó")
    else:
        label = rd.period_label(o["previous_period"])
        lines.append(
            f"- **So với {escape_markdown(label)}:** {escape_markdown(fmt.signed(o['change']))} điểm "
            f"(kỳ trước {fmt.number(o['previous_total'])} điểm)"
        )
    return ReportBlock("\n".join(lines) + "\n")


# --------------------------------------------------------------------------- unit tables


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


_STATUS_NOTES = {
    "no_data": NO_DATA,
    "not_scored": "Chỉ để phân tích, không tính điểm",
    "official": "chính thức, không tính lại",
}
_NOT_APPLICABLE_NOTES = {
    "full": "Không áp dụng với đơn vị: tính đủ điểm theo phương pháp",
    "zero": "Không áp dụng với đơn vị: 0 điểm theo phương pháp",
}


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
    status = rows["status"].map(_STATUS_NOTES).fillna("")
    missing = rows["detail"].map(_missing_input_vi) if "detail" in rows else pd.Series("", index=rows.index)
    status = status.where(missing.eq(""), status + ": " + missing)
    status[rows["status"].eq("not_applicable")] = _NOT_APPLICABLE_NOTES[rd.meta["commune_not_applicable"]]
    status[rows["status"].eq("ok") & rows["denominator"].eq(0)] = "Không phát sinh trong kỳ (mẫu số 0)"
    average = ("Bình quân " + rows["value"].map(fmt.days)).where(rows["value"].notna(), "")
    flags = rows["source_note"].fillna("").where(~rows["status"].eq("official"), "")  # official: said already
    return pd.Series(["; ".join(filter(None, notes)) for notes in zip(status, average, flags)], index=rows.index)


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
    scored = ~rows["status"].eq("not_scored")
    ratio = rows["ratio"].where(scored & (rows["denominator"].ne(0) | rows["numerator"].isna()))
    threshold = rows["threshold"].where(rows["rule"].eq("threshold"), np.where(rows["rule"].eq("linear"), 1.0, np.nan))
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
    rows = rows[(rows["unit"] == unit) & rows["status"].eq("ok") & (rows["points_lost"] > 0)]
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
            "Thay đổi": _change(total, previous).to_numpy(),
        }
    )


# --------------------------------------------------------------------------- internal edition

DRILLDOWN_KEYS = {
    "procedure": {"MaTTHC": "Mã TTHC", "TenTTHC": "Tên thủ tục"},
    "step": {"BuocXuLy": "Bước xử lý"},
    "official": {"responsible_official": "Mã cán bộ"},
}
UNKNOWN = "(không rõ)"


def _internal(rd: ReportData, name: str, unit: str) -> pd.DataFrame:
    frame = getattr(rd, name)
    if frame is None:
        raise ValueError(f"{name} is only in the internal edition's report data")
    return frame[frame["unit"] == unit]


def overdue_by(rd: ReportData, unit: str, by: str) -> pd.DataFrame:
    """Overdue dossiers of the unit counted by procedure, processing step or official.

    The official is the one who held the dossier when it went past its step's or its
    total deadline (internal edition only). Most overdue first.
    """
    keys = DRILLDOWN_KEYS[by]
    rows = _internal(rd, "overdue", unit)
    present = [k for k in keys if k in rows]
    counts = (
        rows[present].astype(object).fillna(UNKNOWN)
        .value_counts(sort=False).rename("Số hồ sơ quá hạn").reset_index()
        .sort_values(["Số hồ sơ quá hạn", *present], ascending=[False, *[True] * len(present)], kind="stable")
    )
    return counts.rename(columns=keys).reset_index(drop=True)


def supplements_table(rd: ReportData, unit: str) -> pd.DataFrame:
    """Dossiers with more than one supplement request (each is overdue by rule 1 of 2.1)."""
    rows = _internal(rd, "supplements", unit).sort_values(["requests", "MaHoSo"], ascending=[False, True])
    return pd.DataFrame(
        {
            "Mã hồ sơ": rows["MaHoSo"].astype(object),
            "Mã TTHC": rows["MaTTHC"].astype(object),
            "Số lần yêu cầu bổ sung": rows["requests"],
        }
    ).reset_index(drop=True)


def pauses_table(rd: ReportData, unit: str) -> pd.DataFrame:
    """Dossiers paused (tạm dừng) before their end, longest pause first.

    Whether paused time counts against the deadline is the methodology's
    ``subtract_pauses`` setting (no rule in any source).
    """
    rows = _internal(rd, "pauses", unit).sort_values(["paused_days", "MaHoSo"], ascending=[False, True])
    return pd.DataFrame(
        {
            "Mã hồ sơ": rows["MaHoSo"].astype(object),
            "Mã TTHC": rows["MaTTHC"].astype(object),
            "Số ngày tạm dừng": rows["paused_days"],
            "Đúng hạn": rows["on_time"].map({True: "Có", False: "Không"}).astype(object),
        }
    ).reset_index(drop=True)


def late_pakn_table(rd: ReportData, unit: str) -> pd.DataFrame:
    """PAKN handled after the deadline, or still open past it at the end of the quarter."""
    rows = _internal(rd, "late_pakn", unit).sort_values(["NgayTiepNhan", "MaPAKN"])
    return pd.DataFrame(
        {
            "Mã PAKN": rows["MaPAKN"].astype(object),
            "Ngày tiếp nhận": rows["NgayTiepNhan"].map(fmt.date).astype(object),
            "Hạn xử lý": rows["deadline"].map(fmt.date).astype(object),
            "Ngày xử lý xong": rows["NgayXuLyXong"].map(
                lambda d: "Chưa xử lý xong" if fmt.is_missing(d) else fmt.date(d)).astype(object),
            "Số ngày làm việc": rows["working_days"],
        }
    ).reset_index(drop=True)


INTERNAL_LIST_LIMIT = 50


def _capped(frame: pd.DataFrame, empty: str) -> list[ReportBlock]:
    """A long list cut at INTERNAL_LIST_LIMIT rows, saying how many were left out (the
    heading above names the table: no caption)."""
    blocks = [table_block(frame.head(INTERNAL_LIST_LIMIT), empty=empty)]
    if len(frame) > INTERNAL_LIST_LIMIT:
        blocks.append(ReportBlock(f"… và {fmt.integer(len(frame) - INTERNAL_LIST_LIMIT)} dòng khác.\n"))
    return blocks


def internal_blocks(rd: ReportData, unit: str) -> list[ReportBlock]:
    """The internal-edition sections of a unit report (headings included: none shows publicly)."""
    none = "Không có trong kỳ."
    blocks = [
        heading("Phần nội bộ: chi tiết hồ sơ, cán bộ xử lý", 2),
        ReportBlock("> **Tài liệu nội bộ** phục vụ công tác đánh giá cán bộ của Sở Nội vụ, có mã cán bộ xử lý: "
                    "không công bố, không đăng tải.\n"),
    ]
    for by, title in (("procedure", "Hồ sơ quá hạn theo thủ tục"), ("step", "Hồ sơ quá hạn theo bước xử lý"),
                      ("official", "Hồ sơ quá hạn theo cán bộ đang giữ hồ sơ khi quá hạn")):
        blocks += [heading(title), *_capped(overdue_by(rd, unit, by), none)]
    for title, table in (
        ("Hồ sơ yêu cầu bổ sung nhiều hơn một lần", supplements_table(rd, unit)),
        ("Hồ sơ tạm dừng", pauses_table(rd, unit)),
        ("PAKN xử lý quá hạn", late_pakn_table(rd, unit)),
    ):
        blocks += [heading(title), *_capped(table, none)]
    return blocks


# --------------------------------------------------------------------------- province summary


_TABLE_NAMES = {"donvi": "Đơn vị", "tthc": "Thủ tục hành chính", "tthc_donvi": "Thủ tục theo đơn vị",
                "hoso": "Hồ sơ", "hoso_su_kien": "Quá trình xử lý hồ sơ", "pakn": "Phản ánh, kiến nghị",
                "congbo": "Công bố, công khai thủ tục"}


_REASONS_VI = {"required value blank": "thiếu giá trị bắt buộc", "unparseable date": "ngày giờ không đọc được",
               "not a yes/no value": "không phải giá trị có/không", "not a number": "không phải số",
               "identical copy of an earlier row": "trùng hệt một dòng trước",
               "reception after end": "kết thúc trước ngày tiếp nhận"}
_NOUNS_VI = {"unit": "đơn vị", "procedure": "thủ tục", "dossier": "hồ sơ"}


def reason_vi(reason: str) -> str:
    """The loader's reason for setting a row aside, in Vietnamese (unknown ones unchanged).

    >>> reason_vi("unknown unit"), reason_vi("dossier set aside"), reason_vi("duplicate MaHoSo")
    ('đơn vị không có trong danh mục', 'hồ sơ đã bị loại', 'trùng mã MaHoSo')
    """
    if reason in _REASONS_VI:
        return _REASONS_VI[reason]
    first, _, rest = reason.partition(" ")
    if first == "unknown":
        return f"{_NOUNS_VI.get(rest, rest)} không có trong danh mục"
    if rest == "set aside":
        return f"{_NOUNS_VI.get(first, first)} đã bị loại"
    if first == "duplicate":
        return f"trùng mã {rest}"
    return reason


def input_quality_blocks(rd: ReportData) -> list[ReportBlock]:
    """The "Chất lượng dữ liệu đầu vào" section (dossier sources): per input table the rows
    read, accepted and set aside (read = accepted + set aside), the reasons rows were set
    aside, and — internal edition only — the rows themselves (file, row, column, value).
    Official results have no such check: the section says so.
    """
    blocks = [heading("Chất lượng dữ liệu đầu vào", 2)]
    if rd.input_quality is None:
        return blocks + [ReportBlock("Nguồn là kết quả chính thức của Cổng DVCQG: không có dữ liệu hồ sơ "
                                     "để kiểm tra.\n")]
    counts = rd.input_quality.rename(columns={"table": "Bảng", "file": "Tệp", "rows_read": "Số dòng đọc",
                                              "accepted": "Được dùng", "set_aside": "Bị loại"})
    counts["Bảng"] = counts["Bảng"].map(lambda t: f"{_TABLE_NAMES.get(t, t)} ({t})")
    blocks.append(table_block(counts, "Số dòng đọc = được dùng + bị loại, theo từng bảng dữ liệu"))
    reasons = rd.set_aside_reasons
    if reasons is None or reasons.empty:
        return blocks + [ReportBlock("Không có dòng nào bị loại.\n")]
    reasons = reasons.assign(reason=reasons["reason"].map(reason_vi))
    blocks.append(table_block(reasons.rename(columns={"table": "Bảng", "reason": "Lý do", "rows": "Số dòng"}),
                              "Các dòng bị loại, theo lý do"))
    if rd.internal and rd.set_aside is not None:
        rows = rd.set_aside.assign(reason=rd.set_aside["reason"].map(reason_vi)).rename(columns={"table": "Bảng", "file": "Tệp", "row": "Dòng", "column": "Cột",
                                            "value": "Giá trị", "reason": "Lý do"})
        blocks += [heading("Các dòng bị loại (nội bộ)"), *_capped(rows, "Không có.")]
    return blocks




def ranking_table(rd: ReportData, level: str) -> pd.DataFrame:
    """Units of one level by rank (ties share a rank, then by name; no data last).

    Columns: Hạng, Mã, Đơn vị, Tổng điểm, Xếp loại, Thay đổi so với kỳ trước.
    """
    rows = rd.current("totals")
    rows = rows[rows["level"] == level].sort_values(["rank", "name", "unit"], na_position="last", kind="stable")
    previous = _previous_totals(rd)
    return pd.DataFrame(
        {
            "Hạng": rows["rank"],
            "Mã": rows["unit"].astype(object),
            "Đơn vị": rows["name"].astype(object),
            "Tổng điểm": rows["total"],
            "Xếp loại": rows["band"].astype(object),
            "Thay đổi so với kỳ trước": _change(rows["total"], rows["unit"].map(previous).astype(float)),
        }
    ).reset_index(drop=True)


def band_distribution(rd: ReportData) -> pd.DataFrame:
    """Number of units in each band, one row per level: Cấp, <band names...>, Chưa có số liệu, Tổng."""
    rows = rd.current("totals")
    rows = rows[rows["level"].isin(ranked_levels(rd))]
    names = [b["name"] for b in rd.meta["bands"]]
    counts = pd.crosstab(rows["level"], rows["band"].fillna(NO_DATA)).reindex(index=ranked_levels(rd), fill_value=0)
    counts = counts.reindex(columns=names + ([NO_DATA] if NO_DATA in counts else []), fill_value=0)
    counts["Tổng"] = counts.sum(axis=1)
    counts.insert(0, "Cấp", [LEVEL_NAMES[lv] for lv in counts.index])
    return counts.reset_index(drop=True).rename_axis(columns=None)


def movers(rd: ReportData, direction: str = "up", n: int = 5) -> pd.DataFrame:
    """The n units whose total rose (``up``) or fell (``down``) the most since the previous quarter.

    Units of every level but the province; ties by name. Empty when the previous
    quarter is not covered. Columns: Cấp, Mã, Đơn vị, Kỳ trước, Kỳ này, Thay đổi.
    """
    previous = _previous_totals(rd)
    rows = rd.current("totals")
    rows = rows[rows["level"].isin(ranked_levels(rd))].assign(previous=lambda r: r["unit"].map(previous).astype(float))
    rows = rows.assign(change=_change(rows["total"], rows["previous"])).dropna(subset=["change"])
    rows = rows[rows["change"] > 0] if direction == "up" else rows[rows["change"] < 0]
    rows = rows.sort_values(["change", "name"], ascending=[direction != "up", True], kind="stable").head(n)
    return pd.DataFrame(
        {
            "Cấp": rows["level"].map(LEVEL_NAMES).astype(object),
            "Mã": rows["unit"].astype(object),
            "Đơn vị": rows["name"].astype(object),
            "Kỳ trước": rows["previous"],
            "Kỳ này": rows["total"],
            "Thay đổi": rows["change"],
        }
    ).reset_index(drop=True)


def weakest_indicators(rd: ReportData, n: int = 5) -> pd.DataFrame:
    """Sub-indicators with the lowest average share of their maximum across the province's units.

    Only units with data count (status ok or official); the province row itself is left
    out. Columns: Mã, Chỉ số thành phần, Điểm bình quân, Tối đa, Tỷ lệ đạt bình quân (%),
    Số đơn vị chưa đạt tối đa, Số đơn vị chưa có số liệu.
    """
    rows = rd.current("indicators")
    levels = rd.current("totals").set_index("unit")["level"]
    rows = rows[rows["unit"].map(levels).isin(ranked_levels(rd)) & ~rows["status"].isin(["not_scored", "not_applicable"])]
    scored = rows[rows["points"].notna() & (rows["max_points"] > 0)]
    stats = scored.groupby("indicator", sort=False).agg(
        name=("name", "first"),
        points=("points", "mean"),
        max_points=("max_points", "first"),
        short=("points_lost", lambda s: int((s > 0).sum())),
    )
    stats["share"] = stats["points"] / stats["max_points"] * 100
    stats["no_data"] = rows[rows["status"].eq("no_data")].groupby("indicator").size().reindex(stats.index, fill_value=0)
    stats = stats.reset_index().sort_values(["share", "indicator"], kind="stable").head(n)
    return pd.DataFrame(
        {
            "Mã": stats["indicator"].str.replace("-", "–", regex=False).astype(object),
            "Chỉ số thành phần": stats["name"].astype(object),
            "Điểm bình quân": stats["points"],
            "Tối đa": stats["max_points"],
            "Tỷ lệ đạt bình quân (%)": stats["share"],
            "Số đơn vị chưa đạt tối đa": stats["short"],
            "Số đơn vị chưa có số liệu": stats["no_data"],
        }
    ).reset_index(drop=True)


def enforcement_map(rd: ReportData, level: str, by: str = "group") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bản đồ thực thi: units of one level (by rank) × groups (``by="group"``) or
    sub-indicators (``by="indicator"``), then the total.

    Returns ``(points, share)``: ``points`` has Mã, Đơn vị, then one numeric column per group /
    sub-indicator (header "1. Công khai, minh bạch (18)" / "2.1 (20)") and Tổng điểm;
    ``share`` has the same shape with each cell's points / max (total: / 100), NaN for
    the code and name columns and for no data. Colours follow from ``share`` (:func:`map_fills`).
    """
    order = ranking_table(rd, level)[["Mã", "Đơn vị", "Tổng điểm"]]
    key = "group" if by == "group" else "indicator"
    rows = rd.current("groups" if by == "group" else "indicators")
    rows = rows[rows["unit"].isin(order["Mã"])]
    labels = {code: label for code, (label, _) in _map_columns(rd, by).items()}
    columns = [c for c in labels if c in set(rows[key])]
    points = rows.pivot(index="unit", columns=key, values="points").reindex(index=order["Mã"], columns=columns)
    maxima = rows.pivot(index="unit", columns=key, values="max_points").reindex(index=order["Mã"], columns=columns)
    share = points / maxima
    points.columns = share.columns = [labels[c] for c in columns]
    points.insert(0, "Mã", order["Mã"].to_numpy())
    points.insert(1, "Đơn vị", order["Đơn vị"].to_numpy())
    share.insert(0, "Mã", np.nan)
    share.insert(1, "Đơn vị", np.nan)
    points["Tổng điểm"] = order["Tổng điểm"].to_numpy()
    share["Tổng điểm"] = points["Tổng điểm"] / 100
    return points.reset_index(drop=True), share.reset_index(drop=True).astype({"Mã": float, "Đơn vị": float})


def _map_columns(rd: ReportData, by: str) -> dict[str, tuple[str, float]]:
    """Code → (column header, maximum points) of the map's columns, in methodology order:
    "1. Công khai, minh bạch (18)" for a group, "2.1 (20)" for a scored sub-indicator."""
    if by == "group":
        return {g["code"]: (f"{g['code']}. {g['name']} ({fmt.number(g['max_points'], 0)})", g["max_points"])
                for g in rd.meta["groups"]}
    rows = rd.current("indicators")
    rows = rows[~rows["status"].eq("not_scored") & rows["max_points"].notna()].drop_duplicates("indicator")
    return {c: (f"{c.replace('-', '–')} ({fmt.number(m, 0)})", m) for c, m in zip(rows["indicator"], rows["max_points"])}


def map_fills(rd: ReportData, share: pd.DataFrame) -> pd.DataFrame:
    """Cell colours of a map: the light tint of the band a share (× 100) falls in; none when missing."""
    return share.map(lambda value: np.nan if fmt.is_missing(value) else tint(band_of(rd, value * 100)["color"]))


def map_block(rd: ReportData, level: str, by: str, caption: str) -> ReportBlock:
    """The enforcement map of one level as a coloured table (landscape pages in the PDF)."""
    points, share = enforcement_map(rd, level, by)
    if points.empty:
        return ReportBlock("Không có đơn vị.\n")
    # The report shows names only (codes make the wide map wider); the Excel sheet keeps both.
    points, share = points.drop(columns="Mã"), share.drop(columns="Mã")
    return coloured_table(formatted(points), map_fills(rd, share), caption=caption, landscape=by == "indicator")


def band_scale(rd: ReportData) -> str:
    """The bands as plain text: "Xuất sắc ≥ 90; Tốt 80–<90; ...; Yếu < 50"."""
    bands = rd.meta["bands"]
    uppers = [None, *[fmt.number(b["min"], 0) for b in bands[:-1]]]
    parts = []
    for band, upper in zip(bands, uppers):
        low = fmt.number(band["min"], 0)
        span = f"≥ {low}" if upper is None else f"< {upper}" if band["min"] == 0 else f"{low}–<{upper}"
        parts.append(f"{band['name']} {span}")
    return "; ".join(parts)


def band_legend(rd: ReportData) -> ReportBlock:
    """The band scale as a sentence: each map cell is coloured by its share of the cell's maximum."""
    return ReportBlock("Màu của mỗi ô theo tỷ lệ điểm đạt so với điểm tối đa của ô (%), cùng thang xếp loại: "
                       + escape_markdown(band_scale(rd)) + ".\n")


def ranking_blocks(rd: ReportData) -> list[ReportBlock]:
    """One heading and ranking table per level."""
    blocks = []
    for level in ranked_levels(rd):
        name = LEVEL_NAMES[level]
        blocks += [heading(name), table_block(ranking_table(rd, level), f"Xếp hạng {name.lower()}")]
    return blocks


def map_blocks(rd: ReportData) -> list[ReportBlock]:
    """The enforcement map of each level: units × groups, then units × sub-indicators."""
    blocks = [band_legend(rd)]
    for level in ranked_levels(rd):
        name = LEVEL_NAMES[level]
        blocks += [
            heading(name),
            map_block(rd, level, "group", f"Bản đồ thực thi theo nhóm chỉ số — {name.lower()} (điểm)"),
            map_block(rd, level, "indicator", f"Bản đồ thực thi theo chỉ số thành phần — {name.lower()} (điểm)"),
        ]
    return blocks


def movers_blocks(rd: ReportData, n: int = 5) -> list[ReportBlock]:
    """The biggest rises and falls since the previous quarter (or why there are none)."""
    if rd.previous_period is None:
        return [ReportBlock("Chưa có số liệu kỳ trước để so sánh.\n")]
    label = rd.period_label(rd.previous_period)
    return [
        heading("Tăng điểm nhiều nhất"),
        table_block(movers(rd, "up", n), f"Tăng điểm nhiều nhất so với {label}", empty="Không có đơn vị tăng điểm."),
        heading("Giảm điểm nhiều nhất"),
        table_block(movers(rd, "down", n), f"Giảm điểm nhiều nhất so với {label}", empty="Không có đơn vị giảm điểm."),
    ]


# --------------------------------------------------------------------------- Excel


def write_excel(rd: ReportData, path: Path) -> Path:
    """Write the ranking and both enforcement maps to ``path`` (``<run>/bang-xep-hang.xlsx``).

    Sheets: "Xếp hạng" (all levels), "Bản đồ - nhóm", "Bản đồ - chỉ số". Each sheet
    starts with a title row (period, source; "DỮ LIỆU MẪU" for sample data), then the
    Vietnamese header row (frozen, with a filter). Points use the number format
    "0.00"; cells are coloured by band with conditional formats, so they stay right
    when a user edits a value.
    """
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ranking = pd.concat(
        [ranking_table(rd, lv).assign(Cấp=LEVEL_NAMES[lv]) for lv in ranked_levels(rd)], ignore_index=True
    )
    ranking = ranking[["Cấp", *[c for c in ranking.columns if c != "Cấp"]]]
    sheets = [("Xếp hạng", ranking, None)]
    for by, title in (("group", "Bản đồ - nhóm"), ("indicator", "Bản đồ - chỉ số")):
        maps = [enforcement_map(rd, lv, by) for lv in ranked_levels(rd)]
        points = pd.concat([p.assign(Cấp=LEVEL_NAMES[lv]) for (p, _), lv in zip(maps, ranked_levels(rd))], ignore_index=True)
        points = points[["Cấp", *[c for c in points.columns if c != "Cấp"]]]
        maxima = {label: maximum for label, maximum in _map_columns(rd, by).values() if label in points}
        sheets.append((title, points, {**maxima, "Tổng điểm": 100.0}))
    workbook = xlsxwriter.Workbook(path)
    try:
        _write_workbook(workbook, rd, sheets)
    finally:
        workbook.close()
    return path


def _write_workbook(workbook, rd: ReportData, sheets) -> None:
    bold = workbook.add_format({"bold": True})
    title_format = workbook.add_format({"bold": True, "font_size": 13})
    warning = workbook.add_format({"bold": True, "font_color": "#8a3b00", "bg_color": "#fff4e5"})
    header = workbook.add_format({"bold": True, "bg_color": "#eef1f4", "border": 1, "text_wrap": True,
                                  "valign": "top"})
    number_formats = {kind: workbook.add_format({"num_format": f}) for kind, f in EXCEL_FORMATS.items()}
    band_formats = [(b["min"], workbook.add_format({"bg_color": tint(b["color"])})) for b in rd.meta["bands"]]
    no_format = workbook.add_format()
    title = f"Bộ chỉ số phục vụ người dân, doanh nghiệp — {rd.meta['period_label']} — {rd.meta['province'] or ''}"
    note = f"Nguồn: {rd.meta['source_label']}. Phương pháp: {rd.meta['methodology_id']}."
    for name, frame, maxima in sheets:
        sheet = workbook.add_worksheet(name)
        sheet.write(0, 0, title.rstrip(" —"), title_format)
        sheet.write(1, 0, SAMPLE_BANNER if rd.is_sample else note, warning if rd.is_sample else bold)
        header_row = 2
        for col, column in enumerate(frame.columns):
            sheet.write(header_row, col, column, header)
            kind = column_kind(column, frame[column])
            values = frame[column]
            for offset, value in enumerate(values):
                row = header_row + 1 + offset
                if fmt.is_missing(value):
                    sheet.write_blank(row, col, None)
                elif kind is None:
                    sheet.write_string(row, col, str(value))
                else:
                    sheet.write_number(row, col, float(value), number_formats[kind])
            width = max([len(str(column)) * 0.8, *(len(str(v)) for v in values.head(200))], default=8)
            sheet.set_column(col, col, min(max(width + 2, 8), 60))
        last = header_row + len(frame)
        score_columns = maxima or {"Tổng điểm": 100.0}
        for column, maximum in score_columns.items():
            col = list(frame.columns).index(column)
            # Excel compares an empty cell as 0: leave "no data" cells uncoloured first.
            sheet.conditional_format(header_row + 1, col, last, col,
                                     {"type": "blanks", "format": no_format, "stop_if_true": True})
            for band_min, band_format in band_formats:
                # Bands are listed from the highest; stop_if_true keeps the first match only.
                sheet.conditional_format(header_row + 1, col, last, col, {
                    "type": "cell", "criteria": ">=", "value": band_min / 100 * maximum,
                    "format": band_format, "stop_if_true": True,
                })
        sheet.freeze_panes(header_row + 1, 0 if maxima is None else 3)  # maps: level, code, name stay
        sheet.autofilter(header_row, 0, last, len(frame.columns) - 1)
        sheet.set_row(header_row, 45 if maxima else 30)
