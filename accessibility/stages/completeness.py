"""Whether the facility data is likely complete: found facilities against what the standards imply.

OSM in China is sparse: the 2015 Hangzhou extract maps no care home and no
kindergarten for ~266,000 estimated residents, and a goal computed on it reports
0% coverage as if that were the city. GB 50180-2018 says how many facilities of
each kind a population implies: one residential area of each life-circle tier
(15-minute: 50,000-100,000 residents; 10-minute: 15,000-25,000; 5-minute:
5,000-12,000) has its own community health service centre, elderly-care
institution, kindergarten, day-care centre for older people, sports ground and
park (the ``[[expected]]`` tables of ``layers/<service>.toml``, with their
citations). A population ``P`` thus implies between ``P / most`` and
``P / fewest`` facilities per entry.

:func:`check_service` compares the facilities found with the lower figure: a
service with fewer than ``min_share`` (default half) of it is **likely
incomplete data**, reported with an English and a Chinese message and the
advice to add the planners' own list (``--facilities FILE --service X``), as a
:class:`~accessibility.core.notes.Note` (code ``facilities.incomplete``,
severity ``warning``). Entries that count only some tiers (care homes, day-care
centres) are judged on those tiers' facilities, each on its own; a
population that implies less than one facility is not judged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import shapely

from .. import errors
from ..config.services import ExpectedProvision, ServiceLayer
from ..core.notes import Note
from ..readers.facility_names import UNVERIFIED_MARK

__all__ = [
    "DEFAULT_MIN_SHARE",
    "INCOMPLETE",
    "NOT_JUDGED",
    "PLAUSIBLE",
    "Completeness",
    "Expectation",
    "GroupCheck",
    "check_completeness",
    "check_service",
    "counts_by_tier",
    "expected_counts",
]

#: a service with fewer facilities than this share of the lower expected figure is likely incomplete
DEFAULT_MIN_SHARE = 0.5

#: verdict: fewer facilities than ``min_share`` of what the population implies (likely incomplete data)
INCOMPLETE = "likely_incomplete"
#: verdict: about as many facilities as the standards imply, or more
PLAUSIBLE = "plausible"
#: verdict: nothing to judge (no standard for the service, no residents, or fewer than one facility implied)
NOT_JUDGED = "not_judged"
_LABELS = {
    INCOMPLETE: ("likely incomplete data", "数据可能不全"),
    PLAUSIBLE: ("plausible", "数量合理"),
    NOT_JUDGED: ("not judged", "未判断"),
}
_CIRCLE_ZH = {"15min": "十五分钟生活圈", "10min": "十分钟生活圈", "5min": "五分钟生活圈"}


@dataclass(frozen=True)
class Expectation:
    """The facilities one ``[[expected]]`` entry implies for a population.

    Attributes
    ----------
    provision
        The entry of the layer (what, per how many residents, which tiers, the citation).
    people
        The population it was computed for (total or older residents, per ``provision.population``).
    low, high
        Fewest and most facilities implied: ``people / residents[1]`` and ``people / residents[0]`` times ``per_circle``.
    """

    provision: ExpectedProvision
    people: float
    low: float
    high: float

    def describe(self, lang: str = "en", *, figure: bool = True) -> str:
        """The entry and (with ``figure``) its figure: ``"elderly-care institution: 2.7-5.3, 1 per 15-minute circle of 50,000-100,000 residents"``."""
        p = self.provision
        lo, hi = (f"{v:,.0f}" for v in p.residents)
        if lang == "zh":
            who = "老年人" if p.population == "older" else "居民"
            per = f"每个{_CIRCLE_ZH[p.circle]}（{lo}–{hi}{who}）{_num(p.per_circle)}处" if p.circle else f"每{lo}–{hi}{who}{_num(p.per_circle)}处"
            return f"{p.facility_zh}{_range(self.low, self.high, '–') + '处' if figure else ''}（{per}）"
        who = "older residents" if p.population == "older" else "residents"
        where = f"{p.circle[:-3]}-minute circle of {lo}-{hi} {who}" if p.circle else f"{lo}-{hi} {who}"
        return f"{p.facility_en}: {_range(self.low, self.high) + ', ' if figure else ''}{_num(p.per_circle)} per {where}"


@dataclass(frozen=True)
class GroupCheck:
    """Facilities found for the entries that count the same tiers, against the sum of what they imply.

    Attributes
    ----------
    tiers
        The tiers counted (empty: every tier of the service).
    found
        Facilities of those tiers in the data.
    low, high
        Sum of the entries' fewest and most facilities implied.
    short
        Fewer than ``min_share`` x ``low`` found, with at least one facility implied.
    expectations
        The entries of the group.
    """

    tiers: tuple[str, ...]
    found: int
    low: float
    high: float
    short: bool
    expectations: tuple[Expectation, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record (``goals.json``)."""
        return {
            "tiers": list(self.tiers), "found": self.found, "expected_low": round(self.low, 3), "expected_high": round(self.high, 3),
            "short": self.short, "facilities": [e.provision.facility_en for e in self.expectations],
        }


@dataclass(frozen=True)
class Completeness:
    """The completeness verdict of one service (:func:`check_service`).

    Attributes
    ----------
    service, name_en, name_zh
        The service and its names.
    verdict
        :data:`INCOMPLETE`, :data:`PLAUSIBLE` or :data:`NOT_JUDGED`.
    found
        Facilities of the service in the data (every tier).
    expected_low, expected_high
        Facilities the population implies, summed over the layer's entries.
    population, older_population
        The residents (and older residents) the figures were computed for.
    min_share
        The share of ``expected_low`` below which a group is short.
    groups
        The groups of entries judged (see :class:`GroupCheck`).
    message, message_zh
        What to tell the user ('' unless the verdict is :data:`INCOMPLETE`).
    why_not_judged
        For :data:`NOT_JUDGED`, the reason.
    sources
        The citations of the layer's entries that applied.
    """

    service: str
    name_en: str
    name_zh: str
    verdict: str
    found: int
    expected_low: float
    expected_high: float
    population: float
    older_population: float | None
    min_share: float
    groups: tuple[GroupCheck, ...] = ()
    message: str = ""
    message_zh: str = ""
    why_not_judged: str = ""
    sources: tuple[str, ...] = field(default=(), repr=False)

    @property
    def incomplete(self) -> bool:
        """Whether the verdict is *likely incomplete data*."""
        return self.verdict == INCOMPLETE

    def label(self, lang: str = "en") -> str:
        """The verdict in words: ``"likely incomplete data"`` / ``"数据可能不全"``."""
        en, zh = _LABELS[self.verdict]
        return zh if lang == "zh" else en

    def note(self) -> Note | None:
        """The ``facilities.incomplete`` warning, or ``None`` when the data is not likely incomplete."""
        if not self.incomplete:
            return None
        return Note(self.message, code="facilities.incomplete", severity="warning", message_zh=self.message_zh, context=self.context())

    def context(self) -> dict[str, Any]:
        """The note's context: the service, its names, the counts and figures (JSON-ready)."""
        return {
            "service": self.service, "service_en": self.name_en, "service_zh": self.name_zh, "verdict": self.verdict,
            "found": self.found, "expected_low": round(self.expected_low, 3), "expected_high": round(self.expected_high, 3),
            "population": round(self.population, 1), "min_share": self.min_share,
            "share": round(self.found / self.expected_low, 4) if self.expected_low > 0 else None,
            "groups": [g.to_dict() for g in self.groups], "sources": list(self.sources),
            "advice": f"--facilities FILE --service {self.service}",
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record of the verdict (``goals.json``)."""
        return dict(self.context(), label=self.label(), label_zh=self.label("zh"), message=self.message, message_zh=self.message_zh,
                    why_not_judged=self.why_not_judged, older_population=self.older_population)


def _num(v: float) -> str:
    return f"{v:g}" if v < 10 else f"{v:,.0f}"


def _fmt(v: float) -> str:
    return f"{v:.1f}" if v < 10 else f"{v:,.0f}"


def _range(lo: float, hi: float, dash: str = "-") -> str:
    return f"{_fmt(lo)}{dash}{_fmt(hi)}"


def _people(value: float | None, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not math.isfinite(value) or value < 0:
        raise errors.InputError(f"completeness: {what} must be a number of people (0 or more), got {value!r}")
    return float(value)


def expected_counts(layer: ServiceLayer, population: float, *, older_population: float | None = None) -> tuple[Expectation, ...]:
    """The facilities each ``[[expected]]`` entry of ``layer`` implies for a population.

    Parameters
    ----------
    layer
        The service layer.
    population
        Residents of the area.
    older_population
        Older residents, for entries counted per older resident (skipped when not given).

    Returns
    -------
    tuple[Expectation, ...]
        One per entry that applies, in the layer's order.
    """
    total = _people(population, "population")
    older = _people(older_population, "older_population")
    out = []
    for p in layer.expected:
        people = total if p.population == "total" else older
        if people is None:
            continue
        low, high = p.expected(people)
        out.append(Expectation(p, people, low, high))
    return tuple(out)


def _count(found: int | Mapping[str, int], tiers: tuple[str, ...]) -> int:
    if not isinstance(found, Mapping):
        return int(found)
    return int(sum(v for t, v in found.items() if not tiers or t in tiers))


def check_service(
    layer: ServiceLayer,
    found: int | Mapping[str, int],
    population: float,
    *,
    older_population: float | None = None,
    min_share: float = DEFAULT_MIN_SHARE,
) -> Completeness:
    """Judge whether the facilities found for a service are about as many as its population implies.

    >>> check_service(services["elderly_care"], {"care_home": 0}, 265_889).label()  # doctest: +SKIP
    'likely incomplete data'

    Parameters
    ----------
    layer
        The service layer, with its ``[[expected]]`` entries.
    found
        Facilities of the service in the data: a count per tier (entries that
        name tiers count only those), or one count for every tier.
    population
        Residents of the area the facilities serve.
    older_population
        Older residents, for entries counted per older resident.
    min_share
        A group of entries with fewer than this share of its lower figure found
        is short (default 0.5); in (0, 1].

    Returns
    -------
    Completeness
        The verdict, the figures and, when likely incomplete, the messages (:meth:`Completeness.note`).
    """
    if isinstance(min_share, bool) or not isinstance(min_share, (int, float)) or not 0 < min_share <= 1:
        raise errors.InputError(f"completeness: min_share is a share of the expected count, above 0 and at most 1 (e.g. 0.5), got {min_share!r}")
    counts = {str(k): int(v) for k, v in found.items()} if isinstance(found, Mapping) else int(found)
    expectations = expected_counts(layer, population, older_population=older_population)
    total = float(population)
    base = Completeness(
        service=layer.id, name_en=layer.name_en, name_zh=layer.name_zh, verdict=NOT_JUDGED, found=_count(counts, ()),
        expected_low=sum(e.low for e in expectations), expected_high=sum(e.high for e in expectations), population=total,
        older_population=None if older_population is None else float(older_population), min_share=float(min_share),
        sources=tuple(dict.fromkeys(e.provision.source for e in expectations)),
    )
    by_tiers: dict[tuple[str, ...], list[Expectation]] = {}
    for e in expectations:
        by_tiers.setdefault(e.provision.tiers, []).append(e)
    groups = []
    for tiers, items in by_tiers.items():
        low, high, n = sum(e.low for e in items), sum(e.high for e in items), _count(counts, tiers)
        groups.append(GroupCheck(tiers, n, low, high, low >= 1 and n < min_share * low, tuple(items)))
    if not layer.expected:
        return replace(base, why_not_judged=f"layers/{layer.id}.toml has no [[expected]] standard")
    if not any(g.low >= 1 for g in groups):
        why = "no residents" if total <= 0 else f"{total:,.0f} residents imply fewer than one facility"
        return replace(base, groups=tuple(groups), why_not_judged=why)
    short = [g for g in groups if g.short]
    if not short:
        return replace(base, verdict=PLAUSIBLE, groups=tuple(groups))
    en, zh = _messages(layer, short, total, min_share)
    return replace(base, verdict=INCOMPLETE, groups=tuple(groups), message=en, message_zh=zh)


def _messages(layer: ServiceLayer, short: list[GroupCheck], population: float, min_share: float) -> tuple[str, str]:
    """The English and Chinese messages of a service whose data is likely incomplete."""
    parts = "; ".join(
        f"{g.found} found where {_range(g.low, g.high)} are expected ({'; '.join(e.describe(figure=len(g.expectations) > 1) for e in g.expectations)})"
        for g in short
    )
    parts_zh = "；".join(
        f"应有{'、'.join(e.describe('zh') for e in g.expectations)}"
        + (f"，共{_range(g.low, g.high, '–')}处" if len(g.expectations) > 1 else "")
        + f"，数据中仅有{g.found}处"
        for g in short
    )
    share = f"{min_share:.0%}"
    circles = all(e.provision.circle for g in short for e in g.expectations)
    standard = "the life-circle standards (GB 50180-2018)" if circles else f"the standards of layers/{layer.id}.toml"
    standard_zh = "生活圈标准（GB 50180-2018）" if circles else f"layers/{layer.id}.toml 所引标准"
    en = (
        f"{layer.name_en}: likely incomplete data. For {population:,.0f} residents {standard} "
        f"imply more facilities than the data holds: {parts}. Below {share} of the lower figure, its coverage is likely understated: "
        f"add the planners' own list (--facilities FILE --service {layer.id})."
    )
    zh = (
        f"{layer.name_zh}：数据可能不全。按{standard_zh}，{population:,.0f}名居民{parts_zh}。"
        f"不足下限的{share}，覆盖率很可能被低估：请补充规划部门自己的名单（--facilities 文件 --service {layer.id}）。"
    )
    return en, zh


def counts_by_tier(facilities: pd.DataFrame, *, area: shapely.Geometry | None = None, unverified: bool = False) -> dict[str, dict[str, int]]:
    """Facilities per service and tier, as :func:`check_completeness` takes them.

    Parameters
    ----------
    facilities
        A facility table (columns ``service`` and ``tier``; with ``area``, a WGS-84 GeoDataFrame).
    area
        Count only facilities that intersect it (e.g. the study area whose population is given).
    unverified
        Also count the planners' rows used although their names are not of the
        service (``import_note`` starting ``name is not of``; see
        :mod:`accessibility.readers.facility_names`). By default they are not
        counted: a POI dump of 1,000 offices given as care homes does not make
        the care homes complete.

    Returns
    -------
    dict[str, dict[str, int]]
        ``{service: {tier: count}}``.
    """
    frame = facilities
    if area is not None and len(frame):
        frame = frame[shapely.intersects(area, np.asarray(frame.geometry))]
    if not unverified and "import_note" in frame.columns and len(frame):
        frame = frame[~frame["import_note"].astype(str).str.contains(UNVERIFIED_MARK, regex=False).to_numpy()]
    out: dict[str, dict[str, int]] = {}
    for (sid, tier), n in frame.groupby(["service", "tier"], sort=True).size().items():
        out.setdefault(str(sid), {})[str(tier)] = int(n)
    return out


def check_completeness(
    services: Mapping[str, ServiceLayer],
    found: Mapping[str, int | Mapping[str, int]] | pd.DataFrame,
    population: float,
    *,
    older_population: float | None = None,
    min_share: float = DEFAULT_MIN_SHARE,
    only: Iterable[str] | None = None,
) -> tuple[list[Completeness], list[Note]]:
    """Judge every service (:func:`check_service`) and collect the warnings.

    Parameters
    ----------
    services
        The service layers.
    found
        Facilities per service (a count, or counts per tier), or a facility
        table (columns ``service``, ``tier``; counted by :func:`counts_by_tier`,
        without rows whose names are not of their service). A service missing
        from it has none.
    population, older_population, min_share
        As for :func:`check_service`.
    only
        The services to judge (default: every one), e.g. those the goals use.

    Returns
    -------
    verdicts, notes
        One :class:`Completeness` per service; one ``facilities.incomplete``
        warning per service whose data is likely incomplete.
    """
    counts: Mapping[str, int | Mapping[str, int]] = counts_by_tier(found) if isinstance(found, pd.DataFrame) else found
    wanted = list(services) if only is None else list(dict.fromkeys(only))
    unknown = [s for s in wanted if s not in services]
    if unknown:
        raise errors.ConfigError(f"completeness: unknown service(s) {unknown}; services are {sorted(services)}")
    verdicts = [
        check_service(services[sid], counts.get(sid, 0), population, older_population=older_population, min_share=min_share) for sid in wanted
    ]
    notes = [n for v in verdicts if (n := v.note()) is not None]
    return verdicts, notes
