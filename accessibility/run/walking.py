"""The walker profiles of a run: slopes from a DEM on the walking network, and the caveats of the profiles.

A walker that feels slopes (:attr:`~accessibility.config.Walker.slope`) slows
down on them only when the run is given a DEM (``--elevation dem.tif``,
:attr:`~accessibility.run.inputs.RunOptions.elevation`). The DEM is read (the
window of the walking network's bounds only) when some walking time goal has such
a walker; the walk network then carries the slope factors of its edges both ways
(``slope_fw``, ``slope_bw``, :func:`~accessibility.network.walkers.slope_columns`),
stored with it in ``network_walk_edges.parquet``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from .. import config
from ..core.notes import Notes
from ..network import walkers
from ..network.graph import Network
from ..readers import elevation
from .inputs import RunOptions

__all__ = ["MISSING_ELEVATION_NOTE_SHARE", "add_elevation", "slope_caveat", "slope_gaps", "slope_walkers"]

log = logging.getLogger(__name__)

#: a note says how much street length had no elevation (counted as flat) above this share
MISSING_ELEVATION_NOTE_SHARE = 0.01


def slope_walkers(goal_list: Sequence[config.Goal]) -> dict[str, config.Walker]:
    """The walkers that feel slopes, of the walking time goals (those whose verdicts walkers decide)."""
    return {g.walker.id: g.walker for g in goal_list if g.mode == "walk" and g.walker_weight is not None and g.walker is not None and g.walker.slope}


def slope_gaps(walk: Network, profile: config.Walker) -> tuple[bool, float | None]:
    """Where a walker who feels slopes walks on the flat: ``(no slopes at all, share of street length without elevation)``.

    The share is given only above :data:`MISSING_ELEVATION_NOTE_SHARE` (as the run's notes do); a
    walker who does not feel slopes misses nothing: ``(False, None)``.
    """
    if not profile.slope:
        return False, None
    if "slope_fw" not in walk.edge_table.columns:
        return True, None
    missing = float(walk.info.get("elevation", {}).get("share_length_without_elevation", 0.0))
    return False, (missing if missing > MISSING_ELEVATION_NOTE_SHARE else None)


def slope_caveat(walk: Network, profile: config.Walker) -> str | None:
    """What a walker's times on the run's walking network lack (:func:`slope_gaps`), as a sentence; ``None`` when nothing."""
    flat, missing = slope_gaps(walk, profile)
    if flat:
        return f"walker {profile.id}: times on the flat, the run has no slopes (no --elevation dem.tif, or no time goal or catchment with a walker feeling them)"
    if missing is not None:
        return f"walker {profile.id}: the run's elevation raster does not cover {missing:.1%} of the street length, counted as flat"
    return None


def add_elevation(
    walk: Network, goal_list: Sequence[config.Goal], options: RunOptions, notes: Notes, *, provision_walkers: Mapping[str, config.Walker] | None = None,
) -> Network:
    """The walking network with slope factors from the run's DEM, when a walker needs them; caveats as notes.

    Parameters
    ----------
    walk
        The walking network.
    goal_list
        The run's goals.
    options
        The run's options (:attr:`~accessibility.run.inputs.RunOptions.elevation`).
    notes
        Where the caveats go (no DEM for a walker that feels slopes; street length the DEM does not cover).
    provision_walkers
        The walkers of the goals file's provision indicators: with a DEM, slopes are computed
        for them too (without one, ``accessibility provision`` says its catchment is on the flat).

    Returns
    -------
    Network
        ``walk`` itself when no walker needs slopes or no DEM is given, else a new network
        with the ``slope_fw`` and ``slope_bw`` columns.
    """
    wanting = slope_walkers(goal_list)
    if options.elevation is not None:  # without a DEM, only the goals' walkers are warned about: a provision says so itself
        wanting.update({k: w for k, w in (provision_walkers or {}).items() if w.slope and k not in wanting})
    if not wanting:
        if options.elevation is not None:
            notes.add(
                f"the elevation raster {options.elevation.name} was not used: no walking time goal or provision catchment has a walker profile "
                'that feels slopes (walker = "..." in goals.toml)',
                code="walker.dem_unused",
                zh=f"未使用高程数据 {options.elevation.name}：没有步行时间目标或配置指标的服务范围使用考虑坡度的步行者类型（goals.toml 中的 walker）",
            )
        return walk
    names_en = ", ".join(w.name_en for w in wanting.values())
    names_zh = "、".join(w.name_zh for w in wanting.values())
    if options.elevation is None:
        notes.add(
            f"walker profile(s) {names_en} slow down on slopes, but no elevation raster was given (--elevation dem.tif): times are on the flat",
            code="walker.no_dem", severity="warning",
            zh=f"步行者类型（{names_zh}）考虑坡度，但未提供高程数据（--elevation dem.tif）：时间按平地计算",
        )
        return walk
    dem = elevation.read_dem(options.elevation, bounds=walk.bounds())
    walk = walkers.slope_columns(walk, dem)
    missing = float(walk.info["elevation"]["share_length_without_elevation"])
    if missing > MISSING_ELEVATION_NOTE_SHARE:
        notes.add(
            f"the elevation raster {dem.path.name} does not cover {missing:.1%} of the street length (outside it or nodata): those streets count as flat",
            code="walker.dem_partial", severity="warning", share=round(missing, 4), file=dem.path.name,
            zh=f"高程数据 {dem.path.name} 未覆盖 {missing:.1%} 的道路长度（范围外或无数据）：这些道路按平地计算",
        )
    return walk
