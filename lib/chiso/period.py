"""Reporting periods: month, quarter or year, and self-assessment "as of" a date.

A period is the closed interval [start, end] of local times (Asia/Ho_Chi_Minh, kept
naive). ``end`` is the last instant of the period's last day, or of the as-of date.

Example
-------
>>> p = Period.parse("2026-Q2")
>>> p.start, p.end.date()
(Timestamp('2026-04-01 00:00:00'), datetime.date(2026, 6, 30))
>>> Period.parse("2026-Q2", as_of="2026-06-20").label
'2026-Q2 (đến 20/06/2026)'
>>> Period.parse("2026-08").previous().code
'2026-07'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from chiso.errors import ChisoError

_PATTERNS = {
    "quarter": re.compile(r"^(\d{4})-?Q([1-4])$", re.I),
    "month": re.compile(r"^(\d{4})-(\d{1,2})$"),
    "year": re.compile(r"^(\d{4})$"),
}


@dataclass(frozen=True)
class Period:
    kind: str  # "month" | "quarter" | "year"
    year: int
    number: int  # month 1-12, quarter 1-4, or 1 for a year
    as_of: pd.Timestamp | None = None

    @classmethod
    def parse(cls, text: str, as_of: str | pd.Timestamp | None = None) -> "Period":
        """Parse ``2026-Q2``, ``2026-08`` or ``2026``; ``as_of`` must fall inside the period."""
        text = str(text).strip()
        for kind, pattern in _PATTERNS.items():
            m = pattern.match(text)
            if m:
                year = int(m.group(1))
                number = int(m.group(2)) if kind != "year" else 1
                if kind == "month" and not 1 <= number <= 12:
                    break
                period = cls(kind, year, number)
                return period.with_as_of(as_of) if as_of is not None else period
        raise ChisoError(f"period {text!r} not understood: expected 2026-Q2, 2026-08 or 2026")

    @classmethod
    def quarter(cls, year: int, quarter: int) -> "Period":
        return cls("quarter", int(year), int(quarter))

    def with_as_of(self, as_of: str | pd.Timestamp) -> "Period":
        day = pd.Timestamp(as_of).normalize()
        if not (self.start <= day <= self.full_end):
            raise ChisoError(
                f"as-of date {day.date()} is outside period {self.code} "
                f"({self.start.date()} – {self.full_end.date()})"
            )
        return Period(self.kind, self.year, self.number, day)

    @property
    def start(self) -> pd.Timestamp:
        if self.kind == "month":
            return pd.Timestamp(self.year, self.number, 1)
        if self.kind == "quarter":
            return pd.Timestamp(self.year, 3 * self.number - 2, 1)
        return pd.Timestamp(self.year, 1, 1)

    @property
    def full_end(self) -> pd.Timestamp:
        """Last instant of the whole period, ignoring ``as_of``."""
        months = {"month": 1, "quarter": 3, "year": 12}[self.kind]
        return self.start + pd.DateOffset(months=months) - pd.Timedelta(microseconds=1)

    @property
    def end(self) -> pd.Timestamp:
        """Last instant counted: end of the as-of day, or end of the period."""
        if self.as_of is not None:
            return self.as_of + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
        return self.full_end

    @property
    def code(self) -> str:
        if self.kind == "month":
            return f"{self.year}-{self.number:02d}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.number}"
        return f"{self.year}"

    @property
    def label(self) -> str:
        """Short Vietnamese-friendly label, with the as-of date when there is one."""
        if self.as_of is not None:
            return f"{self.code} (đến {self.as_of:%d/%m/%Y})"
        return self.code

    @property
    def label_vi(self) -> str:
        """Vietnamese name: "Quý 2/2026", "Tháng 8/2026", "Năm 2026"."""
        base = {
            "month": f"Tháng {self.number}/{self.year}",
            "quarter": f"Quý {self.number}/{self.year}",
            "year": f"Năm {self.year}",
        }[self.kind]
        return f"{base} (tính đến {self.as_of:%d/%m/%Y})" if self.as_of is not None else base

    def previous(self, steps: int = 1) -> "Period":
        """The period of the same kind ``steps`` before this one (without as-of)."""
        if self.kind == "year":
            return Period("year", self.year - steps, 1)
        per_year = 12 if self.kind == "month" else 4
        index = self.year * per_year + (self.number - 1) - steps
        return Period(self.kind, index // per_year, index % per_year + 1)

    def __str__(self) -> str:
        return self.label
