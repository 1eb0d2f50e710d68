"""Status of a sub-indicator row in the report data (``indicators.status``), defined once.

The computing side sets ``ok``, ``no_data`` and ``not_applicable``; the report data adds
``not_scored`` (the methodology's ``rule: not_scored``, 2.2 in QĐ 766) and ``official``
(the online-services block imported as DVCQG's total). What each status shows in a
report is :data:`NOTES` (Vietnamese), with :data:`NOT_APPLICABLE_NOTES` for the
methodology's ``commune_not_applicable`` setting (docs/methodology.md, assumptions log).

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

NOTES = {
    NO_DATA: "Chưa có số liệu",
    NOT_SCORED: "Chỉ để phân tích, không tính điểm",
    OFFICIAL: "chính thức, không tính lại",
}
NOT_APPLICABLE_NOTES = {
    "full": "Không áp dụng với đơn vị: tính đủ điểm theo phương pháp",
    "zero": "Không áp dụng với đơn vị: 0 điểm theo phương pháp",
}
