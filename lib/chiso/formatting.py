"""Vietnamese text formats for reports: numbers, percentages, changes, dates.

Numbers follow the vi_VN locale (babel): ``.`` groups thousands, ``,`` marks decimals;
dates are dd/mm/yyyy. Values are rounded half up (as the portal rounds points) before
they are formatted, so a displayed figure never disagrees with a computed one. A
missing value prints as an em dash, never as 0.

Escaping for Markdown and Typst lives in :mod:`chiso.report.blocks` (``escape_markdown``,
``escape_typst_string``), for HTML in the standard library (``html.escape``).

Example
-------
>>> number(1234.5), number(2.675), integer(1234), percent(0.958)
('1.234,50', '2,68', '1.234', '95,80%')
>>> signed(2.345), signed(-1.2), signed(float("nan"))
('+2,35', '−1,20', '—')
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import pandas as pd
from babel import Locale
from babel.numbers import parse_pattern

from chiso.scoring import round_half_up

LOCALE = Locale.parse("vi_VN")
MISSING = "—"
MINUS = "−"  # U+2212: a real minus sign, as typeset text uses


@lru_cache(maxsize=None)
def _pattern(decimals: int):
    return parse_pattern("#,##0" + ("." + "0" * decimals if decimals else ""))


def is_missing(value) -> bool:
    """True for None, NaN, NaT and pandas.NA."""
    return value is None or bool(pd.isna(value))


def number(value, decimals: int = 2) -> str:
    """``1234.5`` → ``"1.234,50"``; missing → ``"—"``."""
    if is_missing(value):
        return MISSING
    return _pattern(decimals).apply(float(round_half_up(float(value), decimals)), LOCALE)


def integer(value) -> str:
    """``1234`` → ``"1.234"``; missing → ``"—"``."""
    return number(value, 0)


def percent(ratio, decimals: int = 2) -> str:
    """A fraction as a percentage: ``0.958`` → ``"95,80%"``."""
    if is_missing(ratio):
        return MISSING
    return number(float(ratio) * 100, decimals) + "%"


def signed(value, decimals: int = 2) -> str:
    """A change with its sign: ``+2,35``, ``−1,20``, ``0,00``."""
    if is_missing(value):
        return MISSING
    rounded = float(round_half_up(float(value), decimals))
    text = number(abs(rounded), decimals)
    return ("+" if rounded > 0 else MINUS if rounded < 0 else "") + text


def date(value) -> str:
    """``2026-04-03 14:05`` → ``"03/04/2026"``."""
    if is_missing(value):
        return MISSING
    return pd.Timestamp(value).strftime("%d/%m/%Y")


def date_time(value) -> str:
    """``2026-04-03 14:05`` → ``"03/04/2026 14:05"``."""
    if is_missing(value):
        return MISSING
    return pd.Timestamp(value).strftime("%d/%m/%Y %H:%M")


def days(value, decimals: int = 1) -> str:
    """A duration in days: ``2.25`` → ``"2,3 ngày"``."""
    return MISSING if is_missing(value) else f"{number(value, decimals)} ngày"


def fold_diacritics(text: str) -> str:
    """Vietnamese text without diacritics, đ/Đ as d/D (case kept): for matching headers
    and searching names regardless of accents.

    >>> fold_diacritics("Xã Đồng Hỷ")
    'Xa Dong Hy'
    """
    text = str(text).replace("đ", "d").replace("Đ", "D")
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def clipped(value: object, limit: int = 40) -> str:
    """A value for an error message, cut to ``limit`` characters with its length said (a
    1.6 MB cell must not flood the terminal).

    >>> clipped("H44.19"), clipped("x" * 300)
    ('H44.19', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… (300 characters)')
    """
    text = str(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def capped(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in "…" when cut.

    >>> capped("Ủy ban nhân dân xã Đồng Hỷ", 12)
    'Ủy ban nhân…'
    """
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"
