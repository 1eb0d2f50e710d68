"""Methodology: points, rules, groups and bands, loaded from `params/methodology/*.yaml`.

A methodology file is data, versioned with the project. Two ship with chiso:

- ``qd766-2022`` — the 5-group layout of the provincial plans (18/20/22/22/18);
- ``dvcqg-2025`` — the same 22 sub-indicators in DVCQG's 6-group layout
  (18/20/12/22/18/10: online payment 3.4–3.6 shown as its own group).

Loading validates the file: codes unique, each group's points equal the sum of its
sub-indicators, groups add up to ``total_points`` (100), rules known, bands ordered.

Example
-------
>>> m = load_methodology("qd766-2022")
>>> m.indicator("2.1").max_points, m.indicator("5.3").threshold
(20.0, 0.9)
>>> [g.max_points for g in m.groups]
[18.0, 20.0, 22.0, 22.0, 18.0]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from chiso.errors import MethodologyError
from chiso.paths import params_dir

DEFAULT_METHODOLOGY = "qd766-2022"
# How a sub-indicator is scored (docs/methodology.md §2). A rule, not a row's status: rows
# of a not_scored sub-indicator (2.2 in QĐ 766) get the status chiso.status.NOT_SCORED.
RULE_LINEAR, RULE_THRESHOLD, RULE_NOT_SCORED = "linear", "threshold", "not_scored"
RULES = (RULE_LINEAR, RULE_THRESHOLD, RULE_NOT_SCORED)
COMMUNE_POLICIES = ("full", "zero")
TIER_RULES = ("any", "all")  # settings.online_procedure_tier_rule (3.1 at a parent, docs/methodology.md §5 R1)


@dataclass(frozen=True)
class Indicator:
    """One sub-indicator (chỉ số thành phần)."""

    code: str
    name: str
    group: str
    max_points: float
    rule: str
    threshold: float | None
    zero_denominator_points: float
    commune: bool
    dvcqg: dict[str, Any] = field(default_factory=dict)
    # False when the numerator is not a count of things (3.3: online dossiers × the 1.4
    # sync ratio), so "how many more" cannot be said.
    numerator_is_count: bool = True

    @property
    def scored(self) -> bool:
        return self.rule != RULE_NOT_SCORED

    @property
    def full_points_ratio(self) -> float:
        """The ratio (fraction) from which a scored sub-indicator gets full points: its
        threshold under the threshold rule, 1 under the linear rule."""
        return self.threshold if self.rule == RULE_THRESHOLD else 1.0


@dataclass(frozen=True)
class Group:
    code: str
    name: str
    max_points: float
    indicators: tuple[str, ...]


@dataclass(frozen=True)
class Band:
    code: str
    name: str
    min: float
    color: str


@dataclass(frozen=True)
class Methodology:
    id: str
    version: int
    title: str
    source: str
    total_points: float
    rounding_decimals: int
    groups: tuple[Group, ...]
    indicators: tuple[Indicator, ...]
    bands: tuple[Band, ...]
    settings: dict[str, Any]
    path: Path

    def indicator(self, code: str) -> Indicator:
        for ind in self.indicators:
            if ind.code == code:
                return ind
        raise KeyError(f"no sub-indicator {code!r} in methodology {self.id}")

    def group(self, code: str) -> Group:
        for grp in self.groups:
            if grp.code == code:
                return grp
        raise KeyError(f"no group {code!r} in methodology {self.id}")

    @property
    def codes(self) -> list[str]:
        """Sub-indicator codes in methodology order (1.1 … 5.3)."""
        return [ind.code for ind in self.indicators]

    @property
    def unscored_codes(self) -> list[str]:
        """Codes of the sub-indicators shown for analysis only (rule not_scored; 2.2 in QĐ 766)."""
        return [ind.code for ind in self.indicators if not ind.scored]

    def band_for(self, score: float | None) -> Band | None:
        """The first band whose ``min`` the score reaches (None for a missing score)."""
        if score is None or pd.isna(score):
            return None
        for band in self.bands:
            if score >= band.min:
                return band
        return self.bands[-1]

    def indicator_table(self) -> pd.DataFrame:
        """One row per sub-indicator: code, name, group, group_name, max_points, rule, threshold, ..."""
        group_names = {g.code: g.name for g in self.groups}
        rows = [
            {
                "indicator": ind.code,
                "name": ind.name,
                "group": ind.group,
                "group_name": group_names[ind.group],
                "max_points": ind.max_points,
                "rule": ind.rule,
                "threshold": ind.threshold,
                "zero_denominator_points": ind.zero_denominator_points,
                "commune": ind.commune,
            }
            for ind in self.indicators
        ]
        return pd.DataFrame(rows)


def available_methodologies() -> list[str]:
    return sorted(p.stem for p in (params_dir() / "methodology").glob("*.yaml"))


def load_methodology(name_or_path: str | Path = DEFAULT_METHODOLOGY) -> Methodology:
    """Load and validate a methodology by id (``qd766-2022``) or by file path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = params_dir() / "methodology" / f"{name_or_path}.yaml"
    if not path.is_file():
        raise MethodologyError(
            f"methodology {name_or_path!r} not found (expected {path}; "
            f"available: {', '.join(available_methodologies()) or 'none'})"
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise MethodologyError(f"{path}: not valid YAML ({exc})") from exc
    return _parse(raw, path)


def _require(raw: dict, key: str, where: str, path: Path) -> Any:
    if not isinstance(raw, dict) or key not in raw:
        raise MethodologyError(f"{path}: {where} lacks required key {key!r}")
    return raw[key]


def _parse(raw: dict, path: Path) -> Methodology:
    groups: list[Group] = []
    indicators: list[Indicator] = []
    for g in _require(raw, "groups", "file", path):
        gcode = str(_require(g, "code", "a group", path))
        codes = []
        for i in _require(g, "indicators", f"group {gcode}", path):
            code = str(_require(i, "code", f"an indicator of group {gcode}", path))
            rule = _require(i, "rule", f"indicator {code}", path)
            if rule not in RULES:
                raise MethodologyError(f"{path}: indicator {code}: rule {rule!r} is not one of {RULES}")
            threshold = i.get("threshold")
            if rule == RULE_THRESHOLD and not (threshold and 0 < float(threshold) <= 1):
                raise MethodologyError(f"{path}: indicator {code}: rule 'threshold' needs 0 < threshold <= 1")
            indicators.append(
                Indicator(
                    code=code,
                    name=str(_require(i, "name", f"indicator {code}", path)),
                    group=gcode,
                    max_points=float(_require(i, "max_points", f"indicator {code}", path)),
                    rule=rule,
                    threshold=float(threshold) if threshold is not None else None,
                    zero_denominator_points=float(i.get("zero_denominator_points", 0)),
                    commune=bool(i.get("commune", True)),
                    dvcqg=dict(i.get("dvcqg") or {}),
                    numerator_is_count=bool(i.get("numerator_is_count", True)),
                )
            )
            codes.append(code)
        groups.append(Group(gcode, str(_require(g, "name", f"group {gcode}", path)),
                            float(_require(g, "max_points", f"group {gcode}", path)), tuple(codes)))
    bands = tuple(
        Band(str(b["code"]), str(b["name"]), float(b["min"]), str(b.get("color", "#999999")))
        for b in _require(raw, "bands", "file", path)
    )
    m = Methodology(
        id=str(_require(raw, "id", "file", path)),
        version=int(raw.get("version", 1)),
        title=str(raw.get("title", "")),
        source=str(raw.get("source", "")),
        total_points=float(raw.get("total_points", 100)),
        rounding_decimals=int(raw.get("rounding_decimals", 2)),
        groups=tuple(groups),
        indicators=tuple(indicators),
        bands=bands,
        settings=dict(raw.get("settings") or {}),
        path=path,
    )
    _validate(m)
    return m


def _validate(m: Methodology) -> None:
    where = f"methodology {m.id} ({m.path})"
    codes = [i.code for i in m.indicators]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise MethodologyError(f"{where}: sub-indicator codes not unique: {', '.join(dupes)}")
    gcodes = [g.code for g in m.groups]
    if len(set(gcodes)) != len(gcodes):
        raise MethodologyError(f"{where}: group codes not unique")
    for g in m.groups:
        total = sum(m.indicator(c).max_points for c in g.indicators)
        if abs(total - g.max_points) > 1e-9:
            raise MethodologyError(
                f"{where}: group {g.code} says {g.max_points:g} points but its sub-indicators add up to {total:g}"
            )
    group_total = sum(g.max_points for g in m.groups)
    if abs(group_total - m.total_points) > 1e-9:
        raise MethodologyError(f"{where}: groups add up to {group_total:g} points, expected {m.total_points:g}")
    mins = [b.min for b in m.bands]
    if not m.bands or mins != sorted(mins, reverse=True) or mins[-1] != 0:
        raise MethodologyError(f"{where}: bands must be listed from the highest 'min' down to 0")
    policy = m.settings.get("commune_not_applicable", "full")
    if policy not in COMMUNE_POLICIES:
        raise MethodologyError(f"{where}: settings.commune_not_applicable must be one of {COMMUNE_POLICIES}")
    if m.settings.get("online_procedure_tier_rule", "any") not in TIER_RULES:
        raise MethodologyError(f"{where}: settings.online_procedure_tier_rule must be one of {TIER_RULES}")
    unknown = sorted(set(m.settings.get("province_level_codes") or []) - set(codes))
    if unknown:
        raise MethodologyError(f"{where}: settings.province_level_codes names unknown sub-indicators: "
                               f"{', '.join(unknown)}")
