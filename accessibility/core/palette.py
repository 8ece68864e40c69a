"""The colours every picture of a run uses: the briefing map, its PNG and the QGIS styles of the GeoPackages.

One palette, kept low in the package so the run folder's GeoPackage styles
(:mod:`accessibility.run.gpkgstyle`) and the briefing map
(:mod:`accessibility.briefing.mapthemes`) colour a hexagon, a facility or an
isochrone the same. The colours and class breaks are data: ``maps/themes.toml``
(shipped in the wheel as ``accessibility/_maps/themes.toml``), read once by
:func:`load` into a frozen :class:`Palette`; a mistake raises
:class:`~accessibility.errors.ConfigError` naming the file, the key and the fix.

The module constants of earlier versions (``MINUTE_BREAKS``, ``GOAL_MET_COLOR`` ...)
are still readable: they are looked up in the default palette.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .. import errors

__all__ = ["Palette", "default_maps_dir", "facility_color", "load", "minute_color"]

_PKG = Path(__file__).resolve().parents[1]  # the accessibility package
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


def default_maps_dir() -> Path:
    """The ``maps/`` folder: ``accessibility/_maps`` in an installed wheel, ``maps/`` beside the package in a checkout."""
    # the same two places as config's layers/ and networks/ (pyproject's wheel sources)
    for candidate in (_PKG / "_maps", _PKG.parent / "maps"):
        if (candidate / "themes.toml").is_file():
            return candidate
    raise errors.ConfigError(f"cannot find the 'maps/' folder (themes.toml) next to the package ({_PKG}); reinstall accessibility")


@dataclass(frozen=True)
class Palette:
    """Colours and class breaks of the run's pictures (``maps/themes.toml``).

    Attributes
    ----------
    minute_breaks
        Right-closed class edges of the walking-minute themes, minutes, increasing.
    minute_colors
        One colour per minute class (``len(minute_breaks) + 1``), then the not-reachable colour.
    goal_share_breaks
        Class edges of the covered share below a goal's target (0-1, increasing).
    goal_met_color, goal_not_met_colors
        Met; not met from nearly to hardly (``len(goal_share_breaks) + 1``).
    uncovered_color
        Circles of uncovered people.
    verdict_colors
        Headline badges by goal status (``pass``, ``fail``, ``incomplete_data``, ``undefined``).
    suggestion_colors
        Suggested sites, one per set of a goal (the first for ``suggestions_<goal>``).
    facility_colors, spare_colors
        Markers by service id; other services cycle through the spare colours.
    """

    minute_breaks: tuple[float, ...]
    minute_colors: tuple[str, ...]
    goal_share_breaks: tuple[float, ...]
    goal_met_color: str
    goal_not_met_colors: tuple[str, ...]
    uncovered_color: str
    verdict_colors: Mapping[str, str]
    suggestion_colors: tuple[str, ...]
    facility_colors: Mapping[str, str]
    spare_colors: tuple[str, ...]

    def facility_color(self, service: str, index: int) -> str:
        """Marker colour of a service's facilities (``index``: the service's place among the run's services)."""
        return self.facility_colors.get(service, self.spare_colors[index % len(self.spare_colors)])

    def minute_color(self, minutes: float) -> str:
        """Colour of the minute class holding ``minutes`` (classes right-closed; not finite: not reachable)."""
        if not math.isfinite(minutes):
            return self.minute_colors[-1]
        return self.minute_colors[sum(minutes > b for b in self.minute_breaks)]

    def suggestion_color(self, set_number: int) -> str:
        """Colour of suggested sites of set ``set_number`` (1 for ``suggestions_<goal>``, 2 for ``-2`` ...)."""
        return self.suggestion_colors[(max(set_number, 1) - 1) % len(self.suggestion_colors)]


class _Reader:
    """Typed keys of one table of themes.toml, with messages naming the file and key (config's Checker sits above core)."""

    def __init__(self, doc: Mapping[str, Any], table: str, path: Path) -> None:
        value = doc.get(table)
        if not isinstance(value, Mapping):
            raise errors.ConfigError(f"{path}: missing table [{table}]; compare with the themes.toml shipped with accessibility")
        self.data, self.where = value, f"{path} [{table}]"

    def fail(self, msg: str) -> errors.ConfigError:
        return errors.ConfigError(f"{self.where}: {msg}")

    def color(self, key: str, value: Any = None) -> str:
        value = self.data.get(key) if value is None else value
        if not isinstance(value, str) or not _HEX.fullmatch(value):
            raise self.fail(f"'{key}' must be a colour like \"#1a9850\", got {value!r}")
        return value.lower()

    def colors(self, key: str, *, n: int | None = None) -> tuple[str, ...]:
        value = self.data.get(key)
        if not isinstance(value, list) or not value:
            raise self.fail(f"'{key}' must be a list of colours like [\"#1a9850\", \"#91cf60\"], got {value!r}")
        out = tuple(self.color(key, v) for v in value)
        if n is not None and len(out) != n:
            raise self.fail(f"'{key}' needs {n} colours (one per class), got {len(out)}")
        return out

    def breaks(self, key: str, *, hi: float = math.inf) -> tuple[float, ...]:
        value = self.data.get(key)
        ok = isinstance(value, list) and value and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        nums = tuple(float(v) for v in value) if ok and isinstance(value, list) else ()
        if not ok or not all(0 < v < hi for v in nums) or any(b <= a for a, b in itertools.pairwise(nums)):
            bound = f" and below {hi:g}" if math.isfinite(hi) else ""
            raise self.fail(f"'{key}' must be a list of increasing numbers above 0{bound}, got {value!r}")
        return nums


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        raise errors.InputFileNotFoundError(f"themes file not found: {path}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise errors.ConfigError(f"{path}: not valid UTF-8 TOML ({exc}); fix the syntax and save it as UTF-8") from None


def _palette(doc: Mapping[str, Any], path: Path) -> Palette:
    minutes, goal = _Reader(doc, "minutes", path), _Reader(doc, "goal_status", path)
    verdict, sugg, fac = _Reader(doc, "verdict", path), _Reader(doc, "suggestions", path), _Reader(doc, "facilities", path)
    minute_breaks = minutes.breaks("breaks_min")
    share_breaks = goal.breaks("share_breaks", hi=1.0)
    by_service = fac.data.get("colors", {})
    if not isinstance(by_service, Mapping):
        raise fac.fail("'colors' must be a table of service id = \"#rrggbb\"")
    return Palette(
        minute_breaks=minute_breaks,
        minute_colors=(*minutes.colors("colors", n=len(minute_breaks) + 1), minutes.color("unreachable_color")),
        goal_share_breaks=share_breaks,
        goal_met_color=goal.color("met_color"),
        goal_not_met_colors=goal.colors("not_met_colors", n=len(share_breaks) + 1),
        uncovered_color=goal.color("uncovered_color"),
        verdict_colors=MappingProxyType({k: verdict.color(k) for k in ("pass", "fail", "incomplete_data", "undefined")}),
        suggestion_colors=sugg.colors("colors"),
        facility_colors=MappingProxyType({str(k): fac.color(f"colors.{k}", v) for k, v in by_service.items()}),
        spare_colors=fac.colors("spare_colors"),
    )


@functools.lru_cache(maxsize=8)
def _load(path: Path) -> Palette:
    return _palette(_read(path), path)


def load(path: str | Path | None = None) -> Palette:
    """The palette of ``path`` (default: ``maps/themes.toml``), validated and frozen (read once per file).

    Raises
    ------
    ConfigError
        A colour, break or table is missing or wrong (the message names the file and key).
    """
    return _load(Path(path).resolve() if path is not None else default_maps_dir() / "themes.toml")


def facility_color(service: str, index: int) -> str:
    """Marker colour of a service's facilities in the default palette (see :meth:`Palette.facility_color`)."""
    return load().facility_color(service, index)


def minute_color(minutes: float) -> str:
    """Colour of the minute class holding ``minutes`` in the default palette (see :meth:`Palette.minute_color`)."""
    return load().minute_color(minutes)


_LEGACY = {
    "MINUTE_BREAKS": lambda p: p.minute_breaks,
    "MINUTE_COLORS": lambda p: p.minute_colors,
    "GOAL_MET_COLOR": lambda p: p.goal_met_color,
    "GOAL_NOT_MET_COLORS": lambda p: p.goal_not_met_colors,
    "UNCOVERED_COLOR": lambda p: p.uncovered_color,
    "FACILITY_COLORS": lambda p: dict(p.facility_colors),
    "SPARE_COLORS": lambda p: p.spare_colors,
    "SUGGESTION_COLOR": lambda p: p.suggestion_colors[0],
}


def __getattr__(name: str) -> Any:
    """The constants of earlier versions, from the default palette (read when first asked, not at import)."""
    if name in _LEGACY:
        return _LEGACY[name](load())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
