"""Residential compounds drawn as one building outline: what they hold, and where.

Chinese mappers often draw a whole
residential compound (小区) as one ``building=residential`` outline: OSM way
162514248 (翠苑五区, Hangzhou) is a 72,156 m² outline that footprint x 6
floors / 40 m² per person made 10,823 people at one point, a hexagon of
132,000 people/km². Measured on the test extracts (Hangzhou 2015: 1,974
buildings counted as homes by the former rule; Beijing Haidian 2017: 459), the
99th percentile of a home's footprint is 5,700 m² and 10,900 m², the 99.5th
9,500 and 15,200 m². A Chinese residential building is a slab (12-18 m deep)
or a tower of ~500-2,000 m², with a podium perhaps 5,000-10,000 m². So a
footprint of :data:`COMPOUND_MIN_M2` (1 ha) or more is not one home, nor one
that is (nearly) the ``landuse=residential`` area around it. A *compound*
holds a plot ratio's (容积率) floor area, site coverage x floors
(:data:`DEFAULT_SITE_COVERAGE` 25% x 6 floors = 1.5, at most
:data:`MAX_PLOT_RATIO`), or its mapped buildings' own if larger: they keep
their people and the compound adds what they leave, spread over its site.
Residential plot ratios are about 0.8-1.5 for walk-up (多层) estates and
1.5-3.0 for mid- and high-rise ones (GB 50180-2018 《城市居住区规划设计标准》
table 4.0.2, by floors and climate zone; local rules such as Guangzhou's:
4-6 floors <= 1.5-1.6, 7-9 <= 1.8-2.3, 10+ <= 2.3-2.5), site coverage
(建筑密度) about 20-30%. Containment was measured too (exact polygons): only
six outlines of the two extracts hold another building's centre, five of
them a duplicate, an overlapping part or a courtyard; so what is inside
decides how much a compound adds, not whether an outline is one.

The reader keeps only the area and centroid of plain building footprints
(:mod:`accessibility.readers.footprints`), so a compound's site is a disc
of its footprint's area around its centroid, or the matched
``landuse=residential`` polygon. Plain ``building=yes`` on the grounds of a
hospital, school, campus, stadium or station (:data:`NON_RESIDENTIAL_SITES`)
are not homes. Used by
:func:`accessibility.stages.population.demand_from_buildings`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

from ..core.notes import Note
from ..readers import footprints
from .plausibility import osm_ref

__all__ = [
    "COMPOUND_MIN_M2",
    "DEFAULT_SITE_COVERAGE",
    "MAX_PLOT_RATIO",
    "NON_RESIDENTIAL_SITES",
    "Sites",
    "compound_notes",
    "compound_sites",
    "inner_buildings",
    "is_site",
    "metres_per_degree",
    "near_any",
    "plot_ratio",
    "site_notes",
    "spread_over_sites",
]

#: A footprint at least this large (m²) is a compound, block or site, not one home building.
COMPOUND_MIN_M2 = 10_000.0
#: Footprints from this size (m²) are compared with ``landuse=residential`` areas.
LANDUSE_MATCH_MIN_M2 = 2_000.0
#: A footprint whose area is within this ratio of the ``landuse=residential`` area holding its centre is that area.
LANDUSE_MATCH_RATIO = (0.8, 1.25)
#: A building inside a compound is at most this share of the compound's area (a same-size outline is a duplicate).
INNER_MAX_SHARE = 0.5
#: Share of a compound's site covered by buildings (建筑密度); x floors = plot ratio (25% x 6 = 1.5).
DEFAULT_SITE_COVERAGE = 0.25
#: Highest plot ratio (容积率) a compound is given, whatever its floors (upper end of GB 50180-2018's residential ranges).
MAX_PLOT_RATIO = 3.0
#: Spacing (m) of the points a compound's people are spread over (a minute's walk; a hexagon is ~350 m
#: across), coarser for sites over :data:`SPREAD_MAX_POINTS` cells.
SPREAD_CELL_M = 50.0
SPREAD_MAX_POINTS = 100
#: Cells (degrees) of the grid :func:`near_any` marks the bounding boxes on; coarser over a large extent.
_NEAR_CELL_DEG = 0.002
_NEAR_MAX_CELLS = 20_000_000

_DISC_VERTICES = 32
_WGS84_A = 6_378_137.0
_WGS84_E2 = 6.69437999014e-3


def metres_per_degree(lat: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Metres per degree of longitude and of latitude at ``lat`` (WGS-84 ellipsoid).

    Parameters
    ----------
    lat
        Latitudes (degrees).

    Returns
    -------
    tuple of numpy.ndarray
        (metres per degree east, metres per degree north).
    """
    phi = np.radians(np.asarray(lat, np.float64))
    s2 = np.sin(phi) ** 2
    rad = np.pi / 180
    return _WGS84_A / np.sqrt(1 - _WGS84_E2 * s2) * np.cos(phi) * rad, _WGS84_A * (1 - _WGS84_E2) / (1 - _WGS84_E2 * s2) ** 1.5 * rad


def plot_ratio(levels: npt.ArrayLike, site_coverage: float = DEFAULT_SITE_COVERAGE) -> np.ndarray:
    """Plot ratio (容积率) of compounds: site coverage x floors, at most :data:`MAX_PLOT_RATIO`.

    Parameters
    ----------
    levels
        Floors of each compound (its ``building:levels``, else the default).
    site_coverage
        Share of the site covered by buildings.

    Returns
    -------
    numpy.ndarray
        Floor area per m² of site.
    """
    return np.minimum(site_coverage * np.asarray(levels, np.float64), MAX_PLOT_RATIO)


def near_any(x: np.ndarray, y: np.ndarray, geoms: np.ndarray) -> np.ndarray:
    """Which points lie in a grid cell that a bounding box of ``geoms`` touches: a superset of those inside one.

    A million buildings as shapely points cost ~0.5 s; only those this
    keeps need be points for a spatial query. The boxes are summed into a
    grid of ~200 m cells with a two-dimensional prefix sum (no loop over
    geometries).

    Parameters
    ----------
    x, y
        Point coordinates (WGS-84).
    geoms
        Polygons (WGS-84).

    Returns
    -------
    numpy.ndarray
        One boolean per point.
    """
    if not len(x) or not len(geoms):
        return np.zeros(len(x), dtype=bool)
    b = shapely.bounds(geoms)
    ox, oy = min(float(x.min()), float(b[:, 0].min())), min(float(y.min()), float(b[:, 1].min()))
    ex, ey = max(float(x.max()), float(b[:, 2].max())) - ox, max(float(y.max()), float(b[:, 3].max())) - oy
    cell = max(_NEAR_CELL_DEG, float(np.sqrt(ex * ey / _NEAR_MAX_CELLS)))
    nx, ny = int(ex / cell) + 2, int(ey / cell) + 2
    ix0, iy0 = ((b[:, 0] - ox) / cell).astype(np.int64), ((b[:, 1] - oy) / cell).astype(np.int64)
    ix1, iy1 = ((b[:, 2] - ox) / cell).astype(np.int64) + 1, ((b[:, 3] - oy) / cell).astype(np.int64) + 1
    marks = np.zeros((nx + 1, ny + 1), np.int32)
    for sign, i, j in ((1, ix0, iy0), (-1, ix1, iy0), (-1, ix0, iy1), (1, ix1, iy1)):
        np.add.at(marks, (i, j), sign)
    covered = marks.cumsum(axis=0).cumsum(axis=1) > 0
    return covered[((x - ox) / cell).astype(np.int64), ((y - oy) / cell).astype(np.int64)]


def _discs(lon: np.ndarray, lat: np.ndarray, area_m2: np.ndarray) -> np.ndarray:
    """WGS-84 polygons of circles of ``area_m2`` around each point (32 vertices, area conserved)."""
    n = len(lon)
    if n == 0:
        return np.array([], dtype=object)
    theta = np.linspace(0, 2 * np.pi, _DISC_VERTICES, endpoint=False)
    # a regular polygon of the same area as the circle: r² = 2A / (k sin(2π/k))
    r = np.sqrt(2 * area_m2 / (_DISC_VERTICES * np.sin(2 * np.pi / _DISC_VERTICES)))
    mx, my = metres_per_degree(lat)
    x = lon[:, None] + (r / mx)[:, None] * np.cos(theta)[None, :]
    y = lat[:, None] + (r / my)[:, None] * np.sin(theta)[None, :]
    ring = np.stack([np.concatenate([x, x[:, :1]], axis=1), np.concatenate([y, y[:, :1]], axis=1)], axis=-1)
    return shapely.polygons(ring)


@dataclass(frozen=True)
class Sites:
    """Footprints taken as residential compounds, with the site their people are spread over.

    Attributes
    ----------
    index
        Rows of the footprints given to :func:`compound_sites`.
    outline
        The site (WGS-84): the matched ``landuse=residential`` area, else a
        disc of the footprint's area around its centre (the reader keeps only
        area and centre of plain footprints).
    site_m2
        Area of the site (m²).
    matched
        Whether the site is a ``landuse=residential`` area.
    """

    index: np.ndarray
    outline: np.ndarray
    site_m2: np.ndarray
    matched: np.ndarray

    def __len__(self) -> int:
        return len(self.index)


def compound_sites(lon: np.ndarray, lat: np.ndarray, area_m2: np.ndarray, candidate: np.ndarray, landuse: np.ndarray) -> Sites:
    """Footprints that are compounds: :data:`COMPOUND_MIN_M2` or more, or (nearly) a ``landuse=residential`` area.

    Parameters
    ----------
    lon, lat
        Area centroid of every footprint (WGS-84).
    area_m2
        Footprint areas (m²).
    candidate
        Which footprints may be compounds (buildings counted as homes).
    landuse
        ``landuse=residential`` polygons (WGS-84).

    Returns
    -------
    Sites
        The compounds, in row order.
    """
    big = candidate & (area_m2 >= COMPOUND_MIN_M2)
    site = np.full(len(lon), -1, np.int64)
    if len(landuse):
        mid = np.flatnonzero(candidate & (area_m2 >= LANDUSE_MATCH_MIN_M2))
        lu_m2 = footprints.polygon_area_m2(landuse)
        pi, li = shapely.STRtree(landuse).query(shapely.points(lon[mid], lat[mid]), predicate="within")
        ratio = area_m2[mid[pi]] / np.maximum(lu_m2[li], 1e-9)
        ok = (ratio >= LANDUSE_MATCH_RATIO[0]) & (ratio <= LANDUSE_MATCH_RATIO[1])
        pi, li, ratio = pi[ok], li[ok], ratio[ok]
        order = np.lexsort((np.abs(np.log(ratio)), pi))  # the closest area first
        first = np.unique(pi[order], return_index=True)[1]
        site[mid[pi[order][first]]] = li[order][first]
    idx = np.flatnonzero(big | (site >= 0))
    matched = site[idx] >= 0
    outline = _discs(lon[idx], lat[idx], area_m2[idx])
    site_m2 = area_m2[idx].astype(np.float64)
    if matched.any():
        outline[matched] = landuse[site[idx[matched]]]
        site_m2[matched] = footprints.polygon_area_m2(outline[matched])
    return Sites(idx, outline, site_m2, matched)


def inner_buildings(sites: Sites, hit_point: np.ndarray, hit_site: np.ndarray, area_m2: np.ndarray, home: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Homes inside compounds: (building row, compound position), each building in its smallest compound.

    Parameters
    ----------
    sites
        From :func:`compound_sites`.
    hit_point, hit_site
        Pairs of (footprint row, compound position) whose centre lies in the site.
    area_m2
        Footprint areas (m²).
    home
        Which footprints are counted as homes.

    Returns
    -------
    tuple of numpy.ndarray
        Building rows and the compound holding each; a footprint is never
        inside itself, nor inside a compound less than twice its size (a
        duplicate outline).
    """
    keep = home[hit_point] & (hit_point != sites.index[hit_site]) & (area_m2[hit_point] <= INNER_MAX_SHARE * sites.site_m2[hit_site])
    p, s = hit_point[keep], hit_site[keep]
    order = np.lexsort((sites.site_m2[s], p))
    first = np.unique(p[order], return_index=True)[1]
    return p[order][first], s[order][first]


def spread_over_sites(outline: np.ndarray, people: np.ndarray, area: shapely.Geometry | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Spread each site's people evenly over points of a grid inside it.

    Points every :data:`SPREAD_CELL_M` m (coarser where a site would get more
    than :data:`SPREAD_MAX_POINTS`) on a lattice centred on its centroid; a
    site with no lattice point inside gets its point on surface. Points
    outside ``area`` are dropped with their share (a compound counts for its
    part inside the study area, as census zones do).

    Parameters
    ----------
    outline
        Sites (WGS-84 polygons).
    people
        People of each site.
    area
        Study area (WGS-84); ``None`` keeps every point.

    Returns
    -------
    tuple of numpy.ndarray
        lon, lat, people of every point, and the site each belongs to;
        ``np.bincount(site, pop)`` equals ``people`` where no point was dropped.
    """
    n = len(outline)
    if n == 0:
        e = np.zeros(0)
        return e, e, e, np.zeros(0, np.int64)
    c = shapely.get_coordinates(shapely.centroid(outline))
    mx, my = metres_per_degree(c[:, 1])
    x0, y0, x1, y1 = shapely.bounds(outline).T
    box_m2 = (x1 - x0) * mx * (y1 - y0) * my
    # at most ~SPREAD_MAX_POINTS inside, and ~10 times that in the bounding box (a scattered multipolygon)
    cell = np.maximum.reduce([np.full(n, SPREAD_CELL_M), np.sqrt(footprints.polygon_area_m2(outline) / SPREAD_MAX_POINTS), np.sqrt(box_m2 / (10 * SPREAD_MAX_POINTS))])
    # lattice half-widths (in cells) reaching the bounding box from the centroid
    hx = np.ceil(np.maximum(c[:, 0] - x0, x1 - c[:, 0]) * mx / cell).astype(np.int64)
    hy = np.ceil(np.maximum(c[:, 1] - y0, y1 - c[:, 1]) * my / cell).astype(np.int64)
    nx, ny = 2 * hx + 1, 2 * hy + 1
    count = nx * ny
    site = np.repeat(np.arange(n), count)
    k = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    i = k % nx[site] - hx[site]
    j = k // nx[site] - hy[site]
    lon = c[site, 0] + i * cell[site] / mx[site]
    lat = c[site, 1] + j * cell[site] / my[site]
    inside = shapely.contains_xy(outline[site], lon, lat)
    lon, lat, site = lon[inside], lat[inside], site[inside]
    empty = np.flatnonzero(np.bincount(site, minlength=n) == 0)
    if len(empty):  # a thin site between lattice points
        p = shapely.get_coordinates(shapely.point_on_surface(outline[empty]))
        lon, lat, site = np.concatenate([lon, p[:, 0]]), np.concatenate([lat, p[:, 1]]), np.concatenate([site, empty])
    share = 1.0 / np.bincount(site, minlength=n)[site]
    pop = people[site] * share
    if area is not None:
        keep = shapely.contains_xy(area, lon, lat)
        lon, lat, pop, site = lon[keep], lat[keep], pop[keep], site[keep]
    return lon, lat, pop, site


#: Grounds whose plain ``building=yes`` buildings are not homes (unless the grounds are also ``landuse=residential``):
#: the 46,068 m² hall of 黄龙体育中心 (Hangzhou, way 28906464) was 6,910 people, Tsinghua's faculty buildings hundreds each.
#: Not parks: Hangzhou's way 242430623 (leisure=park, 12 ha) is the 古荡 neighbourhood, 56 walk-up slabs, a school and markets.
NON_RESIDENTIAL_SITES: dict[str, frozenset[str]] = {
    "amenity": frozenset({
        "hospital", "clinic", "school", "university", "college", "kindergarten", "prison", "parking", "marketplace", "place_of_worship",
        "bus_station", "fire_station", "police", "townhall", "courthouse",
    }),
    "leisure": frozenset({"stadium", "sports_centre", "golf_course", "water_park"}),
    "healthcare": frozenset({"hospital", "clinic", "centre"}),
    "tourism": frozenset({"attraction", "museum", "theme_park", "zoo"}),
    "railway": frozenset({"station"}),
    "aeroway": frozenset({"aerodrome", "terminal"}),
}


def is_site(tags: dict[str, str]) -> bool:
    """Whether a feature's tags make it the grounds of a non-residential use (:data:`NON_RESIDENTIAL_SITES`).

    Parameters
    ----------
    tags
        The feature's OSM tags.

    Returns
    -------
    bool
    """
    return any(tags.get(k, "") in v for k, v in NON_RESIDENTIAL_SITES.items())


def _largest(rows: np.ndarray, size: np.ndarray, source_id: np.ndarray, n: int = 5) -> list[str]:
    """OSM references of the ``n`` largest of ``rows`` by ``size``."""
    top = rows[np.argsort(-size, kind="stable")[:n]]
    return osm_ref(source_id[top]).tolist()


def compound_notes(
    sites: Sites, inside: np.ndarray, names: np.ndarray, source_id: np.ndarray, as_building: np.ndarray, n_inner: int, people: float, n_points: int,
    site_coverage: float,
) -> list[Note]:
    """The note on compounds drawn as one building: how many, which (OSM ids, names), people before and after.

    Parameters
    ----------
    sites
        From :func:`compound_sites`.
    inside
        Which sites are homes inside the study area.
    names
        ``name`` tag of each site's footprint ("" none).
    source_id
        OSM id of every footprint.
    as_building
        People of every footprint counted as one building (footprint x levels / floor area per person).
    n_inner
        Homes mapped inside compounds.
    people, n_points
        People the compounds hold now, and the points they are spread over.
    site_coverage
        The site coverage assumed.

    Returns
    -------
    list of Note
        One ``population.compounds`` note, or none.
    """
    pos = np.flatnonzero(inside)
    if not len(pos):
        return []
    order = pos[np.argsort(-sites.site_m2[pos], kind="stable")]
    refs = osm_ref(source_id[sites.index[order]])
    listing = ", ".join(f"{r}{' ' + names[p] if names[p] else ''} ({sites.site_m2[p]:,.0f} m²)" for r, p in zip(refs[:5], order[:5], strict=True))
    before = float(as_building[sites.index[pos]].sum())
    n_land = int(sites.matched[pos].sum())
    msg = (
        f"population: {len(pos)} building outlines are residential compounds, not single buildings "
        f"(1 ha or more{f', or the shape of a landuse=residential area ({n_land})' if n_land else ''}): {listing}"
        f"{' ...' if len(pos) > 5 else ''}; as buildings they would hold {before:,.0f} people at {len(pos)} points, as compounds "
        f"{people:,.0f}: plot ratio {site_coverage:.0%} site coverage x floors (at most {MAX_PLOT_RATIO:g}), "
        f"less the floor area of the homes mapped inside them ({n_inner}), spread over {n_points} points across their sites"
    )
    zh = (
        f"人口：{len(pos)}个建筑轮廓实为整个居住小区（占地1公顷以上或与居住用地重合），不是单栋楼：{listing}；"
        f"按单栋楼计为{before:,.0f}人，按小区容积率（建筑密度{site_coverage:.0%}×层数）计为{people:,.0f}人，分布在小区范围内"
    )
    ctx = {"osm": refs[:50].tolist(), "compounds": len(pos), "people_as_buildings": before, "people_as_compounds": people}
    return [Note(msg, code="population.compounds", message_zh=zh, context=ctx)]


def site_notes(rows: np.ndarray, source_id: np.ndarray, as_building: np.ndarray) -> list[Note]:
    """The note on ``building=yes`` left out as standing on non-residential grounds (:func:`is_site`).

    Parameters
    ----------
    rows
        The footprints left out.
    source_id
        OSM id of every footprint.
    as_building
        People of every footprint by footprint x levels / floor area per person.

    Returns
    -------
    list of Note
        One ``population.sites`` note, or none.
    """
    if not len(rows):
        return []
    people = float(as_building[rows].sum())
    refs = _largest(rows, as_building[rows], source_id)
    msg = (
        f"population: {len(rows)} buildings tagged only building=yes stand on the grounds of hospitals, schools, campuses, stadiums "
        f"or stations and are not counted as homes ({people:,.0f} people by footprint x levels; largest: {', '.join(refs)})"
    )
    zh = f"人口：{len(rows)}栋仅标注building=yes的建筑位于医院、学校、校园、体育场或车站内，不计为住宅（按面积×层数约{people:,.0f}人）"
    return [Note(msg, code="population.sites", message_zh=zh, context={"osm": refs, "buildings": len(rows), "people": people})]


