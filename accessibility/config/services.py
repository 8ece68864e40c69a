"""Service layers (``layers/<service>.toml``): OSM tag rules, names in Chinese and English, tiers.

A layer may also carry the words that name its facilities (``keywords``,
``exclude_keywords``: how a planners' list is checked to hold this kind of
facility, see :mod:`accessibility.readers.facility_files`) and the number of
facilities the standards imply for a population (``[[expected]]``: how a run
judges whether the data is likely incomplete, see
:mod:`accessibility.stages.completeness`).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import errors
from .base import Checker, check_id, default_layers_dir, read_toml, tag_table

__all__ = ["LIFE_CIRCLES", "ExpectedProvision", "ServiceLayer", "TagRule", "load_service", "load_services"]

#: Life-circle tiers of GB 50180-2018 (城市居住区规划设计标准, §2.0.2-2.0.4; POLICY.md §5):
#: circle -> (residents at least, residents at most) of one residential area of that tier.
#: The tiers are not inclusive: a 15-minute area also needs its 10- and 5-minute facilities.
LIFE_CIRCLES: dict[str, tuple[float, float]] = {
    "15min": (50_000.0, 100_000.0),  # 十五分钟生活圈居住区, walk 800-1,000 m
    "10min": (15_000.0, 25_000.0),  # 十分钟生活圈居住区, walk ~500 m
    "5min": (5_000.0, 12_000.0),  # 五分钟生活圈居住区, walk ~300 m
}


@dataclass(frozen=True)
class TagRule:
    """One OSM tag rule: every key in ``tags`` must match (AND).

    A value of ``"*"`` matches any value; a tuple matches any of its values.
    ``not_tags`` excludes features whose tag has one of the given values.
    """

    tags: tuple[tuple[str, tuple[str, ...]], ...]
    not_tags: tuple[tuple[str, tuple[str, ...]], ...] = ()
    tier: str = "default"

    def matches(self, tags: Mapping[str, str]) -> bool:
        """Whether an OSM tag mapping satisfies the rule."""
        for key, values in self.tags:
            value = tags.get(key)
            if value is None or ("*" not in values and value not in values):
                return False
        for key, values in self.not_tags:
            value = tags.get(key)
            if value is not None and ("*" in values or value in values):
                return False
        return True

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.tags)

@dataclass(frozen=True)
class ExpectedProvision:
    """How many facilities of one kind a population implies (one ``[[expected]]`` table of a layer).

    ``per_circle`` facilities for every residential area of ``residents``
    people (of the ``population``): a population ``P`` implies between
    ``P / residents[1]`` and ``P / residents[0]`` areas, and as many times
    ``per_circle`` facilities.

    Attributes
    ----------
    facility_en, facility_zh
        What the standard asks for, e.g. ``"kindergarten"``, ``"幼儿园"``.
    residents
        (at least, at most) people served by one area of the tier: by default
        the tier's range in :data:`LIFE_CIRCLES`.
    circle
        ``"15min"``, ``"10min"``, ``"5min"`` (:data:`LIFE_CIRCLES`), or ``None``
        when ``residents`` is given directly (e.g. from a provincial plan).
    per_circle
        Facilities per area of the tier (default 1).
    population
        ``"total"`` (residents) or ``"older"`` (older residents) count toward ``residents``.
    tiers
        The layer's tiers whose facilities count for it (empty: every tier).
    source
        The citation: the standard and its clause or table, or the plan.
    """

    facility_en: str
    facility_zh: str
    residents: tuple[float, float]
    circle: str | None = None
    per_circle: float = 1.0
    population: str = "total"
    tiers: tuple[str, ...] = ()
    source: str = ""

    def expected(self, people: float) -> tuple[float, float]:
        """(fewest, most) facilities ``people`` residents imply."""
        people = max(float(people), 0.0)
        return people / self.residents[1] * self.per_circle, people / self.residents[0] * self.per_circle


@dataclass(frozen=True)
class ServiceLayer:
    """A public service (one TOML file under ``layers/``).

    Attributes
    ----------
    keywords
        Words a facility's name holds when it is of this service (Chinese or
        English; matched after NFKC normalisation and case folding, English
        words as whole words). Empty: names are not checked.
    exclude_keywords
        Words marking a name as clearly another kind of place (村民委员会,
        派出所 for elderly care): such a row is not of the service even when
        it also holds a keyword.
    expected
        How many facilities the population implies (:class:`ExpectedProvision`).
    """

    id: str
    name_zh: str
    name_en: str
    rules: tuple[TagRule, ...]
    description: str = ""
    source: Path | None = field(default=None, compare=False)
    keywords: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()
    expected: tuple[ExpectedProvision, ...] = ()

    def name(self, lang: str = "en") -> str:
        """Display name in ``"zh"`` or ``"en"``."""
        return self.name_zh if lang == "zh" else self.name_en

    def match(self, tags: Mapping[str, str]) -> str | None:
        """The tier of the first matching rule, or ``None``."""
        for rule in self.rules:
            if rule.matches(tags):
                return rule.tier
        return None

    @property
    def tiers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.tier for r in self.rules))


def _words(c: Checker, key: str) -> tuple[str, ...]:
    """A list of non-empty words (``keywords``, ``exclude_keywords``), in file order without repeats."""
    if key not in c.data:
        c.used.add(key)
        return ()
    words = c.str_list(key)
    if not words:
        raise c.fail(f"'{key}' is empty; list at least one word (e.g. {key} = [\"养老\", \"nursing\"]) or leave the key out")
    blank = [w for w in words if not unicodedata.normalize("NFKC", w).strip()]
    if blank:
        raise c.fail(f"'{key}' holds an empty word ({blank[0]!r}); remove it")
    return tuple(dict.fromkeys(w.strip() for w in words))


def _expected(raw: Any, where: str, tiers: tuple[str, ...]) -> ExpectedProvision:
    """One ``[[expected]]`` table."""
    if not isinstance(raw, Mapping):
        raise errors.ConfigError(f"{where}: must be a table with facility_en, facility_zh, circle or residents, and source")
    c = Checker(raw, where)
    facility_en = c.get("facility_en", str, required=True)
    facility_zh = c.get("facility_zh", str, required=True)
    source = c.get("source", str, required=True)
    for key, value in (("facility_en", facility_en), ("facility_zh", facility_zh), ("source", source)):
        if not value.strip():
            raise c.fail(f"'{key}' is empty")
    circle = c.get("circle", str, None)
    if circle is not None and circle not in LIFE_CIRCLES:
        raise c.fail(f"'circle' must be one of {list(LIFE_CIRCLES)} (GB 50180-2018 life circles), got {circle!r}")
    given = c.get("residents", list, None)
    if given is None:
        if circle is None:
            raise c.fail("give 'circle' (\"15min\", \"10min\", \"5min\") or 'residents' = [at least, at most] people per facility area")
        residents = LIFE_CIRCLES[circle]
    else:
        ok = len(given) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0 for v in given)
        if not ok or given[0] > given[1]:
            raise c.fail(f"'residents' must be [at least, at most] people, two positive numbers in order (e.g. [50000, 100000]), got {given!r}")
        residents = (float(given[0]), float(given[1]))
    per_circle = c.positive("per_circle", 1.0)
    population = c.get("population", str, "total")
    if population not in ("total", "older"):
        raise c.fail(f"'population' must be 'total' or 'older', got {population!r}")
    counted = c.str_list("tiers", [])
    bad = [t for t in counted if t not in tiers]
    if bad:
        raise c.fail(f"unknown tier(s) {bad}; the layer's tiers are {list(tiers)}")
    c.finish()
    return ExpectedProvision(
        facility_en=facility_en.strip(), facility_zh=facility_zh.strip(), residents=residents, circle=circle,
        per_circle=per_circle, population=population, tiers=tuple(dict.fromkeys(counted)), source=source.strip(),
    )


def load_service(path: str | Path) -> ServiceLayer:
    """Load one service layer TOML.

    Parameters
    ----------
    path
        A file such as ``layers/elderly_care.toml``.

    Returns
    -------
    ServiceLayer
        The service: id, names, tag rules and tiers.

    Raises
    ------
    ConfigError
        When an entry is missing or invalid, naming the file, the entry and the fix.
    """
    path = Path(path)
    data = read_toml(path)
    c = Checker(data, str(path))
    sid = check_id(c.get("id", str, required=True), what="service id", where=str(path))
    rules = []
    raw_rules = c.get("rules", list, required=True)
    if not raw_rules:
        raise c.fail("'rules' is empty; add at least one [[rules]] table with tags")
    for i, raw in enumerate(raw_rules):
        rc = Checker(raw, f"{path} [[rules]] #{i + 1}")
        tags = tag_table(rc.get("tags", dict, required=True), rc.where, "tags")
        if not tags:
            raise rc.fail("'tags' is empty")
        not_tags = tag_table(rc.get("not_tags", dict, {}), rc.where, "not_tags")
        tier = check_id(rc.get("tier", str, "default"), what="tier", where=rc.where)
        rc.finish()
        rules.append(TagRule(tags=tags, not_tags=not_tags, tier=tier))
    tiers = tuple(dict.fromkeys(r.tier for r in rules))
    expected = tuple(
        _expected(raw, f"{path} [[expected]] #{i + 1}", tiers) for i, raw in enumerate(c.get("expected", list, []))
    )
    layer = ServiceLayer(
        id=sid,
        name_zh=c.get("name_zh", str, required=True),
        name_en=c.get("name_en", str, required=True),
        rules=tuple(rules),
        description=c.get("description", str, ""),
        source=path,
        keywords=_words(c, "keywords"),
        exclude_keywords=_words(c, "exclude_keywords"),
        expected=expected,
    )
    c.finish()
    return layer

def load_services(directory: str | Path | None = None) -> dict[str, ServiceLayer]:
    """Load every service TOML in ``directory`` (default: the shipped ``layers/``).

    ``goals.toml`` is skipped; service ids must be unique.

    Parameters
    ----------
    directory
        Folder of ``<service>.toml`` files (default: :func:`default_layers_dir`).

    Returns
    -------
    dict[str, ServiceLayer]
        By service id, in file-name order.
    """
    directory = Path(directory) if directory is not None else default_layers_dir()
    services: dict[str, ServiceLayer] = {}
    for path in sorted(directory.glob("*.toml")):
        if path.name == "goals.toml":
            continue
        layer = load_service(path)
        if layer.id in services:
            raise errors.ConfigError(
                f"{path}: service id '{layer.id}' is also defined in {services[layer.id].source}; ids must be unique"
            )
        services[layer.id] = layer
    if not services:
        raise errors.ConfigError(f"{directory}: no service layer TOML files found")
    return services
