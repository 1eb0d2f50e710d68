"""Reporting periods: month, quarter or year, and self-assessment "as of" a date.

A period is the closed interval [start, end] of local times (Asia/Ho_Chi_Minh, kept
naive). ``end`` is the last instant of the period's last day, or of the as-of date (the
cut-off of a self-assessment: every deadline is judged at it, events after it are unknown).

Names
    ``code`` (``2026``, ``2026-11``, ``2026-Q4``) names the whole period; ``key`` adds the
    cut-off (``2026-Q4-den-2026-12-15``, "đến" = up to) and names the report folder and the
    stored results; :meth:`Period.parse` reads all of them back.

Comparable periods (the trend)
    :meth:`Period.previous` steps back by periods of the same kind; :meth:`Period.parts`
    splits a year into quarters or a quarter into months. A self-assessment's earlier
    periods are whole periods (they have ended).

Example
-------
>>> p = Period.parse("2026-Q2")
>>> p.start, p.end.date()
(Timestamp('2026-04-01 00:00:00'), datetime.date(2026, 6, 30))
>>> Period.parse("2026-Q2", as_of="2026-06-20").label
'2026-Q2 (đến 20/06/2026)'
>>> Period.parse("2026-Q4", as_of="2026-12-15").key
'2026-Q4-den-2026-12-15'
>>> Period.parse("2026-Q4-den-2026-12-15").as_of.date()
datetime.date(2026, 12, 15)
>>> Period.parse("2026-08").previous().code
'2026-07'
>>> [q.code for q in Period.parse("2026").parts()]
['2026-Q1', '2026-Q2', '2026-Q3', '2026-Q4']
>>> Period.from_options(year=2026, month=11).code
'2026-11'
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
# "2026-Q4-den-2026-12-15": a period cut at a date ("đến" = up to), as in folder names.
CUTOFF_SEPARATOR = "-den-"
_CUTOFF = re.compile(r"^(?P<period>.+?)" + CUTOFF_SEPARATOR + r"(?P<date>\d{4}-\d{2}-\d{2})$", re.I)
# Periods of the next smaller kind that make up a period (a year's quarters, a quarter's months).
_PARTS = {"year": "quarter", "quarter": "month"}


@dataclass(frozen=True)
class Period:
    kind: str  # "month" | "quarter" | "year"
    year: int
    number: int  # month 1-12, quarter 1-4, or 1 for a year
    as_of: pd.Timestamp | None = None

    @classmethod
    def parse(cls, text: str, as_of: str | pd.Timestamp | None = None) -> "Period":
        """Parse ``2026-Q2``, ``2026-08`` or ``2026`` (or a :attr:`key` such as
        ``2026-Q4-den-2026-12-15``); ``as_of`` must fall inside the period."""
        text = str(text).strip()
        cut = _CUTOFF.match(text)
        if cut and as_of is None:
            text, as_of = cut["period"], cut["date"]
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

    @classmethod
    def from_options(cls, year: int, quarter: int | None = None, month: int | None = None,
                     as_of: str | None = None) -> "Period":
        """The period of ``make report`` variables: YEAR alone is the year, with QUARTER the
        quarter, with MONTH the month; AS_OF cuts it at a date.

        >>> Period.from_options(2026, quarter=4, as_of="2026-12-15").key
        '2026-Q4-den-2026-12-15'
        """
        if quarter and month:
            raise ChisoError("give a quarter or a month, not both")
        if quarter:
            if not 1 <= int(quarter) <= 4:
                raise ChisoError(f"quarter {quarter!r} not understood: expected 1 to 4")
            text = f"{int(year)}-Q{int(quarter)}"
        elif month:
            text = f"{int(year)}-{int(month):02d}"
        else:
            text = f"{int(year)}"
        return cls.parse(text, as_of=as_of or None)

    def with_as_of(self, as_of: str | pd.Timestamp) -> "Period":
        try:
            day = pd.Timestamp(as_of).normalize()
        except (ValueError, TypeError):
            raise ChisoError(f"as-of date {as_of!r} not understood: expected a date such as 2026-12-15") from None
        if pd.isna(day):
            raise ChisoError(f"as-of date {as_of!r} not understood: expected a date such as 2026-12-15")
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
    def key(self) -> str:
        """The code with the cut-off, if any: ``2026-Q4-den-2026-12-15``; names folders and stored results."""
        if self.as_of is not None:
            return f"{self.code}{CUTOFF_SEPARATOR}{self.as_of:%Y-%m-%d}"
        return self.code

    @property
    def whole(self) -> "Period":
        """The same period without a cut-off."""
        return Period(self.kind, self.year, self.number)

    @property
    def cutoff_label(self) -> str:
        """What a report says about its cut-off: "số liệu tính đến hết ngày 15/12/2026"."""
        return f"số liệu tính đến hết ngày {self.end:%d/%m/%Y}"

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

    def parts(self) -> list["Period"]:
        """The quarters of a year or the months of a quarter, in order ([] for a month).
        Cut at the as-of date: parts starting after it are left out, the one holding it is cut.

        >>> [p.key for p in Period.parse("2026", as_of="2026-08-10").parts()]
        ['2026-Q1', '2026-Q2', '2026-Q3-den-2026-08-10']
        """
        kind = _PARTS.get(self.kind)
        if kind is None:
            return []
        first = self.start.month if kind == "month" else 1
        count = 4 if kind == "quarter" else 3
        parts = [Period(kind, self.year, (first + n) if kind == "month" else n + 1) for n in range(count)]
        if self.as_of is None:
            return parts
        return [p.with_as_of(self.as_of) if p.start <= self.as_of <= p.full_end else p
                for p in parts if p.start <= self.as_of]

    def contains(self, other: "Period") -> bool:
        """True when ``other`` lies within this period (cut-offs included)."""
        return self.start <= other.start and other.end <= self.end

    def previous(self, steps: int = 1) -> "Period":
        """The period of the same kind ``steps`` before this one (without as-of)."""
        if self.kind == "year":
            return Period("year", self.year - steps, 1)
        per_year = 12 if self.kind == "month" else 4
        index = self.year * per_year + (self.number - 1) - steps
        return Period(self.kind, index // per_year, index % per_year + 1)

    def __str__(self) -> str:
        return self.label
