"""Status of a sub-indicator row (column ``status``), defined once for computing and reports.

Computing sets ``ok``, ``no_data`` and ``not_applicable`` (:mod:`chiso.indicators`,
:mod:`chiso.scoring`) and, from official data, ``not_scored`` and ``official``
(:func:`chiso.sources.official.score_official`); the report data sets all five
(:mod:`chiso.report.data`). ``not_scored`` is the status of a sub-indicator whose
methodology rule is :data:`chiso.methodology.RULE_NOT_SCORED` (2.2 in QĐ 766): the rule
says how an indicator is scored, the status what a row is. What each status shows in a
report is :data:`chiso.report.status.NOTES`.

>>> [s for s in STATUSES if s not in SCORED]
['not_scored', 'not_applicable']
"""

OK = "ok"                          # computed from data
NO_DATA = "no_data"                # nothing to compute from: "chưa có số liệu", never 0
NOT_SCORED = "not_scored"          # analysis only (methodology rule not_scored)
NOT_APPLICABLE = "not_applicable"  # does not apply to the unit (methodology setting)
OFFICIAL = "official"              # DVCQG's points, not recomputed (online-services block)
STATUSES = (OK, NO_DATA, NOT_SCORED, NOT_APPLICABLE, OFFICIAL)
# Rows that count towards a unit's comparison of sub-indicators (averages, weakest ones).
SCORED = (OK, NO_DATA, OFFICIAL)
# Rows a score-table user can compare with another source (chiso compute / reconcile).
COMPARABLE = (OK, NO_DATA)
