"""What the briefing map shows: hexagon themes, their classes, colours and legends.

One definition serves the interactive map (:mod:`accessibility.maps`) and its
static PNG (:mod:`accessibility.mapimage`), so both colour a hexagon the same.

Themes
------
``minutes``
    per service, the population-weighted walking minutes to the nearest
    facility (``<service>_mean_time_min``), in classes ≤5, 5–10, 10–15 (the
    15-minute circle), 15–20, 20–30, >30 and "not reachable". Minutes are
    rounded *up* to 0.1 min before classing, so the 0.1-min values shown in
    the map give exactly the same classes.
``goal``
    per goal, the share of the hexagon's eligible people who are covered
    (``<goal>_covered_pop / <goal>_eligible_pop``): *met* when it reaches
    the goal's (first) target, else in quarter classes; hexagons with nobody
    eligible are not drawn.
``uncovered``
    per goal, eligible minus covered people, as circles sized by the square
    root of the count.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import shapely

from .. import errors
from ..core import columns, palette
from ..core.palette import facility_color
from . import i18n
from .rundata import RunData

__all__ = ["Theme", "build_themes", "facility_color", "minute_breaks", "minute_classes", "minutes_q"]


def minute_breaks() -> tuple[float, ...]:
    """Class edges of the minute themes (``maps/themes.toml``)."""
    return palette.load().minute_breaks


def __getattr__(name: str) -> object:
    """``MINUTE_BREAKS``, ``MINUTE_COLORS`` ... of earlier versions, from ``maps/themes.toml`` (:mod:`accessibility.core.palette`)."""
    return getattr(palette, name)


def minutes_q(minutes: np.ndarray) -> np.ndarray:
    """Minutes rounded up to 0.1 min, as integer tenths (-1 where not finite)."""
    m = np.asarray(minutes, np.float64)
    ok = np.isfinite(m)
    out = np.full(m.shape, -1, np.int64)
    out[ok] = np.ceil(np.maximum(m[ok], 0.0) * 10.0 - 1e-9).astype(np.int64)
    return out


def minute_classes(tenths: np.ndarray) -> np.ndarray:
    """Class index of rounded minutes (``len(minute_breaks()) + 1`` = not reachable)."""
    t = np.asarray(tenths, np.int64)
    breaks = minute_breaks()
    cls = np.searchsorted(np.array(breaks) * 10.0, t, side="left")
    return np.where(t < 0, len(breaks) + 1, cls).astype(np.int64)


@dataclass
class Theme:
    """One hexagon theme.

    Attributes
    ----------
    id, kind
        Stable id (``minutes:<service>``, ``goal:<goal>``, ``uncovered:<goal>``)
        and ``"fill"`` or ``"circles"``.
    label, legend_title
        Layer-control name and legend heading (plain text, not escaped).
    colors, legend_labels
        Colour and legend text of each class (``None``: not drawn).
    classes
        Class of every hexagon (fill themes).
    values
        Per hexagon value shown in popups: tenths of minutes, share, people.
    """

    id: str
    kind: str
    label: str
    legend_title: str
    colors: list[str | None] = field(default_factory=list)
    legend_labels: list[str] = field(default_factory=list)
    classes: np.ndarray | None = None
    values: np.ndarray | None = None
    share_permille: np.ndarray | None = None
    uncovered: np.ndarray | None = None
    samples: list[int] = field(default_factory=list)
    vmax: float = 1.0
    service: str | None = None
    goal: str | None = None


def _nice_samples(vmax: float) -> list[int]:
    if vmax < 1:
        return []
    top = 10 ** math.floor(math.log10(vmax))
    top = max(v * top for v in (1, 2, 5) if v * top <= vmax)
    return [int(v) for v in (top, top / 10, top / 100) if v >= 1]


def _caveat_suffix(goal: dict, lang: str, *, sep: str = " ") -> str:
    """The verdict's main caveat (and INCOMPLETE DATA), to stand beside the goal's name."""
    caveat = (goal.get("main_caveat") or {}).get(lang)
    if goal.get("status") == "incomplete_data":
        word = i18n.text("incomplete_data", lang)
        return f"{sep}({word}: {caveat})" if caveat else f"{sep}({word})"
    return f"{sep}({caveat})" if caveat else ""


def _pct_label(x: float) -> str:
    return f"{x * 100:g}%"


def build_themes(data: RunData, lang: str, service_names: dict[str, str]) -> list[Theme]:
    """Every hexagon theme of a run, goals first (their status is the default view)."""
    hexes = data.hexes
    themes: list[Theme] = []
    unit = i18n.text("unit_min", lang)
    speed = f"{data.walk_speed_m_s:g}"
    pal = palette.load()
    mb = [f"{b:g}" for b in pal.minute_breaks]
    minute_labels = [f"≤ {mb[0]} {unit}", *(f"{a}–{b} {unit}" for a, b in itertools.pairwise(mb)), f"> {mb[-1]} {unit}", i18n.text("legend_unreachable", lang)]
    for g in data.goals:
        gid = g["id"]
        name = g["name_zh"] if lang == "zh" else g["name_en"]
        elig_c, cov_c = columns.name("eligible_pop", gid), columns.name("covered_pop", gid)
        if elig_c not in hexes or cov_c not in hexes:
            continue
        elig = np.nan_to_num(hexes[elig_c].to_numpy(np.float64))
        cov = np.nan_to_num(hexes[cov_c].to_numpy(np.float64))
        target = float(g["targets"][0]["share"]) if g.get("targets") else 1.0
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(elig > 0, cov / np.where(elig > 0, elig, 1.0), np.nan)
        edges = [x for x in pal.goal_share_breaks if x < target]
        # classes: 0 met, 1.. not met from the highest bin down, last: nobody eligible
        not_met_edges = sorted(edges, reverse=True)  # e.g. 0.75, 0.5, 0.25
        cls = np.full(len(share), 1 + len(not_met_edges) + 1, np.int64)  # nobody eligible
        has = elig > 0
        met = has & (share >= target - 1e-12)
        cls[met] = 0
        rest = has & ~met
        k = np.zeros(len(share), np.int64)
        for e in not_met_edges:
            k += (share < e)
        cls[rest] = 1 + k[rest]
        uppers = [target, *not_met_edges]
        lowers = [*not_met_edges, 0.0]
        labels = [i18n.text("legend_met", lang, target=_pct_label(target))]
        labels += [f"{_pct_label(lo)}–{_pct_label(hi)}" if lo > 0 else f"< {_pct_label(hi)}" for lo, hi in zip(lowers, uppers, strict=True)]
        colors: list[str | None] = [pal.goal_met_color, *pal.goal_not_met_colors[-len(uppers):], None]
        labels.append("")
        uncovered = np.rint(np.maximum(elig - cov, 0.0)).astype(np.int64)
        permille = np.where(has, np.floor(np.nan_to_num(share) * 1000.0 + 1e-9), -1).astype(np.int64)
        themes.append(
            Theme(
                id=f"goal:{gid}",
                kind="fill",
                label=i18n.text("theme_goal", lang, goal=name) + _caveat_suffix(g, lang),
                legend_title=f"{name}\n{i18n.text('legend_goal', lang, target=_pct_label(target))}{_caveat_suffix(g, lang, sep=chr(10))}",
                colors=colors,
                legend_labels=labels,
                classes=cls,
                share_permille=permille,
                uncovered=uncovered,
                goal=gid,
            )
        )
        vmax = float(uncovered.max()) if len(uncovered) else 0.0
        themes.append(
            Theme(
                id=f"uncovered:{gid}",
                kind="circles",
                label=i18n.text("theme_uncovered", lang, goal=name),
                legend_title=f"{name}\n{i18n.text('legend_uncovered', lang)}",
                colors=[pal.uncovered_color],
                share_permille=permille,
                uncovered=uncovered,
                samples=_nice_samples(vmax),
                vmax=max(vmax, 1.0),
                goal=gid,
            )
        )
    for s in data.services:
        tenths = minutes_q(hexes[columns.name("mean_time_min", s)].to_numpy(np.float64))
        sname = service_names.get(s, s)
        themes.append(
            Theme(
                id=f"minutes:{s}",
                kind="fill",
                label=i18n.text("theme_minutes", lang, service=sname),
                legend_title=f"{sname}\n{i18n.text('legend_minutes', lang, speed=speed)}",
                colors=list(pal.minute_colors),
                legend_labels=minute_labels,
                classes=minute_classes(tenths),
                values=tenths,
                service=s,
            )
        )
    return themes


def hexagon_rings(geoms: np.ndarray) -> np.ndarray:
    """Exterior ring of each hexagon (one polygon per hexagon, checked)."""
    geoms = np.asarray(geoms)
    if len(geoms) and not (shapely.get_type_id(geoms) == 3).all():
        raise errors.InputError("the hexagon layer holds geometries other than polygons; expected one polygon per hexagon")
    return shapely.get_exterior_ring(geoms)
