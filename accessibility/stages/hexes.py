"""H3 hexagons: the reporting grid.

Coverage is decided per demand point (a raster pixel or an estimated
building), never per hexagon, so the resolution only changes how results are
shown. The default, resolution 9 (0.105 km² and about 200 m edge on
average), holds about ten 100 m WorldPop pixels per hexagon, which keeps hex
populations stable, while one hexagon is still only a 4–6 minute walk across,
fine enough to show where a 500 m / 1 km / 15-minute gap lies. Resolution 10
(0.015 km²) would hold ~1.5 pixels each and look noisy; 8 (0.74 km²) would
hide gaps the size of a residential compound.

Points are converted to cells with h3ronpy (vectorised Rust bindings of
Uber's H3 library); cell ids are the H3 library's own.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import geopandas as gpd
import h3ronpy
import numpy as np
import shapely
from h3ronpy import ContainmentMode, vector

from ..core import columns, parallel
from ..network import distances, snapping, trees

__all__ = [
    "DEFAULT_RESOLUTION", "HexCells", "HexLayout", "cell_areas_km2", "cell_centres", "cell_polygons", "cell_str", "cells_covering", "cells_of_points",
    "hex_cells", "hex_costs", "hex_layout", "hexagons",
]

DEFAULT_RESOLUTION = 9
_AREA_SLICE = 8_192  # cells measured per call of h3ronpy (see cell_areas_km2)
_COMPILED_MIN_CELLS = 20_000  # from this many cells, measured by a compiled kernel (numba's import costs more below)


def _check_res(resolution: int) -> int:
    if not isinstance(resolution, (int, np.integer)) or not 0 <= resolution <= 15:
        raise ValueError(f"H3 resolution must be an integer 0-15 (default {DEFAULT_RESOLUTION}), got {resolution!r}")
    return int(resolution)


def cells_of_points(lon: np.ndarray, lat: np.ndarray, resolution: int = DEFAULT_RESOLUTION) -> np.ndarray:
    """H3 cell (uint64) of every WGS-84 point."""
    resolution = _check_res(resolution)
    if len(lon) == 0:
        return np.array([], dtype=np.uint64)
    cells = vector.coordinates_to_cells(np.asarray(lat, np.float64), np.asarray(lon, np.float64), resolution)
    return np.asarray(cells, dtype=np.uint64)


def cells_covering(area: shapely.Geometry, resolution: int = DEFAULT_RESOLUTION) -> np.ndarray:
    """Cells intersecting a WGS-84 polygon (so the whole area is tiled)."""
    resolution = _check_res(resolution)
    parts = shapely.get_parts(area)
    out = [
        np.asarray(vector.geometry_to_cells(p, resolution, containment_mode=ContainmentMode.IntersectsBoundary), dtype=np.uint64)
        for p in parts
    ]
    return np.unique(np.concatenate(out)) if out else np.array([], dtype=np.uint64)


def cell_centres(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of the cells' centres (H3's own centre points)."""
    cells = np.asarray(cells, dtype=np.uint64)
    if len(cells) == 0:
        return np.zeros(0), np.zeros(0)
    table = vector.cells_to_coordinates(cells)
    return np.asarray(table.column("lng").to_numpy(), np.float64), np.asarray(table.column("lat").to_numpy(), np.float64)


def cell_str(cells: np.ndarray) -> np.ndarray:
    """Hexadecimal H3 ids as strings, the form QGIS/kepler users paste around.

    Each distinct cell is converted once, so per-point arrays with many
    repeats (residents of the same hexagon) cost only their distinct cells.
    """
    uniq, inv = np.unique(np.asarray(cells, dtype=np.uint64), return_inverse=True)
    return np.asarray(h3ronpy.cells_to_string(uniq).to_numpy(), dtype=object)[inv.ravel()]


def hexagons(cells: np.ndarray) -> gpd.GeoDataFrame:
    """Polygons of cells, with ``h3`` id string and ``area_km2``."""
    cells = np.asarray(cells, dtype=np.uint64)
    polygons = cell_polygons(cells)
    return _frame(cells, polygons, cell_areas_km2(cells, polygons))


def cell_polygons(cells: np.ndarray) -> np.ndarray:
    """The cells' polygons (WGS-84), one chunk per core (h3ronpy writes them off the GIL; shapely reads them holding it)."""
    cells = np.asarray(cells, dtype=np.uint64)

    def polygons(part: np.ndarray) -> np.ndarray:
        return shapely.from_wkb(np.asarray(vector.cells_to_wkb_polygons(part).to_numpy(), dtype=object))

    return np.concatenate(parallel.map_chunks(polygons, cells)) if len(cells) else np.array([], dtype=object)


def cell_areas_km2(cells: np.ndarray, polygons: np.ndarray | None = None) -> np.ndarray:
    """The cells' areas, H3's spherical measure; ``polygons``: their :func:`cell_polygons`, if built.

    Many cells are measured on their polygons' coordinates by a compiled kernel
    (:mod:`accessibility.coords.h3area`: h3ronpy holds the GIL ~2.4 µs a cell), a few by h3ronpy.
    """
    cells = np.asarray(cells, dtype=np.uint64)
    if len(cells) >= _COMPILED_MIN_CELLS:
        from ..coords import h3area  # numba: loaded for the runs that measure many cells

        # a cell's polygon is one ring: its coordinates, the closing one last
        xy, which = shapely.get_coordinates(cell_polygons(cells) if polygons is None else polygons, return_index=True)
        offsets = np.searchsorted(which, np.arange(len(cells) + 1))
        last = offsets[1:] - 1  # each ring's closing vertex: not a vertex of the cell
        keep = np.ones(len(xy), dtype=bool)
        keep[last] = False
        centre_lon, centre_lat = cell_centres(cells)
        return h3area.fan_areas_km2(xy[keep, 0], xy[keep, 1], offsets - np.arange(len(cells) + 1), centre_lon, centre_lat)
    # h3ronpy holds the GIL while it measures cells: in slices, so a run's other thread is not held up for long
    areas = [np.asarray(h3ronpy.cells_area_km2(cells[lo : lo + _AREA_SLICE]), dtype=np.float64) for lo in range(0, len(cells), _AREA_SLICE)]
    return np.concatenate(areas) if areas else np.zeros(0)


def _frame(cells: np.ndarray, polygons: np.ndarray, area_km2: np.ndarray) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame({"h3": cell_str(cells)}, geometry=polygons, crs="EPSG:4326")
    frame["area_km2"] = area_km2
    return frame


@dataclass
class HexLayout:
    """The reporting hexagons of a run before any distance is known (see :func:`hex_layout`)."""

    frame: gpd.GeoDataFrame  # h3, geometry, area_km2, pop, older_pop, density_per_km2
    pos: np.ndarray  # each demand point's row in frame
    empty: np.ndarray  # rows without residents
    centre_snap: snapping.Snapped  # their centres, snapped to the walk network
    centre_sides: trees.Sides | None  # and joined to its graph (distances.point_sides)

    def joined(self, graph: distances.AccessGraph) -> HexLayout:
        """This layout with its empty hexagons' centres joined to ``graph`` (a stored layout is kept unjoined)."""
        return dataclasses.replace(self, centre_sides=distances.point_sides(graph, self.centre_snap))


@dataclass(frozen=True)
class HexCells:
    """The hexagons of a run with their people (:func:`hex_cells`), before their polygons and areas are made (:meth:`with_polygons`) and the empty ones' centres are joined to the streets."""

    cells: np.ndarray  # H3 cells, sorted
    pop: np.ndarray
    older_pop: np.ndarray
    pos: np.ndarray  # each demand point's row
    empty: np.ndarray  # rows without residents
    centre_lon: np.ndarray  # their centres
    centre_lat: np.ndarray
    polygons: np.ndarray | None = None  # with_polygons: the cells' polygons and areas
    area_km2: np.ndarray | None = None

    def with_polygons(self) -> HexCells:
        """These cells with their polygons (:func:`cell_polygons`) and areas (:func:`cell_areas_km2`)."""
        polygons = cell_polygons(self.cells)
        return dataclasses.replace(self, polygons=polygons, area_km2=cell_areas_km2(self.cells, polygons))

    def frame(self) -> gpd.GeoDataFrame:
        """``h3``, ``geometry``, ``area_km2``, ``pop``, ``older_pop``, ``density_per_km2``."""
        polygons = cell_polygons(self.cells) if self.polygons is None else self.polygons
        area_km2 = cell_areas_km2(self.cells, polygons) if self.area_km2 is None else self.area_km2
        frame = _frame(self.cells, polygons, area_km2)
        frame["pop"] = self.pop
        frame["older_pop"] = self.older_pop
        frame["density_per_km2"] = self.pop / area_km2
        return frame

    def joined(self, centre_snap: snapping.Snapped, graph: distances.AccessGraph) -> HexLayout:
        """The layout: the empty hexagons' centres as snapped to the walk network (``centre_snap``), joined to ``graph`` (the walk network by length)."""
        return HexLayout(frame=self.frame(), pos=self.pos, empty=self.empty, centre_snap=centre_snap, centre_sides=distances.point_sides(graph, centre_snap))


def hex_cells(lon: np.ndarray, lat: np.ndarray, pop: np.ndarray, older: np.ndarray, area: shapely.Geometry, *, resolution: int = DEFAULT_RESOLUTION) -> HexCells:
    """Hexagons covering ``area`` and the demand points, with their people (no street needed), without their polygons and areas (:meth:`HexCells.with_polygons`)."""
    cells = cells_of_points(lon, lat, resolution)
    all_cells = np.unique(np.concatenate([cells_covering(area, resolution), cells]))
    pos = np.searchsorted(all_cells, cells)
    n = len(all_cells)
    hex_pop = np.bincount(pos, weights=pop, minlength=n)
    empty = np.flatnonzero(hex_pop <= 0)
    centre_lon, centre_lat = cell_centres(all_cells[empty])
    return HexCells(
        cells=all_cells, pop=hex_pop, older_pop=np.bincount(pos, weights=older, minlength=n), pos=pos, empty=empty, centre_lon=centre_lon, centre_lat=centre_lat,
    )


def hex_layout(
    lon: np.ndarray,
    lat: np.ndarray,
    pop: np.ndarray,
    older: np.ndarray,
    area: shapely.Geometry,
    *,
    resolution: int = DEFAULT_RESOLUTION,
    index: snapping.EdgeIndex,
    graph: distances.AccessGraph,
) -> HexLayout:
    """Hexagons covering ``area`` and the demand points, with their population (:func:`hex_cells`).

    The centres of those without residents are snapped to ``index``'s network and
    joined to ``graph`` (the walk network by length), so that each set's
    distance from their centre can be given to :func:`hex_costs`.
    """
    cells = hex_cells(lon, lat, pop, older, area, resolution=resolution)
    return cells.joined(index.snap_points(cells.centre_lon, cells.centre_lat), graph)


def hex_costs(
    layout: HexLayout,
    pop: np.ndarray,
    costs_m: dict[str, np.ndarray],
    centre_m: dict[str, np.ndarray],
    *,
    speed_m_s: float,
) -> gpd.GeoDataFrame:
    """A copy of ``layout.frame`` with each service's mean distance and walking time per hexagon.

    ``costs_m[service]`` is every demand point's distance to that service
    (inf when none is reachable), ``centre_m[service]`` the distance from the
    centre of each hexagon without residents (``layout.empty``). A hexagon's
    value is the mean over its residents who reach a facility (NaN when none
    does); a hexagon without residents gets the value at its centre.
    """
    frame, pos, empty = layout.frame.copy(), layout.pos, layout.empty  # the layout stays as laid out (the cache stores it)
    n = len(frame)
    for service, cost in costs_m.items():
        finite = np.isfinite(cost)
        num = np.bincount(pos[finite], weights=pop[finite] * cost[finite], minlength=n)
        reached = np.bincount(pos[finite], weights=pop[finite], minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(reached > 0, num / reached, np.nan)
        centre = centre_m[service]
        mean[empty] = np.where(np.isfinite(centre), centre, np.nan)
        frame[columns.name("dist_m", service)] = mean
        frame[columns.name("mean_time_min", service)] = mean / speed_m_s / 60.0
    return frame
