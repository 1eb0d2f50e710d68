"""Reconciliation: the province's own computation beside the official DVCQG results.

For each unit and sub-indicator that both sources have, the numerators, denominators and
points side by side, with the differences. A difference points at dossiers the province's
system and the national portal count differently (not synced, different dates, a rule
applied differently) — where to look before the official numbers are final.

Units are matched on their code (``MaDonVi`` in the exports, ``departmentCode`` on DVCQG).

Example
-------
>>> table = reconcile(computed, official)                      # doctest: +SKIP
>>> table.query("indicator == '2.1'")[["unit", "numerator_computed", "numerator_official"]]  # doctest: +SKIP
"""

from __future__ import annotations

import pandas as pd

from chiso.errors import ChisoError

KEY = ["unit", "indicator"]
COMPARED = ["numerator", "denominator", "points"]


def reconcile(computed: pd.DataFrame, official: pd.DataFrame) -> pd.DataFrame:
    """Join two scored long tables (``compute_scores`` and ``score_official``) on unit and
    sub-indicator; add ``<column>_difference`` = computed − official for numerator,
    denominator and points, and ``matches`` (all three equal, points to 2 decimals; a
    figure known on one side only does not match).

    Only rows both sources can compute are compared (DVCQG's 3.1–3.3 block and 2.2 are not).
    """
    usable = ["ok", "no_data"]
    left = computed[computed["status"].isin(usable)][KEY + ["unit_name", *COMPARED]]
    right = official[official["status"].isin(usable)][KEY + COMPARED]
    both = left.merge(right, on=KEY, suffixes=("_computed", "_official"), validate="one_to_one")
    if both.empty:
        raise ChisoError("no unit code is common to the two sources: they cannot be reconciled "
                         f"(computed: {', '.join(left['unit'].drop_duplicates().head(3))}…; "
                         f"official: {', '.join(right['unit'].drop_duplicates().head(3))}…)")
    for column in COMPARED:
        both[f"{column}_difference"] = both[f"{column}_computed"] - both[f"{column}_official"]
    both["matches"] = True
    for column, tolerance in (("numerator", 0), ("denominator", 0), ("points", 0.005)):
        computed_value, official_value = both[f"{column}_computed"], both[f"{column}_official"]
        # Both unknown is agreement; a figure on one side only is not.
        same = (both[f"{column}_difference"].abs() <= tolerance) | (computed_value.isna() & official_value.isna())
        both["matches"] &= same
    return both
