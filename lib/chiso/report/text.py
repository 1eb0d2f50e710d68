"""Text blocks of the reports: titles, headers (who, what period, which data) and the unit's summary."""

from __future__ import annotations

import numpy as np
import pandas as pd

from chiso import formatting as fmt
from chiso import status
from chiso.errors import ChisoError
from chiso.report.blocks import ReportBlock, escape_markdown
from chiso.report.data import ReportData
from chiso.report.tables import NO_DATA, previous_totals, ranked_levels
from chiso.scoring import LEVEL_NAMES_VI, round_half_up
# "ranked among ..." for a unit's rank.
LEVEL_PEERS = {
    "province": "các tỉnh",
    "department": "các sở, ban, ngành",
    "district": "các huyện",
    "commune": "các xã, phường",
}
SAMPLE_BANNER = "DỮ LIỆU MẪU (HƯ CẤU) — không phải số liệu thật của bất kỳ đơn vị nào"
EDITION_NAMES = {"public": "Công khai", "internal": "Nội bộ (phục vụ đánh giá cán bộ, không công bố)"}


def report_title(rd: ReportData, unit: str | None = None) -> str:
    """Plain-text title of a report (for the renderer's title and the site)."""
    subject = rd.unit_total(unit)["name"] if unit else f"Tổng hợp toàn tỉnh — {rd.meta['province'] or ''}".rstrip(" —")
    return f"{subject} — Bộ chỉ số phục vụ người dân, doanh nghiệp, {rd.meta['period_label']}"


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


def cutoff_text(meta: dict) -> str:
    """The cut-off every report states: "hết ngày 31/12/2026", or for a self-assessment
    "hết ngày 15/12/2026 (tự đánh giá; kỳ kết thúc ngày 31/12/2026)"."""
    text = f"hết ngày {meta['period_end']}"
    if meta.get("as_of"):
        text += f" (tự đánh giá; kỳ kết thúc ngày {meta['period_full_end']})"
    return text


def export_date_text(rd: ReportData) -> str | None:
    """Dossier sources: the export date beside the period, with a warning when it is before
    the period's end (docs/methodology.md §5 R9), as markdown; None for official sources.

    >>> export_date_text(rd)  # doctest: +SKIP
    '30/06/2026 (\\_metadata\\.json)'
    """
    info = rd.export_info
    if info is None or not len(info):
        return None
    exported, end = info["export_date"].iloc[0], info["period_end"].iloc[0]
    if pd.isna(exported):
        return "không rõ (các thông tin không ghi ngày được đọc như khi xuất)"
    text = f"{exported:%d/%m/%Y} ({escape_markdown(str(info['source'].iloc[0]))})"
    if exported < end.normalize():
        text += " **— lưu ý: dữ liệu xuất trước khi kỳ báo cáo kết thúc, thiếu những gì xảy ra sau ngày xuất**"
    return text


def _header_lines(rd: ReportData) -> list[str]:
    meta = rd.meta
    generated = fmt.date_time(pd.Timestamp(meta["generated_at"]).tz_localize(None))
    exported = export_date_text(rd)
    return [
        f"- **Kỳ đánh giá:** {escape_markdown(meta['period_label'])} "
        f"({escape_markdown(meta['period_start'])} – {escape_markdown(meta['period_end'])})",
        f"- **Số liệu tính đến:** {escape_markdown(cutoff_text(meta))}",
        *([f"- **Ngày xuất dữ liệu:** {exported}"] if exported else []),
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
        f"cấp: {escape_markdown(LEVEL_NAMES_VI.get(row['level'], row['level']))})",
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
    missing = rows[rows["status"].eq(status.NO_DATA)]
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
    units = "; ".join(f"{escape_markdown(LEVEL_NAMES_VI[lv].lower())}: {counts[lv]}" for lv in ranked_levels(rd))
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
    previous = previous_totals(rd).get(unit, np.nan)
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


def outlook_line(rd: ReportData, unit: str) -> str | None:
    """A self-assessment's warning: what can still move before the period ends, by how much at most
    (:func:`chiso.outlook.outlook_sentence`); None for a whole period or nothing open."""
    from chiso.outlook import outlook_sentence

    if rd.outlook is None or not rd.meta.get("as_of"):
        return None
    sentence = outlook_sentence(rd.outlook[rd.outlook["unit"] == unit], rd.meta["period_full_end"])
    return sentence or f"Đến hết kỳ ({rd.meta['period_full_end']}) không còn hồ sơ, PAKN nào có thể làm giảm điểm."


def unit_summary(rd: ReportData, unit: str) -> ReportBlock:
    """Total /100, band, rank among units of the same level, change since the previous quarter;
    for a self-assessment, what can still move before the period ends."""
    o = unit_overview(rd, unit)
    if fmt.is_missing(o["total"]):
        return ReportBlock(f"**{NO_DATA}** để tính tổng điểm của đơn vị trong kỳ này.\n")
    lines = [f"- **Tổng điểm: {fmt.number(o['total'])}/100** — xếp loại **{escape_markdown(o['band'])}**"]
    outlook = outlook_line(rd, unit)
    if outlook:
        lines.append(f"- **Tự đánh giá đến {escape_markdown(rd.meta['as_of'])}:** {escape_markdown(outlook)}")
    rows = rd.current("indicators")
    no_data = rows[(rows["unit"] == unit) & rows["status"].eq(status.NO_DATA)]
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
