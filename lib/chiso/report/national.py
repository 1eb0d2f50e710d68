"""The province among all provinces: the national table of the period (DVCQG ``service-results``).

Official sources that include the national table (``chiso fetch-official`` saves it as
``service-results.json``) give every province's published total and six group scores
(CKMB, TDGQ, CLGQ, MDSH, MDHL, TTTT: DVCQG's layout, methodology ``dvcqg-2025``); chiso
ranks them (ties share a rank) and gives the change from the previous period: the
published ``scoreDelta``, else the difference with the previous period's table when it
was fetched too. Sample data gets a sample national table — fictional provinces around the
sample province's own scores — labelled as sample wherever it is shown.

Example
-------
>>> table = national_table(load_report_data("reports/2026-Q3/_data"))   # doctest: +SKIP
>>> table.query("is_province")[["rank", "rank_of", "total", "change"]]   # doctest: +SKIP
   rank  rank_of  total  change
     26       34  61.39    1.47
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chiso import formatting as fmt
from chiso.methodology import load_methodology
from chiso.report.blocks import ReportBlock, escape_markdown
from chiso.report.data import ReportData
from chiso.report.tables import change, heading, table_block
from chiso.sources.official import NATIONAL_GROUPS, ONLINE_BLOCK

DVCQG_LAYOUT = "dvcqg-2025"  # the methodology whose six groups are the national table's, in order
SAMPLE_PROVINCES = 34  # provinces and cities since 7/2025
SAMPLE_NOTE = "Bảng xếp hạng toàn quốc MẪU (hư cấu): các tỉnh khác và điểm của họ không có thật."
COLUMNS = ["rank", "rank_of", "department_id", "name", "code", "total", *NATIONAL_GROUPS, "change", "rank_change", "is_province"]


def group_names() -> dict[str, str]:
    """National group code -> "Công khai, minh bạch (18)", from the DVCQG-layout methodology."""
    groups = load_methodology(DVCQG_LAYOUT).groups
    return {code: f"{g.name} ({fmt.number(g.max_points, 0)})" for code, g in zip(NATIONAL_GROUPS, groups)}


def national_ranking(current: pd.DataFrame, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rank the provinces of a national table (``chiso.sources.official.national_table``).

    ``rank``: by total, highest first; equal totals share the best rank (1, 2, 2, 4).
    ``change``: the published ``score_delta``, else total − previous period's total;
    ``rank_change``: previous rank − rank (positive: moved up), when ``previous`` is given.

    >>> t = pd.DataFrame({"department_id": list("abc"), "name": ["A", "B", "C"], "code": None,
    ...                   "total": [70.0, 80.0, 80.0], "score_delta": np.nan, "is_province": [True, False, False],
    ...                   **{g: np.nan for g in NATIONAL_GROUPS}})
    >>> national_ranking(t)[["name", "rank"]].to_dict("list")
    {'name': ['B', 'C', 'A'], 'rank': [1, 1, 3]}
    """
    table = current.copy()
    table["rank"] = table["total"].rank(method="min", ascending=False).astype("Int64")
    table["rank_of"] = len(table)
    table["change"] = table["score_delta"] if "score_delta" in table else np.nan
    table["rank_change"] = pd.array([pd.NA] * len(table), dtype="Int64")
    if previous is not None and len(previous):
        before = previous.assign(prev_rank=previous["total"].rank(method="min", ascending=False))
        before = before.set_index("department_id")
        prev_total = table["department_id"].map(before["total"])
        table["change"] = table["change"].fillna(change(table["total"], prev_total))
        table["rank_change"] = (table["department_id"].map(before["prev_rank"]) - table["rank"]).astype("Int64")
    return table.sort_values(["rank", "name"])[COLUMNS].reset_index(drop=True)


def national_table(rd: ReportData) -> pd.DataFrame | None:
    """The national ranking a report shows: the official source's, the sample's (fictional),
    or None (the source has none)."""
    if rd.national is not None and len(rd.national):
        return rd.national
    if rd.is_sample:
        previous = rd.previous_period
        return national_ranking(_sample_table(rd, rd.period), _sample_table(rd, previous) if previous else None)
    return None


def _sample_table(rd: ReportData, period: str) -> pd.DataFrame:
    """Fictional provinces (seeded by the period) around the sample province's own group
    scores in DVCQG's six groups."""
    layout = load_methodology(DVCQG_LAYOUT)
    national_group = {ind: code for code, g in zip(NATIONAL_GROUPS, layout.groups) for ind in g.indicators}
    national_group[ONLINE_BLOCK] = national_group["3.1"]
    rows = rd.indicators[(rd.indicators["period"] == period)]
    province = rd.units.loc[rd.units["level"] == "province", "unit"]
    own = rows[rows["unit"].isin(province)]
    own_groups = own.assign(g=own["indicator"].map(national_group)).groupby("g")["points"].sum().round(2)
    rng = np.random.default_rng(sum(map(ord, period)) * 766)
    maxima = {code: g.max_points for code, g in zip(NATIONAL_GROUPS, layout.groups)}
    table = [{"department_id": "sample", "name": rd.meta.get("province") or "Tỉnh mẫu", "code": None,
              **{g: float(own_groups.get(g, 0.0)) for g in NATIONAL_GROUPS}}]
    for n in range(1, SAMPLE_PROVINCES):
        level = rng.uniform(0.45, 0.95)
        table.append({"department_id": f"sample-{n:02d}", "name": f"Tỉnh mẫu {n:02d}", "code": None,
                      **{g: round(float(m * min(1.0, level + rng.uniform(-0.1, 0.1))), 2) for g, m in maxima.items()}})
    frame = pd.DataFrame(table)
    frame["total"] = frame[list(NATIONAL_GROUPS)].sum(axis=1).round(2)
    frame["score_delta"] = np.nan
    frame["is_province"] = frame["department_id"].eq("sample")
    return frame


def province_position(rd: ReportData) -> str | None:
    """"UBND tỉnh Phú Thọ xếp hạng 26/34 tỉnh, thành phố (61,39 điểm; +1,47 điểm, lên 3 bậc so
    với kỳ trước)", or None without a national table."""
    table = national_table(rd)
    if table is None or not table["is_province"].any():
        return None
    row = table[table["is_province"]].iloc[0]
    tie = " (đồng hạng)" if (table["rank"] == row["rank"]).sum() > 1 else ""
    moves = []
    if pd.notna(row["change"]):
        moves.append(f"{'+' if row['change'] > 0 else ''}{fmt.number(row['change'])} điểm")
    if pd.notna(row["rank_change"]) and row["rank_change"] != 0:
        moves.append(f"{'lên' if row['rank_change'] > 0 else 'xuống'} {abs(int(row['rank_change']))} bậc")
    elif pd.notna(row["rank_change"]):
        moves.append("giữ nguyên hạng")
    since = f"; {', '.join(moves)} so với kỳ trước" if moves else ""
    return (f"{row['name']} xếp hạng {int(row['rank'])}/{int(row['rank_of'])} tỉnh, thành phố{tie} "
            f"({fmt.number(row['total'])} điểm{since})")


def display_table(rd: ReportData) -> pd.DataFrame:
    """The national table with Vietnamese headers; the province's row is marked ▶."""
    table = national_table(rd)
    names = group_names()
    return pd.DataFrame({
        "Hạng": table["rank"],
        "Tỉnh, thành phố": np.where(table["is_province"], "▶ " + table["name"].astype(str), table["name"]),
        "Tổng điểm": table["total"],
        **{names[g]: table[g] for g in NATIONAL_GROUPS},
        "Thay đổi điểm": table["change"],
        "Thay đổi hạng": table["rank_change"],
    })


def national_blocks(rd: ReportData) -> list[ReportBlock]:
    """The summary's "Vị trí của tỉnh trong cả nước" section (nothing without a national table)."""
    sentence = province_position(rd)
    if sentence is None:
        return []
    blocks = [heading("Vị trí của tỉnh trong cả nước", 2)]
    if national_table(rd) is not None and rd.national is None:
        blocks.append(ReportBlock(f"**{escape_markdown(SAMPLE_NOTE)}**\n"))
    blocks.append(ReportBlock(escape_markdown(sentence) + ". Hạng tính theo tổng điểm Cổng DVCQG công bố; các tỉnh "
                              "bằng điểm cùng hạng; thay đổi hạng dương là tăng bậc.\n"))
    blocks.append(table_block(display_table(rd), "Bảng xếp hạng các tỉnh, thành phố trong kỳ"
                              + (" (MẪU)" if rd.national is None else "")))
    return blocks
