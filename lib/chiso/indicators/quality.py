"""What the rules noticed in the input, for the data-quality table (docs/methodology.md §5 R1, R4, R6, R7, R11).

The loader sets rows aside (events before reception, repeated events, implausible dates...,
see :mod:`chiso.sources.dossiers`); these are the facts the rules count but keep:
:func:`rule_checks` gives one row per check, with the number of rows concerned (0 included,
so a report can say "none"). Each check is a reason of :mod:`chiso.reasons` (its code and texts).

==========================  ==============================================================  ===========  ========
reason                      check                                                           table        rule
==========================  ==============================================================  ===========  ========
``later_terminal_event``    terminal event of another kind after the end                    hoso         R4
``time_limit_not_positive`` legal time limit not above 0                                    tthc         R6/R11
``blank_fee_counted``       blank fee counted in 3.6                                        hoso         R7
``online_at_some_units``    procedure online at some units of its tier and not others       tthc_donvi   R1 (3.1)
==========================  ==============================================================  ===========  ========
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chiso import reasons
from chiso.indicators.common import Context
from chiso.indicators.online import _highest_tier_offers, _payment_period
from chiso.indicators.timeline import outcomes
from chiso.workdays import WorkingCalendar

CHECKS = {  # reason -> the table whose rows it counts
    reasons.LATER_TERMINAL: "hoso",
    reasons.LIMIT_NOT_POSITIVE: "tthc",
    reasons.BLANK_FEE: "hoso",
    reasons.ONLINE_AT_SOME_UNITS: "tthc_donvi",
}


def rule_checks(data, period, methodology, calendar: WorkingCalendar | None = None) -> pd.DataFrame:
    """table, reason, rows: the counts of :data:`CHECKS` for the whole province in ``period``
    (a check whose input is absent counts 0).

    Example: ``rule_checks(data, Period.parse("2026-Q1"), m)`` → a dossier of Q1 ended by
    TRA_KET_QUA and later also XU_LY_XONG counts 1 under ``later_terminal_event``.
    """
    ctx = Context(data, period, methodology, calendar or WorkingCalendar.default())
    counts = dict.fromkeys(CHECKS, 0)
    counts[reasons.LATER_TERMINAL] = int(outcomes(ctx)["later_terminal"].sum())
    if "ThoiHanGiaiQuyet" in data.tthc:
        counts[reasons.LIMIT_NOT_POSITIVE] = int((data.tthc["ThoiHanGiaiQuyet"] <= 0).sum())
    if ctx.has("hoso", "PhiLePhi") and ctx.has("tthc", "CoPhiLePhi"):
        fee_bearing = ctx.procedure_flag("CoPhiLePhi", ctx.dossier_proc_pos)
        counts[reasons.BLANK_FEE] = int((_payment_period(ctx) & fee_bearing & data.hoso["PhiLePhi"].isna().to_numpy()).sum())
    if ctx.has("tthc_donvi", "MucDoDVCTT"):
        offers = _highest_tier_offers(ctx)
        top = np.flatnonzero(ctx.units["parent"].isna().to_numpy() | (ctx.province_of == np.arange(len(ctx.units))))
        per = offers[offers["ancestor"].isin(top)].groupby(["ancestor", "proc_pos"])["online"].nunique()
        counts[reasons.ONLINE_AT_SOME_UNITS] = int((per > 1).sum())
    return pd.DataFrame([(CHECKS[k], k, n) for k, n in counts.items()], columns=["table", "reason", "rows"])
