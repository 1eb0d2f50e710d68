"""A tiny, hand-computed ReportData shared by the report tests (tables, charts, site, notebooks).

Methodology qd766-2022. Every sub-indicator is full (numerator = denominator = 10)
except where listed; totals follow by hand:

=====  ======================  ===============================  ===========  ======================
unit   level, name             2026-Q2 (reported)               Q2 total     Q1 total
=====  ======================  ===============================  ===========  ======================
P      province "Tỉnh Mẫu"     all full                         100.00       100.00
D1     department "Sở A"       2.1 = 958/1000 → 19.16           99.16 (2nd)  90.00 (2.1 = 500/1000)
D2     department "Sở B"       2.1 = 958/1000 → 19.16           99.16 (2nd)  99.16
D3     department EVIL_NAME    5.3 = 80/100 → 6·0.8/0.9 = 5.33  99.33 (1st)  100.00
D4     department "Sở D"       5.1, 5.2 no data: group 5 = 6    88.00 (4th)  — (absent)
C1     commune "Xã Một"        all full                         100.00 (1st) 100.00
C2     commune "Xã Hai"        1.4 = 50/100 → 3.00              97.00 (2nd)  98.00 (2.1 = 900/1000)
=====  ======================  ===============================  ===========  ======================

So: department ranks 1, 2, 2, 4 (a tie); movers up D1 +9.16; down C2 −1.00, D3 −0.67;
weakest sub-indicators 1.4 (33/36 = 91.67 %), 5.3 (35.33/36 = 98.14 %), 2.1 (118.32/120
= 98.60 %); what it takes for D1: 42 more on-time dossiers ⇒ +0.84 points. The internal
drill-down (D1 only) has 4 overdue dossiers (3 of procedure 1.001, 3 held by CB01).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chiso.methodology import load_methodology
from chiso.period import Period
from chiso.report.data import assemble_report_data
from chiso.scoring import score_indicators

EVIL_NAME = "<script>alert(1)</script> | *x*"
METHODOLOGY = load_methodology("qd766-2022")
UNITS = pd.DataFrame(
    {
        "unit": ["P", "D1", "D2", "D3", "D4", "C1", "C2"],
        "name": ["Tỉnh Mẫu", "Sở A", "Sở B", EVIL_NAME, "Sở D", "Xã Một", "Xã Hai"],
        "level": ["province", "department", "department", "department", "department", "commune", "commune"],
        "parent": [None, "P", "P", "P", "P", "P", "P"],
    }
).astype({"unit": "string", "name": "string", "parent": "string"})
# (unit, indicator) -> (numerator, denominator) where not full.
CHANGES = {
    "2026-Q2": {("D1", "2.1"): (958, 1000), ("D2", "2.1"): (958, 1000), ("D3", "5.3"): (80, 100),
                ("D4", "5.1"): (np.nan, np.nan), ("D4", "5.2"): (np.nan, np.nan), ("C2", "1.4"): (50, 100)},
    "2026-Q1": {("D1", "2.1"): (500, 1000), ("D2", "2.1"): (958, 1000), ("C2", "2.1"): (900, 1000)},
}
ABSENT = {"2026-Q1": {"D4"}, "2026-Q2": set()}


def scored_period(code: str) -> pd.DataFrame:
    """The scored long table of one period, as a source would produce it."""
    units = UNITS[~UNITS["unit"].isin(ABSENT[code])]
    rows = [
        {"unit": u, "level": lv, "indicator": c, "numerator": n, "denominator": d}
        for u, lv in zip(units["unit"], units["level"])
        for c in METHODOLOGY.codes
        for n, d in [CHANGES[code].get((u, c), (10, 10))]
    ]
    scored = score_indicators(pd.DataFrame(rows), METHODOLOGY)
    scored.loc[scored["indicator"] == "2.2", "value"] = 4.25
    return scored


def tiny_report_data(edition: str = "public", sample: bool = True):
    drilldown = {
        "overdue": pd.DataFrame(
            {
                "unit": ["D1"] * 4,
                "MaHoSo": ["H1", "H2", "H3", "H4"],
                "MaTTHC": ["1.001", "1.001", "1.002", "1.001"],
                "TenTTHC": ["Cấp phép <b>", "Cấp phép <b>", "Đăng ký", "Cấp phép <b>"],
                "BuocXuLy": ["Thẩm định", "Phê duyệt", "Thẩm định", None],
                "responsible_official": ["CB01", "CB02", "CB01", "CB01"],
            }
        ),
        "supplements": pd.DataFrame({"unit": ["D1", "D1"], "MaHoSo": ["H2", "H5"], "MaTTHC": ["1.001", "1.002"],
                                     "requests": [2, 3]}),
        "pauses": pd.DataFrame({"unit": ["D1"], "MaHoSo": ["H6"], "MaTTHC": ["1.002"], "TenTTHC": ["Đăng ký"],
                                "paused_days": [4.5], "on_time": [True]}),
        "late_pakn": pd.DataFrame({"unit": ["D1"], "MaPAKN": ["PA1"],
                                   "NgayTiepNhan": [pd.Timestamp("2026-04-02")],
                                   "deadline": [pd.Timestamp("2026-04-23")], "NgayXuLyXong": [pd.NaT],
                                   "working_days": [40.0], "late_reason": ["open past deadline"]}),
    }
    return assemble_report_data(
        {code: scored_period(code) for code in ("2026-Q1", "2026-Q2")},
        UNITS,
        METHODOLOGY,
        Period.quarter(2026, 2),
        source_kind="sample" if sample else "dossiers",
        province="Tỉnh Mẫu",
        fingerprint="0" * 64,
        edition=edition,
        extra_tables=drilldown,
    )
