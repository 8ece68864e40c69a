"""Policy goals and provision ratios (``layers/goals.toml``): thresholds, speeds, populations, areas, targets."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import errors
from .base import WALK_SPEED_RANGE_M_S, Checker, check_id, default_layers_dir, read_toml, tag_table, walk_speed
from .services import ServiceLayer

__all__ = [
    "WALKER_ID_PATTERN",
    "DensityRule",
    "Goal",
    "Provision",
    "Target",
    "Walker",
    "goal_from_dict",
    "goal_to_dict",
    "load_goals",
    "load_provisions",
    "load_walkers",
]

#: walker profile ids: lower-case letters and digits, no underscore (they stand inside cost column names, ``park_walk_older_m``)
WALKER_ID_PATTERN = re.compile(r"[a-z][a-z0-9]{0,30}")


@dataclass(frozen=True)
class Target:
    """A policy target share with its source (e.g. 100% by 2027, Changxing), in English and Chinese."""

    share: float
    label: str
    label_zh: str = ""

    def text(self, lang: str = "en") -> str:
        """The label in ``lang`` (the Chinese one, else the share as a percentage: never the English in a Chinese page)."""
        if lang != "zh":
            return self.label
        return self.label_zh or f"{self.share:.0%}"

@dataclass(frozen=True)
class DensityRule:
    """Tighter distance where population density exceeds a threshold (Hangzhou's 500 m rule)."""

    min_density_per_km2: float
    max_dist_m: float

@dataclass(frozen=True)
class Walker:
    """A walker profile (``[walker.<id>]`` in goals.toml): how fast, and how slopes, steps and crossings slow them.

    Attributes
    ----------
    id
        Profile id (:data:`WALKER_ID_PATTERN`: ``older``, ``adult``).
    name_zh, name_en
        Names for the report.
    speed_m_s
        Walking speed on the flat, metres per second.
    slope
        Whether slopes slow (or speed) the walk, when the run is given a DEM (Tobler's function,
        :mod:`~accessibility.network.slope`).
    steps_factor
        Time multiplier on ``highway=steps`` (at least 1).
    crossing_delay_s
        Seconds of waiting per mapped crossing of a trunk, primary or secondary road.
    source, source_zh
        Where the numbers come from (cited in the report), in English and Chinese (a Chinese
        report without ``source_zh`` points to the file instead).
    """

    id: str
    name_zh: str
    name_en: str
    speed_m_s: float
    slope: bool = True
    steps_factor: float = 1.0
    crossing_delay_s: float = 0.0
    source: str = ""
    source_zh: str = ""

    def name(self, lang: str = "en") -> str:
        return self.name_zh if lang == "zh" else self.name_en

    @property
    def weight(self) -> str:
        """The name of the graph weight of this walker's costs (``"walker:older"``)."""
        return f"walker:{self.id}"


@dataclass(frozen=True)
class Goal:
    """One policy goal, evaluated per resident (demand point).

    Exactly one of ``max_time_s`` and ``max_dist_m`` is set. Times use
    ``walk_speed_m_s`` (or the mode's speed) for the whole trip including the
    walk from the door to the street.
    """

    id: str
    name_zh: str
    name_en: str
    services: tuple[str, ...]
    population: str = "total"  # "total" or "older"
    max_time_s: float | None = None
    max_dist_m: float | None = None
    mode: str = "walk"
    speed_m_s: float | None = None
    combine: str = "all"  # a resident is covered when "all"/"any" services are reached
    tiers: tuple[tuple[str, tuple[str, ...]], ...] = ()
    area: str = "study_area"  # or "main_urban_area"
    straight_line: bool = False
    density_rules: tuple[DensityRule, ...] = ()
    targets: tuple[Target, ...] = ()
    description: str = ""
    walker: Walker | None = None

    def __post_init__(self) -> None:
        # a goal with a walker walks at the walker's speed (run folders keep both, by value)
        if self.walker is not None and self.speed_m_s is None:
            object.__setattr__(self, "speed_m_s", self.walker.speed_m_s)

    def name(self, lang: str = "en") -> str:
        return self.name_zh if lang == "zh" else self.name_en

    @property
    def walker_weight(self) -> str | None:
        """The graph weight of the goal's walker when it decides the verdict (a walking time goal), else ``None``.

        Distance goals stay metric: their walker changes only the report text.
        """
        if self.walker is None or self.max_time_s is None:
            return None
        return self.walker.weight

    def tiers_for(self, service: str) -> tuple[str, ...] | None:
        """Facility tiers that count for ``service`` (``None``: all tiers)."""
        for sid, tiers in self.tiers:
            if sid == service:
                return tiers
        return None

    def threshold_m(self, speed_m_s: float) -> float:
        """The goal's threshold as a distance at the given constant speed."""
        if self.max_dist_m is not None:
            return self.max_dist_m
        assert self.max_time_s is not None
        return self.max_time_s * speed_m_s

    @property
    def threshold_label(self) -> str:
        if self.max_dist_m is not None:
            return f"{self.max_dist_m:g} m"
        assert self.max_time_s is not None
        return f"{self.max_time_s / 60:g} min"

def load_goals(path: str | Path | None = None, *, services: Mapping[str, ServiceLayer] | None = None) -> tuple[Goal, ...]:
    """Load the goals TOML (default: the shipped ``layers/goals.toml``).

    Parameters
    ----------
    path
        Goals file; ``[[goal]]`` tables as in the shipped default.
    services
        Known services; a goal naming another service is an error.

    Returns
    -------
    tuple[Goal, ...]
        The goals in file order.
    """
    path = Path(path) if path is not None else default_layers_dir() / "goals.toml"
    data = read_toml(path)
    top = Checker(data, str(path))
    raw_goals = top.get("goal", list, required=True)
    top.get("provision", list, [])  # read by load_provisions
    walkers = _walkers(top.get("walker", dict, {}), path)
    top.finish()
    goals: list[Goal] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_goals):
        c = Checker(raw, f"{path} [[goal]] #{i + 1}")
        gid = check_id(c.get("id", str, required=True), what="goal id", where=c.where)
        c.where = f"{path} goal '{gid}'"
        if gid in seen:
            raise c.fail("duplicate goal id")
        seen.add(gid)
        svc = c.str_list("services")
        if not svc:
            raise c.fail("'services' is empty")
        if services is not None:
            unknown = [s for s in svc if s not in services]
            if unknown:
                raise c.fail(
                    f"unknown service(s) {unknown}; known services are {sorted(services)} "
                    "(add a layers/<service>.toml or fix the name)"
                )
        minutes = c.positive("max_time_min", None)
        dist = c.positive("max_dist_m", None)
        if (minutes is None) == (dist is None):
            raise c.fail("set exactly one of 'max_time_min' and 'max_dist_m'")
        population = c.get("population", str, "total")
        if population not in ("total", "older"):
            raise c.fail(f"'population' must be \"total\" or \"older\", got {population!r}")
        combine = c.get("combine", str, "all")
        if combine not in ("all", "any"):
            raise c.fail(f"'combine' must be \"all\" or \"any\", got {combine!r}")
        area = c.get("area", str, "study_area")
        if area not in ("study_area", "main_urban_area"):
            raise c.fail(f"'area' must be \"study_area\" or \"main_urban_area\", got {area!r}")
        tiers_raw = c.get("tiers", dict, {})
        tiers = tag_table(tiers_raw, c.where, "tiers")
        for sid, _ in tiers:
            if sid not in svc:
                raise c.fail(f"'tiers' names service '{sid}' which is not in 'services'")
        if services is not None:
            for sid, tier_values in tiers:
                bad = [t for t in tier_values if t not in services[sid].tiers]
                if bad:
                    raise c.fail(f"unknown tier(s) {bad} for '{sid}'; its tiers are {list(services[sid].tiers)}")
        rules = []
        for j, rr in enumerate(c.get("density_rule", list, [])):
            rc = Checker(rr, f"{c.where} density_rule #{j + 1}")
            rules.append(DensityRule(rc.positive("min_density_per_km2"), rc.positive("max_dist_m")))
            rc.finish()
        if rules and dist is None:
            raise c.fail("'density_rule' needs a distance goal ('max_dist_m')")
        targets = []
        for j, tr in enumerate(c.get("targets", list, [])):
            tc = Checker(tr, f"{c.where} targets #{j + 1}")
            share = tc.get("share", float, required=True)
            if not 0 <= share <= 1:
                raise tc.fail(f"'share' must be between 0 and 1 (a fraction), got {share}")
            targets.append(Target(share=share, label=tc.get("label", str, f"{share:.0%}"), label_zh=tc.get("label_zh", str, "")))
            tc.finish()
        goals.append(
            Goal(
                id=gid,
                name_zh=c.get("name_zh", str, gid),
                name_en=c.get("name_en", str, gid),
                services=svc,
                population=population,
                max_time_s=minutes * 60.0 if minutes is not None else None,
                max_dist_m=dist,
                mode=check_id(c.get("mode", str, "walk"), what="mode", where=c.where),
                speed_m_s=walk_speed(c),
                combine=combine,
                tiers=tiers,
                area=area,
                straight_line=c.get("straight_line", bool, False),
                density_rules=tuple(sorted(rules, key=lambda r: -r.min_density_per_km2)),
                targets=tuple(targets),
                description=c.get("description", str, ""),
                walker=_goal_walker(c, walkers, path),
            )
        )
        c.finish()
    if not goals:
        raise errors.ConfigError(f"{path}: no [[goal]] tables")
    return tuple(goals)

def load_walkers(path: str | Path | None = None) -> dict[str, Walker]:
    """The walker profiles (``[walker.<id>]`` tables) of a goals TOML (default: the shipped ``layers/goals.toml``).

    Parameters
    ----------
    path
        Goals file.

    Returns
    -------
    dict[str, Walker]
        The profiles by id, in file order (empty when the file has none).
    """
    path = Path(path) if path is not None else default_layers_dir() / "goals.toml"
    raw = read_toml(path).get("walker", {})
    if not isinstance(raw, dict):
        raise errors.ConfigError(f"{path}: 'walker' must be tables like [walker.older]; fix the file")
    return _walkers(raw, path)


def _walkers(raw: Mapping[str, Any], path: Path) -> dict[str, Walker]:
    out: dict[str, Walker] = {}
    lo, hi = WALK_SPEED_RANGE_M_S
    for wid, table in raw.items():
        where = f"{path} [walker.{wid}]"
        if not WALKER_ID_PATTERN.fullmatch(wid):
            raise errors.ConfigError(
                f"{where}: walker id {wid!r} is not allowed; use lower-case letters and digits only, starting with a letter "
                "(no '_': the id stands inside column names), e.g. [walker.older]"
            )
        if not isinstance(table, dict):
            raise errors.ConfigError(f"{where}: must be a table of keys (name_zh, name_en, speed_m_s...), got {table!r}")
        c = Checker(table, where)
        speed = c.positive("speed_m_s")
        if not lo <= speed <= hi:
            raise c.fail(f"'speed_m_s' is in metres per second and walking lies between {lo:g} and {hi:g} m/s; got {speed:g}")
        steps = c.get("steps_factor", float, 1.0)
        if not (steps >= 1 and steps < float("inf")):
            raise c.fail(f"'steps_factor' is a time multiplier on steps, at least 1 (1 = as fast as the flat, 2 = twice as slow); got {steps!r}")
        delay = c.get("crossing_delay_s", float, 0.0)
        if not (0 <= delay < float("inf")):
            raise c.fail(f"'crossing_delay_s' is seconds of waiting per crossing of a major road, 0 or more; got {delay!r}")
        out[wid] = Walker(
            id=wid, name_zh=c.get("name_zh", str, wid), name_en=c.get("name_en", str, wid), speed_m_s=speed,
            slope=c.get("slope", bool, True), steps_factor=steps, crossing_delay_s=delay, source=c.get("source", str, ""),
            source_zh=c.get("source_zh", str, ""),
        )
        c.finish()
    return out


def _goal_walker(c: Checker, walkers: Mapping[str, Walker], path: Path) -> Walker | None:
    """The goal's ``walker`` profile, checked against its speed and mode."""
    wid = c.get("walker", str, None)
    if wid is None:
        return None
    walker = walkers.get(wid)
    if walker is None:
        known = sorted(walkers) or "none (add [walker.<id>] tables to the file)"
        raise c.fail(f"unknown walker {wid!r}; the walker profiles of {path} are {known}")
    if c.data.get("mode", "walk") != "walk":
        raise c.fail(f"'walker' is a walking profile; this goal's mode is {c.data.get('mode')!r}: remove 'walker' or walk")
    speed = c.data.get("walk_speed_m_s")
    if speed is not None and abs(float(speed) - walker.speed_m_s) > 1e-9:
        raise c.fail(
            f"'walk_speed_m_s' = {speed:g} differs from the speed of walker '{wid}' ({walker.speed_m_s:g} m/s); "
            f"remove 'walk_speed_m_s' (the goal then walks at the walker's speed) or change speed_m_s in [walker.{wid}]"
        )
    return walker


@dataclass(frozen=True)
class Provision:
    """A provision ratio (POLICY.md §4) measured with floating catchments (2SFCA/E2SFCA).

    ``supply`` is the facility column holding capacity (``beds``, ``places``,
    ``area_m2``); the ratio is reported per ``per`` people of ``population``.
    """

    id: str
    name_zh: str
    name_en: str
    service: str
    supply: str
    population: str
    per: float
    target: float
    max_dist_m: float | None = None
    max_time_s: float | None = None
    speed_m_s: float | None = None
    decay_steps: tuple[tuple[float, float], ...] = ((1 / 3, 1.0), (2 / 3, 0.68), (1.0, 0.22))
    target_label: str = ""
    target_label_zh: str = ""
    walker: Walker | None = None

    def __post_init__(self) -> None:
        # a time catchment with a walker walks at the walker's speed (as goals do)
        if self.walker is not None and self.speed_m_s is None:
            object.__setattr__(self, "speed_m_s", self.walker.speed_m_s)

    @property
    def walker_weight(self) -> str | None:
        """The graph weight of the walker's costs when they measure the catchment (a time catchment), else ``None``."""
        if self.walker is None or self.max_time_s is None:
            return None
        return self.walker.weight

    def catchment_m(self, speed_m_s: float) -> float:
        """Catchment size as a walking distance (with a walker: its flat-equivalent metres)."""
        if self.max_dist_m is not None:
            return self.max_dist_m
        assert self.max_time_s is not None
        return self.max_time_s * speed_m_s

def load_provisions(path: str | Path | None = None, *, services: Mapping[str, ServiceLayer] | None = None) -> tuple[Provision, ...]:
    """Load the ``[[provision]]`` tables of a goals TOML (default: shipped ``layers/goals.toml``).

    Parameters
    ----------
    path
        Goals file.
    services
        Known services; an indicator naming another service is an error.

    Returns
    -------
    tuple[Provision, ...]
        The provision indicators in file order (empty when the file has none).
    """
    path = Path(path) if path is not None else default_layers_dir() / "goals.toml"
    data = read_toml(path)
    walkers = load_walkers(path)
    out = []
    for i, raw in enumerate(data.get("provision", [])):
        c = Checker(raw, f"{path} [[provision]] #{i + 1}")
        pid = check_id(c.get("id", str, required=True), what="provision id", where=c.where)
        c.where = f"{path} provision '{pid}'"
        service = c.get("service", str, required=True)
        if services is not None and service not in services:
            raise c.fail(f"unknown service '{service}'; known services are {sorted(services)}")
        population = c.get("population", str, "total")
        if population not in ("total", "older"):
            raise c.fail(f"'population' must be \"total\" or \"older\", got {population!r}")
        minutes = c.positive("max_time_min", None)
        dist = c.positive("max_dist_m", None)
        if (minutes is None) == (dist is None):
            raise c.fail("set exactly one of 'max_time_min' and 'max_dist_m' (the catchment)")
        steps = c.get("decay_steps", list, [[1 / 3, 1.0], [2 / 3, 0.68], [1.0, 0.22]])
        try:
            decay = tuple(sorted((float(a), float(b)) for a, b in steps))
        except (TypeError, ValueError):
            raise c.fail("'decay_steps' must be pairs [fraction of catchment, weight], e.g. [[0.33, 1.0], [1.0, 0.22]]") from None
        if any(not 0 < a <= 1 or b < 0 for a, b in decay):
            raise c.fail("'decay_steps' fractions must be in (0, 1] and weights non-negative")
        out.append(
            Provision(
                id=pid,
                name_zh=c.get("name_zh", str, pid),
                name_en=c.get("name_en", str, pid),
                service=service,
                supply=c.get("supply", str, required=True),
                population=population,
                per=c.positive("per", 1.0),
                target=c.positive("target"),
                max_dist_m=dist,
                max_time_s=minutes * 60.0 if minutes is not None else None,
                speed_m_s=walk_speed(c),
                decay_steps=decay,
                target_label=c.get("target_label", str, ""),
                target_label_zh=c.get("target_label_zh", str, ""),
                walker=_goal_walker(c, walkers, path),
            )
        )
        c.finish()
    return tuple(out)

def goal_to_dict(goal: Goal) -> dict[str, Any]:
    """A goal as plain JSON data (the run folder keeps the goals it evaluated by value)."""
    from dataclasses import asdict

    return asdict(goal)

def goal_from_dict(data: Mapping[str, Any]) -> Goal:
    """The goal of :func:`goal_to_dict` (tuples restored)."""
    d = dict(data)
    d["services"] = tuple(d["services"])
    d["tiers"] = tuple((s, tuple(t)) for s, t in d.get("tiers", ()))
    d["density_rules"] = tuple(DensityRule(**r) for r in d.get("density_rules", ()))
    d["targets"] = tuple(Target(**t) for t in d.get("targets", ()))
    if d.get("walker") is not None:
        d["walker"] = Walker(**d["walker"])
    return Goal(**d)
