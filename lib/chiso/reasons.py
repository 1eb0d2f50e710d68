"""Why an input row was set aside, or what a rule counted and kept: each reason a stable code,
defined once here with its Vietnamese and English text.

The loader (:mod:`chiso.sources.dossiers`, with :mod:`chiso.sources.sync`) records the code
in a set-aside row's ``reason``, the column it is about in ``column``, and what tells this
row apart (a length, a character, another unit's code, a JSON error) in ``detail``; the
rule checks (:mod:`chiso.indicators.quality`) record the code alone. Reports say a reason
in Vietnamese, the command line's files in English, both through :func:`text`: nothing
ever reads a sentence back into a reason.

A text may name the column (``{column}``); the detail, when there is one, follows in
parentheses.

>>> text(UNKNOWN_VALUE, column="KenhNop"), text(UNIT_CODE_TOO_LONG, detail="70", language="en")
('không phải giá trị được phép của cột KenhNop', 'unit code longer than 64 characters (70)')
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from chiso.errors import ChisoError
from chiso.paths import MAX_CODE_CHARACTERS

LANGUAGES = ("vi", "en")


@dataclass(frozen=True)
class ReasonText:
    """What a reason says, in each language (``{column}``: the column it is about)."""

    vi: str
    en: str


TEXTS: dict[str, ReasonText] = {}


def _reason(code: str, vi: str, en: str) -> str:
    """Define the reason ``code`` with its texts; the code is the constant's value."""
    if code in TEXTS:
        raise ChisoError(f"reason {code!r} defined twice")
    TEXTS[code] = ReasonText(vi, en)
    return code


# --- cells (chiso.sources.dossiers: the value does not decode to its column's type)
BLANK_REQUIRED = _reason("blank_required", "thiếu giá trị bắt buộc", "required value blank")
UNPARSEABLE_DATE = _reason("unparseable_date", "ngày giờ không đọc được", "unparseable date")
NOT_YES_NO = _reason("not_yes_no", "không phải giá trị có/không", "not a yes/no value")
NOT_A_NUMBER = _reason("not_a_number", "không phải số", "not a number")
UNKNOWN_VALUE = _reason("unknown_value", "không phải giá trị được phép của cột {column}",
                        "not an allowed value of {column}")

# --- references: a code not in the referenced table, or naming a row set aside there
UNKNOWN_UNIT = _reason("unknown_unit", "đơn vị không có trong danh mục", "unknown unit")
UNKNOWN_PROCEDURE = _reason("unknown_procedure", "thủ tục không có trong danh mục", "unknown procedure")
UNKNOWN_DOSSIER = _reason("unknown_dossier", "hồ sơ không có trong danh mục", "unknown dossier")
UNIT_SET_ASIDE = _reason("unit_set_aside", "đơn vị đã bị loại", "unit set aside")
PROCEDURE_SET_ASIDE = _reason("procedure_set_aside", "thủ tục đã bị loại", "procedure set aside")
DOSSIER_SET_ASIDE = _reason("dossier_set_aside", "hồ sơ đã bị loại", "dossier set aside")
# by referenced table of params/contract.yaml (the contract's loader checks each reference has both)
UNKNOWN_REFERENCE = {"donvi": UNKNOWN_UNIT, "tthc": UNKNOWN_PROCEDURE, "hoso": UNKNOWN_DOSSIER}
REFERENCE_SET_ASIDE = {"donvi": UNIT_SET_ASIDE, "tthc": PROCEDURE_SET_ASIDE, "hoso": DOSSIER_SET_ASIDE}

# --- copies of one id
DUPLICATE_KEY = _reason("duplicate_key", "trùng mã {column}, các bản khác nhau",
                        "duplicate {column}, the copies differ")
IDENTICAL_COPY = _reason("identical_copy", "trùng hệt một dòng trước", "identical copy of an earlier row")

# --- implausible values and events (docs/methodology.md §5 R5, R11)
AFTER_EXPORT = _reason("after_export_date", "ngày sau ngày xuất dữ liệu", "date after the export date")
IN_THE_FUTURE = _reason("in_the_future", "ngày trong tương lai", "date in the future")
NEGATIVE_AMOUNT = _reason("negative_amount", "số âm ở cột {column} (không thể có)", "negative value of {column}")
DUE_BEFORE_RECEPTION = _reason("due_before_reception", "hạn trả trước ngày tiếp nhận", "due date before reception")
HANDLED_BEFORE_RECEIVED = _reason("handled_before_received", "xử lý xong trước ngày tiếp nhận",
                                  "handled before received")
UNKNOWN_PARENT = _reason("unknown_parent_unit", "đơn vị cấp trên không có trong danh mục", "unknown parent unit")
PARENT_SET_ASIDE = _reason("parent_unit_set_aside", "đơn vị cấp trên đã bị loại", "parent unit set aside")
EVENT_BEFORE_RECEPTION = _reason("event_before_reception", "sự kiện trước ngày tiếp nhận", "event before reception")
REPEATED_EVENT = _reason("repeated_event", "trùng hồ sơ, sự kiện và thời điểm với dòng trước",
                         "same dossier, event and instant as an earlier row")

# --- unit codes that cannot name a report file (detail: the length, the character, the other code)
UNIT_CODE_TOO_LONG = _reason("unit_code_too_long", f"mã đơn vị dài hơn {MAX_CODE_CHARACTERS} ký tự",
                             f"unit code longer than {MAX_CODE_CHARACTERS} characters")
UNIT_CODE_BAD_CHARACTER = _reason("unit_code_bad_character", "mã đơn vị có ký tự không dùng được trong tên tệp",
                                  "unit code has a character not allowed in file names")
UNIT_CODE_RESERVED = _reason("unit_code_reserved_name", "mã đơn vị là tên tệp dành riêng của Windows",
                             "unit code is a reserved file name on Windows")
UNIT_CODE_CASE_CLASH = _reason("unit_code_case_clash", "mã đơn vị chỉ khác mã của đơn vị khác ở chữ hoa, chữ thường",
                               "unit code differs only by case from another unit's")

# --- DVCQG sync payloads (chiso.sources.sync; detail of invalid JSON: the parser's message)
NOT_A_SYNC_RECORD = _reason("not_a_sync_record",
                            "không phải bản ghi đồng bộ DVCQG (DongBoHoSoMC hoặc CapNhatTienDoHoSoMC)",
                            "not a DVCQG sync record (expected a DongBoHoSoMC or CapNhatTienDoHoSoMC record)")
INVALID_JSON = _reason("invalid_json", "không phải JSON hợp lệ", "not valid JSON")
REPLACED = _reason("replaced_by_later_record", "được thay bằng bản ghi mới hơn của cùng hồ sơ",
                   "replaced by a later record of the same dossier")

# --- counted by the rules, rows kept (chiso.indicators.quality)
LATER_TERMINAL = _reason("later_terminal_event", "có sự kiện kết thúc khác sau khi hồ sơ đã kết thúc",
                         "terminal event of another kind after the end")
LIMIT_NOT_POSITIVE = _reason("time_limit_not_positive", "thời hạn giải quyết không lớn hơn 0 (không dùng được)",
                             "legal time limit not above 0")
BLANK_FEE = _reason("blank_fee_counted", "phí, lệ phí để trống, vẫn tính vào 3.6", "blank fee counted in 3.6")
ONLINE_AT_SOME_UNITS = _reason("online_at_some_units",
                               "thủ tục trực tuyến ở một số đơn vị cùng cấp, không ở đơn vị khác (3.1)",
                               "procedure online at some units of its tier and not others")


def text(reason: str, column: str | None = None, detail: str | None = None, language: str = "vi") -> str:
    """The reason (its code) said in ``language``, about ``column``, with its ``detail`` in parentheses.

    >>> text(DUPLICATE_KEY, column="MaHoSo"), text(INVALID_JSON, detail="unexpected character", language="en")
    ('trùng mã MaHoSo, các bản khác nhau', 'not valid JSON (unexpected character)')
    """
    if reason not in TEXTS:
        raise ChisoError(f"reason {reason!r} is not a reason of this chiso version (chiso.reasons); "
                         f"compute the report data again")
    said = getattr(TEXTS[reason], language).format(column=column)
    return f"{said} ({detail})" if isinstance(detail, str) and detail else said


def with_text(frame: pd.DataFrame, language: str = "vi", name: str = "reason_text") -> pd.DataFrame:
    """``frame`` with the text of each row's reason (about its ``column``, with its ``detail``,
    when the frame has them) in a column ``name`` right after ``reason`` (``<NA>`` where a row
    has no reason); each distinct reason, column and detail is said once.

    >>> with_text(pd.DataFrame({"reason": [BLANK_REQUIRED, BLANK_FEE]}), "en")["reason_text"].tolist()
    ['required value blank', 'blank fee counted in 3.6']
    """
    parts = [c for c in ("reason", "column", "detail") if c in frame.columns]
    keys = list(frame[parts].astype(object).where(frame[parts].notna(), None).itertuples(index=False, name=None))
    said = {key: pd.NA if key[0] is None else text(key[0], **dict(zip(parts[1:], key[1:])), language=language)
            for key in set(keys)}
    out = frame.copy()
    out.insert(list(frame.columns).index("reason") + 1, name, pd.array([said[k] for k in keys], dtype="string"))
    return out
