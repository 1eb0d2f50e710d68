"""The codes the rules read — event kinds, their roles and precedence, status codes — defined once.

They live in ``params/contract.yaml`` (``events`` and ``status_codes``); the loader
(allowed ``SuKien`` values), the per-dossier timeline of :mod:`chiso.indicators.timeline`,
the indicators and the sample generator all take them from here.

Example
-------
>>> EVENTS.code("TIEP_NHAN"), EVENTS.terminal[:2], STATUS.online_channel
(0, ('XU_LY_XONG', 'TRA_KET_QUA'), 2)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from chiso.errors import ChisoError
from chiso.paths import params_dir


@dataclass(frozen=True)
class EventKinds:
    """The event kinds of ``hoso_su_kien`` (codes = positions in ``kinds``) and their roles."""

    kinds: tuple[str, ...]
    reception: str
    withdrawal: str
    supplement_request: str
    supplement_done: str
    pause: str
    resume: str
    end_precedence: tuple[tuple[str, ...], ...]  # tiers, highest first
    result: tuple[str, ...]

    @property
    def terminal(self) -> tuple[str, ...]:
        """Terminal kinds in precedence order (highest first)."""
        return tuple(kind for tier in self.end_precedence for kind in tier)

    def code(self, kind: str) -> int:
        return self.kinds.index(kind)

    def rank(self, kind: str) -> int:
        """Precedence tier of a terminal kind (0 = highest), to break ties at one instant."""
        return next(n for n, tier in enumerate(self.end_precedence) if kind in tier)


@dataclass(frozen=True)
class StatusCodes:
    online_channel: int
    online_service_levels: tuple[str, ...]
    unsatisfied_rating: str


def _read(path: Path) -> tuple[EventKinds, StatusCodes]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        ev, st = doc["events"], doc["status_codes"]
        events = EventKinds(
            kinds=tuple(ev["kinds"]), reception=ev["reception"], withdrawal=ev["withdrawal"],
            supplement_request=ev["supplement"][0], supplement_done=ev["supplement"][1],
            pause=ev["pause"][0], resume=ev["pause"][1],
            end_precedence=tuple(tuple(tier) for tier in ev["end_precedence"]), result=tuple(ev["result"]),
        )
        status = StatusCodes(online_channel=int(st["online_channel"]),
                             online_service_levels=tuple(st["online_service_levels"]),
                             unsatisfied_rating=st["unsatisfied_rating"])
    except (KeyError, IndexError, TypeError) as exc:
        raise ChisoError(f"{path}: events / status_codes incomplete ({exc!r})") from None
    named = {events.reception, events.withdrawal, events.supplement_request, events.supplement_done,
             events.pause, events.resume, *events.terminal, *events.result}
    unknown = named - set(events.kinds)
    if unknown:
        raise ChisoError(f"{path}: events name kinds not in events.kinds: {', '.join(sorted(unknown))}")
    return events, status


EVENTS, STATUS = _read(params_dir() / "contract.yaml")
