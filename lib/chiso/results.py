"""The results store: each period's scored sub-indicators, computed once and kept under ``data/results/``.

A report's trend shows earlier periods (the quarters of a year, the months before a month):
they are computed the first time they are needed and read back afterwards, so that a year's
report with four quarter points does not compute the quarters again, nor does the next
quarter's report.

Key
    A stored result is valid exactly for the inputs it was computed from, so its path is made
    of their fingerprints::

        data/results/<source>/<methodology>/<engine>/<period key>.parquet

    - ``source``: the input fingerprint (sha256 of the data files: ``DossierData.fingerprint``,
      or the official responses' bytes), first 16 hex digits;
    - ``methodology``: its id and the sha256 of its file (a changed threshold is a new key);
    - ``engine``: sha256 of the computing code (``lib/chiso`` without the reporting package)
      and of the rule files in ``params/`` (calendar, contract, columns): results made by an
      older rule are never reused;
    - ``period key``: ``2026-Q3``, ``2026-11``, ``2026``, ``2026-Q4-den-2026-12-15``
      (:attr:`chiso.period.Period.key`).

    Nothing is ever looked up by date or "latest": a different input is a different folder.
    Old folders are only disk space; ``make clean`` removes them.

Writes are atomic (a temporary file renamed into place): two runs computing the same
period, or a run killed mid-write, never leave a half-written result to be read.
``CHISO_RESULTS`` moves the store (tests use a temporary folder).

Example
-------
>>> store = ResultsStore.default()                                       # doctest: +SKIP
>>> scored = store.fetch(fingerprint, methodology, Period.parse("2026-Q1"),
...                      lambda: compute_scores(data, Period.parse("2026-Q1"), methodology))  # doctest: +SKIP
>>> store.hits, store.computed                                           # doctest: +SKIP
(['2026-Q1'], [])
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import pandas as pd

from chiso.methodology import Methodology
from chiso.outputs import OutputError, replacing
from chiso.paths import PACKAGE_DIR, params_dir, results_root
from chiso.period import Period

# Code that presents results but does not compute them: a change there keeps stored results.
PRESENTATION_PARTS = ("report", "templates", "fonts", "cli.py")
# Rule files of params/ (methodologies are keyed on their own; params/sample only shapes the sample's data).
RULE_FILES = ("calendar.yaml", "contract.yaml", "columns.yaml")


@lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """sha256 over the computing code and the rule files (see the module docstring)."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        relative = path.relative_to(PACKAGE_DIR)
        if relative.parts[0] in PRESENTATION_PARTS:
            continue
        digest.update(str(relative).encode() + b"\0" + path.read_bytes())
    for name in RULE_FILES:
        path = params_dir() / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _methodology_key(methodology: Methodology) -> str:
    digest = hashlib.sha256(Path(methodology.path).read_bytes()).hexdigest()
    return f"{methodology.id}-{digest[:12]}"


@dataclass
class ResultsStore:
    """A folder of stored period results; records which periods it served and computed."""

    root: Path
    hits: list[str] = field(default_factory=list)
    computed: list[str] = field(default_factory=list)

    @classmethod
    def default(cls) -> "ResultsStore":
        """``data/results`` in the project, or the folder ``CHISO_RESULTS`` names."""
        return cls(results_root())

    def path(self, fingerprint: str, methodology: Methodology, period: Period) -> Path:
        return (self.root / fingerprint[:16] / _methodology_key(methodology) / engine_fingerprint()[:16]
                / f"{period.key}.parquet")

    def fetch(self, fingerprint: str, methodology: Methodology, period: Period,
              compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """The stored result of ``period`` for these inputs, or ``compute()``'s, stored first."""
        path = self.path(fingerprint, methodology, period)
        if path.is_file():
            try:
                table = pd.read_parquet(path)
            except (OSError, ValueError):  # unreadable (e.g. a disk filled mid-write elsewhere): recompute
                pass
            else:
                self.hits.append(period.key)
                return table
        table = compute()
        self._write(table, path)
        self.computed.append(period.key)
        return table

    def _write(self, table: pd.DataFrame, path: Path) -> None:
        try:
            with replacing(path) as partial:
                table.to_parquet(partial, index=False)
        except OutputError:
            # A read-only or full disk costs only the reuse, never the report.
            return
