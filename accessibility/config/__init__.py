"""Validated, frozen configuration loaded from TOML.

Three kinds of file, all editable by planners:

* ``layers/<service>.toml`` -- one facility service each (OSM tag rules,
  Chinese and English names, tiers);
* ``layers/goals.toml`` -- the policy goals (thresholds, speeds, targets);
* ``networks/<mode>.toml`` -- network recipes (which ways a mode may use,
  its speed and one-way rules).

Everything is parsed into frozen dataclasses; a mistake raises
:class:`~accessibility.errors.ConfigError` naming the file, the entry and the fix.
"""

from __future__ import annotations

import codecs
import logging
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import EllipsisType
from typing import Any, Literal, overload

from .. import errors

__all__ = [
    "GOAL_IDS",
    "ID_PATTERN",
    "DensityRule",
    "Goal",
    "ModeRecipe",
    "Provision",
    "ServiceLayer",
    "TagRule",
    "Target",
    "check_id",
    "default_layers_dir",
    "default_networks_dir",
    "goal_from_dict",
    "goal_to_dict",
    "load_goals",
    "load_mode",
    "load_provisions",
    "load_service",
    "load_services",
    "read_toml",
    "recipe_from_dict",
    "recipe_to_dict",
]

log = logging.getLogger(__name__)

#: Identifiers of services, goals, provision indicators, tiers and modes: they become
#: file names (``suggestions_<goal>.csv``) and column names, so only lower-case ASCII
#: letters, digits and ``_``, starting with a letter (no path separators, no dots, and
#: no two ids that differ only in case on Windows or macOS file systems).
ID_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,62}")

#: plausible speeds (m/s) of a person walking: 0.2 (very frail) to 3 (running)
WALK_SPEED_RANGE_M_S = (0.2, 3.0)
#: any mode (m/s): up to 45 m/s (162 km/h)
MODE_SPEED_RANGE_M_S = (0.2, 45.0)
#: Stable goal ids used by the CLI, outputs and later work.
GOAL_IDS = ("service_circle_15min", "elderly_care_1km", "fitness_10min", "park_10min")

_PKG = Path(__file__).resolve().parents[1]  # the accessibility package


def _find_dir(name: str) -> Path:
    # Installed wheels carry the folders inside the package (pyproject's wheel
    # sources); editable installs and checkouts use the top-level folder.
    for candidate in (_PKG / f"_{name}", _PKG.parent / name):
        if candidate.is_dir():
            return candidate
    raise errors.ConfigError(
        f"cannot find the default '{name}/' folder next to the package ({_PKG}); "
        "reinstall accessibility or pass the folder explicitly"
    )


def default_layers_dir() -> Path:
    """Folder holding the default service layers and ``goals.toml``."""
    return _find_dir("layers")


def default_networks_dir() -> Path:
    """Folder holding the default network recipes (``walk.toml``, ...)."""
    return _find_dir("networks")


def check_id(value: object, *, what: str, where: str) -> str:
    """``value`` if it is a valid identifier (:data:`ID_PATTERN`), else a :class:`~accessibility.errors.ConfigError`.

    Parameters
    ----------
    value
        The identifier as read.
    what
        What it identifies, for the message (``"goal id"``).
    where
        The file and entry, for the message.
    """
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise errors.ConfigError(
            f"{where}: {what} {value!r} is not allowed; use lower-case letters, digits and '_' "
            "(starting with a letter, at most 63 characters), e.g. 'elderly_care_1km'"
        )
    return value


_TOML_ENCODINGS = (("utf-8", codecs.BOM_UTF8), ("utf-16", codecs.BOM_UTF16_LE), ("utf-16", codecs.BOM_UTF16_BE))


def _decode_toml(raw: bytes, path: Path) -> str:
    """TOML text: UTF-8 as the format says, but also what Windows editors save (BOM, UTF-16, GBK)."""
    for encoding, bom in _TOML_ENCODINGS:
        if raw.startswith(bom):
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise errors.ConfigError(f"{path}: starts like {encoding} text but byte {exc.start} is not; save it as UTF-8") from None
            if encoding != "utf-8":
                log.info("%s: read as %s (TOML files should be UTF-8)", path, encoding)
            return text.lstrip("\ufeff")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise errors.ConfigError(
                f"{path}: not UTF-8 text (byte {exc.start}: {raw[exc.start:exc.start + 4]!r}); save it as UTF-8 in your editor"
            ) from None
        log.warning("%s: not UTF-8, read as GBK/GB18030; save it as UTF-8 to be sure the Chinese names are right", path)
        return text


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file planners may have edited on Windows (UTF-8, with or without BOM, UTF-16, GBK).

    Parameters
    ----------
    path
        The TOML file.

    Returns
    -------
    dict[str, Any]
        The parsed document.

    Raises
    ------
    InputFileNotFoundError
        If the file does not exist.
    ConfigError
        If it is not valid TOML, naming the line and the fix.
    """
    path = Path(path)
    if not path.is_file():
        raise errors.InputFileNotFoundError(f"configuration file not found: {path}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise errors.ConfigError(f"{path}: cannot be read ({exc.strerror}); check the file's permissions") from None
    text = _decode_toml(raw, path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise errors.ConfigError(f"{path}: not valid TOML ({exc}); fix the syntax") from None
    except RecursionError:
        raise errors.ConfigError(f"{path}: arrays or tables are nested too deeply to be a configuration file; check the file") from None


_read_toml = read_toml


class _Checker:
    """Small helper that reads typed keys and names file and entry in errors."""

    def __init__(self, data: Mapping[str, Any], where: str):
        self.data = data
        self.where = where
        self.used: set[str] = set()

    def fail(self, msg: str) -> errors.ConfigError:
        return errors.ConfigError(f"{self.where}: {msg}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ..., *, required: bool = False) -> Any:
        self.used.add(key)
        if key not in self.data:
            if required or default is ...:
                raise self.fail(f"missing required key '{key}'")
            return default
        value = self.data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float)):
            name = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise self.fail(f"'{key}' must be {name}, got {value!r}")
        return value

    @overload
    def positive(self, key: str, default: float | EllipsisType = ..., *, allow_none: Literal[False] = False) -> float: ...
    @overload
    def positive(self, key: str, default: float | EllipsisType | None = ..., *, allow_none: bool = False) -> float | None: ...
    def positive(self, key: str, default: Any = ..., *, allow_none: bool = False) -> float | None:
        value = self.get(key, float, None if allow_none and default is ... else default)
        if value is None:
            return None
        if not math.isfinite(value) or value <= 0:
            raise self.fail(f"'{key}' must be a positive number, got {value!r}")
        return value

    def str_list(self, key: str, default: Any = ...) -> tuple[str, ...]:
        value = self.get(key, list, default)
        if not all(isinstance(v, str) for v in value):
            raise self.fail(f"'{key}' must be a list of strings, got {value!r}")
        return tuple(value)

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise self.fail(f"unknown key(s) {unknown}; check the spelling against layers/README.md")


# --------------------------------------------------------------------------- services


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


def _tag_table(value: Any, where: str, key: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, Mapping):
        raise errors.ConfigError(f"{where}: '{key}' must be a table like {{ amenity = \"clinic\" }}")
    out = []
    for k, v in value.items():
        vals = (v,) if isinstance(v, str) else tuple(v) if isinstance(v, list) else None
        if not vals or not all(isinstance(x, str) and x for x in vals):
            raise errors.ConfigError(f"{where}: '{key}.{k}' must be a string or a list of strings, got {v!r}")
        out.append((str(k), vals))
    return tuple(out)


@dataclass(frozen=True)
class ServiceLayer:
    """A public service (one TOML file under ``layers/``)."""

    id: str
    name_zh: str
    name_en: str
    rules: tuple[TagRule, ...]
    description: str = ""
    source: Path | None = field(default=None, compare=False)

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
    data = _read_toml(path)
    c = _Checker(data, str(path))
    sid = check_id(c.get("id", str, required=True), what="service id", where=str(path))
    rules = []
    raw_rules = c.get("rules", list, required=True)
    if not raw_rules:
        raise c.fail("'rules' is empty; add at least one [[rules]] table with tags")
    for i, raw in enumerate(raw_rules):
        rc = _Checker(raw, f"{path} [[rules]] #{i + 1}")
        tags = _tag_table(rc.get("tags", dict, required=True), rc.where, "tags")
        if not tags:
            raise rc.fail("'tags' is empty")
        not_tags = _tag_table(rc.get("not_tags", dict, {}), rc.where, "not_tags")
        tier = check_id(rc.get("tier", str, "default"), what="tier", where=rc.where)
        rc.finish()
        rules.append(TagRule(tags=tags, not_tags=not_tags, tier=tier))
    layer = ServiceLayer(
        id=sid,
        name_zh=c.get("name_zh", str, required=True),
        name_en=c.get("name_en", str, required=True),
        rules=tuple(rules),
        description=c.get("description", str, ""),
        source=path,
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


def _walk_speed(c: _Checker) -> float | None:
    speed = c.positive("walk_speed_m_s", None)
    lo, hi = WALK_SPEED_RANGE_M_S
    if speed is not None and not lo <= speed <= hi:
        hint = f" ({speed:g} m/min would be {speed / 60:.2f} m/s)" if 20 <= speed <= 180 else ""
        raise c.fail(f"'walk_speed_m_s' is in metres per second and walking lies between {lo:g} and {hi:g} m/s; got {speed:g}{hint}")
    return speed


# --------------------------------------------------------------------------- goals


@dataclass(frozen=True)
class Target:
    """A policy target share with its source (e.g. 100% by 2027, Changxing)."""

    share: float
    label: str


@dataclass(frozen=True)
class DensityRule:
    """Tighter distance where population density exceeds a threshold (Hangzhou's 500 m rule)."""

    min_density_per_km2: float
    max_dist_m: float


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

    def name(self, lang: str = "en") -> str:
        return self.name_zh if lang == "zh" else self.name_en

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
    data = _read_toml(path)
    top = _Checker(data, str(path))
    raw_goals = top.get("goal", list, required=True)
    top.get("provision", list, [])  # read by load_provisions
    top.finish()
    goals: list[Goal] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_goals):
        c = _Checker(raw, f"{path} [[goal]] #{i + 1}")
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
        tiers = _tag_table(tiers_raw, c.where, "tiers")
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
            rc = _Checker(rr, f"{c.where} density_rule #{j + 1}")
            rules.append(DensityRule(rc.positive("min_density_per_km2"), rc.positive("max_dist_m")))
            rc.finish()
        if rules and dist is None:
            raise c.fail("'density_rule' needs a distance goal ('max_dist_m')")
        targets = []
        for j, tr in enumerate(c.get("targets", list, [])):
            tc = _Checker(tr, f"{c.where} targets #{j + 1}")
            share = tc.get("share", float, required=True)
            if not 0 <= share <= 1:
                raise tc.fail(f"'share' must be between 0 and 1 (a fraction), got {share}")
            targets.append(Target(share=share, label=tc.get("label", str, f"{share:.0%}")))
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
                speed_m_s=_walk_speed(c),
                combine=combine,
                tiers=tiers,
                area=area,
                straight_line=c.get("straight_line", bool, False),
                density_rules=tuple(sorted(rules, key=lambda r: -r.min_density_per_km2)),
                targets=tuple(targets),
                description=c.get("description", str, ""),
            )
        )
        c.finish()
    if not goals:
        raise errors.ConfigError(f"{path}: no [[goal]] tables")
    return tuple(goals)


# --------------------------------------------------------------------------- provision ratios


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

    def catchment_m(self, speed_m_s: float) -> float:
        """Catchment size as a walking distance."""
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
    data = _read_toml(path)
    out = []
    for i, raw in enumerate(data.get("provision", [])):
        c = _Checker(raw, f"{path} [[provision]] #{i + 1}")
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
                speed_m_s=_walk_speed(c),
                decay_steps=decay,
                target_label=c.get("target_label", str, ""),
            )
        )
        c.finish()
    return tuple(out)


# --------------------------------------------------------------------------- network recipes


@dataclass(frozen=True)
class ModeRecipe:
    """How a travel mode uses the OSM network (one TOML under ``networks/``)."""

    id: str
    speed_m_s: float
    oneway: bool
    include_highway: tuple[str, ...]
    exclude_tags: tuple[tuple[str, tuple[str, ...]], ...] = ()
    allow_tags: tuple[tuple[str, tuple[str, ...]], ...] = ()
    oneway_exempt_tags: tuple[tuple[str, tuple[str, ...]], ...] = ()
    speeds_kmh: tuple[tuple[str, float], ...] = ()
    weight: str = "length"  # "length" (constant speed) or "time" (per-edge speed)
    source: Path | None = field(default=None, compare=False)

    def speed_for(self, highway: str) -> float:
        """Speed in m/s on a highway class (time-weighted modes)."""
        for hw, kmh in self.speeds_kmh:
            if hw == highway:
                return kmh / 3.6
        return self.speed_m_s


def load_mode(mode: str | Path, *, directory: str | Path | None = None) -> ModeRecipe:
    """Load a network recipe by id (``"walk"``, ``"bike"``, ``"drive"``) or path.

    Parameters
    ----------
    mode
        Mode id, or the path of a recipe TOML (ending in ``.toml``).
    directory
        Where to look up a mode id (default: :func:`default_networks_dir`).

    Returns
    -------
    ModeRecipe
        Which ways the mode may use, its speed and one-way rules.
    """
    path = Path(mode)
    if path.suffix != ".toml":
        directory = Path(directory) if directory is not None else default_networks_dir()
        check_id(str(mode), what="travel mode", where=str(directory))
        path = directory / f"{mode}.toml"
        if not path.is_file():
            known = sorted(p.stem for p in directory.glob("*.toml"))
            raise errors.ConfigError(f"unknown travel mode '{mode}'; known modes are {known} (recipes in {directory})")
    data = _read_toml(path)
    c = _Checker(data, str(path))
    weight = c.get("weight", str, "length")
    if weight not in ("length", "time"):
        raise c.fail(f"'weight' must be \"length\" or \"time\", got {weight!r}")
    speeds = c.get("speeds_kmh", dict, {})
    lo, hi = MODE_SPEED_RANGE_M_S
    for k, v in speeds.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo * 3.6 <= v <= hi * 3.6:
            raise c.fail(f"speeds_kmh.{k} must be a speed in km/h between {lo * 3.6:g} and {hi * 3.6:g}, got {v!r}")
    mode_id = check_id(c.get("id", str, required=True), what="mode id", where=str(path))
    speed = c.positive("speed_m_s")
    top = WALK_SPEED_RANGE_M_S[1] if mode_id == "walk" else hi
    if speed is None or not lo <= speed <= top:
        raise c.fail(f"'speed_m_s' is in metres per second and must lie between {lo:g} and {top:g} for mode '{mode_id}', got {speed!r}")
    recipe = ModeRecipe(
        id=mode_id,
        speed_m_s=speed,
        oneway=c.get("oneway", bool, False),
        include_highway=c.str_list("include_highway"),
        exclude_tags=_tag_table(c.get("exclude_tags", dict, {}), str(path), "exclude_tags"),
        allow_tags=_tag_table(c.get("allow_tags", dict, {}), str(path), "allow_tags"),
        oneway_exempt_tags=_tag_table(c.get("oneway_exempt_tags", dict, {}), str(path), "oneway_exempt_tags"),
        speeds_kmh=tuple((str(k), float(v)) for k, v in speeds.items()),
        weight=weight,
        source=path,
    )
    c.finish()
    return recipe


# --------------------------------------------------------------------------- by value, for run folders


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
    return Goal(**d)


def recipe_to_dict(recipe: ModeRecipe) -> dict[str, Any]:
    """A travel mode's recipe as plain JSON data (the run folder keeps it by value, not by path)."""
    from dataclasses import asdict

    out = asdict(recipe)
    out["source"] = str(recipe.source) if recipe.source is not None else None
    return out


def recipe_from_dict(data: Mapping[str, Any]) -> ModeRecipe:
    """The recipe of :func:`recipe_to_dict` (tuples restored)."""
    d = dict(data)

    def table(v: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return tuple((str(k), tuple(vals)) for k, vals in v)

    return ModeRecipe(
        id=d["id"], speed_m_s=float(d["speed_m_s"]), oneway=bool(d["oneway"]), include_highway=tuple(d["include_highway"]),
        exclude_tags=table(d.get("exclude_tags", ())), allow_tags=table(d.get("allow_tags", ())), oneway_exempt_tags=table(d.get("oneway_exempt_tags", ())),
        speeds_kmh=tuple((str(k), float(v)) for k, v in d.get("speeds_kmh", ())), weight=d.get("weight", "length"),
        source=Path(d["source"]) if d.get("source") else None,
    )
