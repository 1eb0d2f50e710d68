"""What each status of a sub-indicator row (:mod:`chiso.status`) shows in a report (Vietnamese):
:data:`NOTES`, with :data:`NOT_APPLICABLE_NOTES` for the methodology's ``commune_not_applicable``
setting (docs/methodology.md, assumptions log).
"""

from chiso.status import NO_DATA, NOT_SCORED, OFFICIAL

NOTES = {
    NO_DATA: "Chưa có số liệu",
    NOT_SCORED: "Chỉ để phân tích, không tính điểm",
    OFFICIAL: "chính thức, không tính lại",
}
NOT_APPLICABLE_NOTES = {
    "full": "Không áp dụng với đơn vị: tính đủ điểm theo phương pháp",
    "zero": "Không áp dụng với đơn vị: 0 điểm theo phương pháp",
}
