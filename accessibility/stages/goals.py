"""Goal verdicts: who meets each policy goal, the share, and pass/fail.

Coverage is decided per demand point (resident location) from its trip cost
to the nearest facility of each service the goal names, then summed with the
goal's population (everyone, or older people) over its area (the study area
or the main urban area).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import config
from ..core import columns
from ..core.notes import Note, Notes, main_caveat

__all__ = ["COMPLETE_SHARE", "GoalResult", "evaluate_goal", "hex_goal_columns", "parse_set_key", "point_threshold_m", "required_sets", "service_reach", "set_key", "withhold"]

log = logging.getLogger(__name__)

WORST_HEXES = 10


def set_key(service: str, tiers: tuple[str, ...] | None) -> str:
    """Name of a facility set: the service, or the service restricted to tiers."""
    return service if not tiers else f"{service}[{'+'.join(tiers)}]"


def parse_set_key(key: str) -> tuple[str, tuple[str, ...] | None]:
    """The service and tiers of a set key (the inverse of :func:`set_key`)."""
    if key.endswith("]") and "[" in key:
        service, tiers = key[:-1].split("[", 1)
        return service, tuple(tiers.split("+"))
    return key, None


def required_sets(goal: config.Goal) -> list[tuple[str, str, tuple[str, ...] | None]]:
    """(set key, service, tiers) a goal needs distances for."""
    return [(set_key(s, goal.tiers_for(s)), s, goal.tiers_for(s)) for s in goal.services]


@dataclass
class GoalResult:
    """The verdict on one goal (serialised to goals.json and goals.md).

    ``status`` is ``"pass"`` or ``"fail"`` against the first target,
    ``"incomplete_data"`` when the data covers too little of the goal's area to
    pass or fail it (:func:`withhold`; ``passed`` is then ``None``), or
    ``"undefined"`` (no target, or nobody eligible). ``warnings`` are its
    caveats; :meth:`main_caveat` is the one to show beside the verdict.
    """

    id: str
    name_zh: str
    name_en: str
    threshold: str
    population: str
    area: str
    services: list[str]
    combine: str
    eligible_pop: float
    covered_pop: float
    uncovered_pop: float
    share: float | None
    targets: list[dict]
    passed: bool | None
    per_service_share: dict[str, float | None]
    straight_line: dict | None = None
    density_rule: list[dict] = field(default_factory=list)
    worst_hexes: list[dict] = field(default_factory=list)
    warnings: list[Note] = field(default_factory=list)
    population_is_estimate: bool = False
    speed_m_s: float | None = None
    threshold_m: float | None = None
    mode: str = "walk"
    status: str = "undefined"
    data_coverage: float | None = None  # share of the goal's area the data covers

    def main_caveat(self) -> Note | None:
        """The caveat that matters most (:data:`~accessibility.core.notes.CAVEATS`), if any."""
        return main_caveat(self.warnings)

    def to_dict(self) -> dict:
        """The verdict as written to ``goals.json`` (warnings as note records)."""
        out = asdict(self)
        out["warnings"] = [n.to_dict() for n in self.warnings]
        caveat = self.main_caveat()
        out["main_caveat"] = None if caveat is None else {"code": caveat.code, "en": caveat.caveat("en"), "zh": caveat.caveat("zh")}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GoalResult:
        """A verdict from :meth:`to_dict` (``goals.json``); keys it does not know (``by_district``) are ignored."""
        known = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in data.items() if k in known}
        kw["warnings"] = [Note.from_dict(n) for n in data.get("warnings", [])]
        return cls(**kw)


def point_threshold_m(goal: config.Goal, speed_m_s: float, density_per_km2: np.ndarray | None, n: int) -> np.ndarray:
    """Per-point distance threshold, applying density rules (tightest first)."""
    base = np.full(n, goal.threshold_m(speed_m_s), dtype=np.float64)
    if goal.density_rules and density_per_km2 is not None:
        for rule in goal.density_rules:  # sorted by descending density
            dense = (density_per_km2 > rule.min_density_per_km2) & (base > rule.max_dist_m)
            base[dense] = rule.max_dist_m
    return base


def goal_threshold(goal: config.Goal, speed_m_s: float, density_per_km2: np.ndarray | None, n: int, *, cost_unit: str = "length") -> np.ndarray:
    """Per-point threshold of a goal: seconds on a time-weighted network, else metres (with density rules)."""
    if cost_unit == "time":
        return np.full(n, goal.max_time_s if goal.max_time_s is not None else np.inf)
    return point_threshold_m(goal, speed_m_s, density_per_km2, n)


def service_reach(goal: config.Goal, costs: Mapping[str, np.ndarray], threshold: np.ndarray) -> dict[str, np.ndarray]:
    """Per service of the goal, which points reach its facility set within the threshold."""
    return {service: costs[key] <= threshold for key, service, _ in required_sets(goal)}


def combine_reach(goal: config.Goal, reach: Mapping[str, np.ndarray]) -> np.ndarray:
    """Whether each point is covered: it reaches every service (``combine = "all"``) or any (``"any"``)."""
    masks = [reach[s] for s in goal.services]
    return np.logical_and.reduce(masks) if goal.combine == "all" else np.logical_or.reduce(masks)


@dataclass(frozen=True)
class GoalPoints:
    """What a goal is evaluated on, per demand point (resident location).

    Attributes
    ----------
    costs
        Per facility set key: trip cost of every demand point, metres or seconds.
    weights
        People at each demand point in the goal's population group.
    in_area
        Whether each point lies in the goal's area.
    hex_of_point
        Hex id (string) of each point, for the worst-hex list; or, with
        ``hex_labels``, each point's integer position in ``hex_labels``.
    hex_labels
        Hex ids indexed by ``hex_of_point`` (saves factorising strings per goal).
    density_per_km2
        Population density around each point (for density rules).
    straight_m
        Per set key, straight-line distance of each point (goals with ``straight_line``).
    """

    costs: Mapping[str, np.ndarray]
    weights: np.ndarray
    in_area: np.ndarray
    hex_of_point: np.ndarray
    hex_labels: np.ndarray | None = None
    density_per_km2: np.ndarray | None = None
    straight_m: Mapping[str, np.ndarray] | None = None


def evaluate_goal(
    goal: config.Goal,
    points: GoalPoints,
    *,
    speed_m_s: float,
    cost_unit: str = "length",
    facility_counts: Mapping[str, int] | None = None,
    is_estimate: bool = False,
    notes: Notes | None = None,
    names: Mapping[str, tuple[str, str]] | None = None,
) -> tuple[GoalResult, np.ndarray]:
    """Evaluate one goal over demand points.

    Parameters
    ----------
    goal
        The goal.
    points
        Its demand points: costs, people, area, hexagons (:class:`GoalPoints`).
    speed_m_s
        Travel speed turning a time threshold into a distance.
    cost_unit
        ``"length"`` (costs in metres) or ``"time"`` (seconds, time-weighted networks).
    facility_counts
        Usable facilities per set key; a set with none gets a warning.
    is_estimate
        Whether the population is an estimate (recorded in the verdict).
    notes
        Caveats of the goal known before it is evaluated (an estimated population...).
    names
        Service names ``(en, zh)`` by id, for the caveats.

    Returns
    -------
    result, covered
        The verdict and the per-point coverage mask.
    """
    costs, weights, in_area, hex_of_point = points.costs, points.weights, points.in_area, points.hex_of_point
    hex_labels, density_per_km2, straight_m = points.hex_labels, points.density_per_km2, points.straight_m
    n = len(weights)
    w = np.where(in_area, weights, 0.0)
    warnings_ = Notes(notes or ())
    threshold = goal_threshold(goal, speed_m_s, density_per_km2, n, cost_unit=cost_unit)
    reach = service_reach(goal, costs, threshold)
    per_service = {}
    for key, service, _ in required_sets(goal):
        per_service[service] = _share(w[reach[service]].sum(), w.sum())
        if facility_counts is not None and facility_counts.get(key, 0) == 0:
            warnings_.add(
                f"no usable '{key}' facility in the input: nobody can be covered for this service. "
                "This reflects missing data as much as missing facilities; add the planners' own list for this service.",
                code="facilities.none", severity="warning", goal=goal.id, service=service,
                service_en=(names or {}).get(service, (service, service))[0], service_zh=(names or {}).get(service, (service, service))[1],
            )
    covered = combine_reach(goal, reach)
    eligible = float(w.sum())
    covered_pop = float(w[covered].sum())
    share = _share(covered_pop, eligible)
    if eligible == 0:
        warnings_.add(f"no {goal.population} population inside the goal's area ({goal.area}); the share is undefined",
                      code="population.none", severity="warning", goal=goal.id)
    targets: list[dict[str, Any]] = [{"label": t.label, "label_zh": t.text("zh"), "share": t.share, "met": None if share is None else bool(share >= t.share - 1e-12)} for t in goal.targets]
    straight = None
    if goal.straight_line and straight_m is not None:
        ok_s = np.logical_and.reduce([straight_m[k] <= threshold for k, _, _ in required_sets(goal)])
        straight = {"covered_pop": float(w[ok_s].sum()), "share": _share(float(w[ok_s].sum()), eligible)}
    codes, labels = _hex_codes(hex_of_point, hex_labels)
    hex_w = np.bincount(codes, weights=w, minlength=len(labels))
    hex_covered = np.bincount(codes, weights=np.where(covered, w, 0.0), minlength=len(labels))
    uncovered = hex_w - hex_covered
    worst = [i for i in _largest(uncovered, WORST_HEXES).tolist() if uncovered[i] > 0]
    worst_hexes = [
        {"h3": str(labels[i]), "uncovered_pop": round(float(uncovered[i]), 1), "eligible_pop": round(float(hex_w[i]), 1), "share": _share(hex_covered[i], hex_w[i])}
        for i in worst
    ]
    result = GoalResult(
        id=goal.id,
        name_zh=goal.name_zh,
        name_en=goal.name_en,
        threshold=goal.threshold_label,
        population=goal.population,
        area=goal.area,
        services=list(goal.services),
        combine=goal.combine,
        eligible_pop=eligible,
        covered_pop=covered_pop,
        uncovered_pop=eligible - covered_pop,
        share=share,
        targets=targets,
        passed=targets[0]["met"] if targets else None,
        status="undefined" if not targets or targets[0]["met"] is None else ("pass" if targets[0]["met"] else "fail"),
        per_service_share=per_service,
        straight_line=straight,
        density_rule=[asdict(r) for r in goal.density_rules],
        worst_hexes=worst_hexes,
        warnings=list(warnings_),
        population_is_estimate=is_estimate,
        speed_m_s=speed_m_s,
        threshold_m=goal.threshold_m(speed_m_s) if cost_unit == "length" else None,
        mode=goal.mode,
    )
    return result, covered


def _share(part: float, whole: float) -> float | None:
    return float(part / whole) if whole > 0 else None


def _largest(values: np.ndarray, k: int) -> np.ndarray:
    """The positions of the ``k`` largest values, largest first, ties by position: ``np.argsort(-values, kind="stable")[:k]``
    without sorting every value (a province's 360k hexagons, per goal)."""
    if len(values) <= k:
        return np.argsort(-values, kind="stable")
    kth = np.partition(values, len(values) - k)[len(values) - k]  # the k-th largest
    candidates = np.flatnonzero(values >= kth)  # in position order: a stable sort keeps ties so
    return candidates[np.argsort(-values[candidates], kind="stable")][:k]


def _hex_codes(hex_of_point: np.ndarray, hex_labels: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Integer hex codes of the points and the labels they index (factorised when only labels are given)."""
    if hex_labels is not None:
        return np.asarray(hex_of_point, dtype=np.int64), np.asarray(hex_labels)
    codes, labels = pd.factorize(np.asarray(hex_of_point))
    return codes, np.asarray(labels)


def hex_goal_columns(goal_id: str, hex_index: pd.Index, hex_of_point: np.ndarray, weights: np.ndarray, covered: np.ndarray) -> pd.DataFrame:
    """Per-hex eligible and covered population and share of one goal.

    ``hex_of_point`` holds either each point's hex id (a label of
    ``hex_index``; points of other hexes are left out) or, faster, integer
    positions into ``hex_index``.
    """
    hex_of_point = np.asarray(hex_of_point)
    codes = hex_of_point if np.issubdtype(hex_of_point.dtype, np.integer) else pd.Index(hex_index).get_indexer(hex_of_point)
    inside = codes >= 0
    n = len(hex_index)
    w = np.bincount(codes[inside], weights=np.asarray(weights, np.float64)[inside], minlength=n)
    c = np.bincount(codes[inside], weights=np.where(covered, weights, 0.0)[inside], minlength=n)
    out = pd.DataFrame(index=hex_index)
    out[columns.name("eligible_pop", goal_id)] = w
    out[columns.name("covered_pop", goal_id)] = c
    with np.errstate(invalid="ignore", divide="ignore"):
        out[columns.name("share", goal_id)] = np.where(w > 0, c / w, np.nan)
    return out


#: a goal is passed or failed only where the data covers at least this share of its area
COMPLETE_SHARE = 0.95


def withhold(
    result: GoalResult, coverage: float | None, *, threshold: float = COMPLETE_SHARE, what: str = "the goal's area", detail: tuple[str, str] | None = None
) -> GoalResult:
    """Record how much of the goal's area the data covers; below ``threshold`` the verdict is INCOMPLETE DATA.

    The shares stay as measured (they describe the covered part), but no
    target is said to be met or missed: ``passed`` and each target's ``met``
    become ``None``, ``status`` ``"incomplete_data"``, and a warning with the
    covered share is the goal's main caveat.

    Parameters
    ----------
    result
        The verdict (changed in place and returned).
    coverage
        Share of the goal's area (0..1) the data covers; ``None``: not known.
    threshold
        The share below which no verdict is given.
    what
        The area, for the message.
    detail
        The cover in a sentence, in English and Chinese (e.g. :meth:`accessibility.stages.coverage.AreaCoverage.message`), to open the message.

    Returns
    -------
    GoalResult
    """
    result.data_coverage = coverage
    if coverage is None or coverage >= threshold:
        return result
    result.passed = None
    result.status = "incomplete_data"
    for t in result.targets:
        t["met"] = None
    en, zh = detail or (f"the data covers {coverage:.0%} of {what}", f"数据仅覆盖目标区域的{coverage:.0%}")
    note = Note(
        f"{en}: the share describes the covered part only, so no pass or fail is given "
        f"(a verdict needs {threshold:.0%}); use an OSM extract and population data that cover the whole area",
        code="data.partial", severity="warning",
        message_zh=f"{zh}：覆盖率只描述已覆盖部分，因此不判定达标与否"
        f"（需覆盖{threshold:.0%}以上）；请使用覆盖整个区域的OSM数据和人口数据",
        context={"goal": result.id, "share": round(coverage, 4)},
    )
    result.warnings = [note, *(w for w in result.warnings if w.code != "data.partial")]
    return result
