"""Where people live: demand points from population rasters, census zones, or an estimate.

Rasters are read by :mod:`accessibility.readers.rasters` (one demand point per
populated pixel centre, totals conserved; bad rasters refused); older-age
rasters must not hold more people than the total. Census zones spread each
zone's count over a grid or over residential buildings inside it
(:func:`demand_from_zones`, totals conserved).

Without a raster or zones the population is *estimated* from residential
buildings (floor area / floor area per person) or, failing that, spread along
residential streets. Every output of such a run is labelled as an estimate.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .. import errors
from ..coords import geodesy
from ..core import parallel
from ..core.notes import Note
from ..core.specs import number, option
from ..network import graph as network_mod
from ..readers import footprints, osm, rasters
from ..readers import zones as zone_files
from . import compounds, plausibility

__all__ = ["Demand", "EstimateAssumptions", "check_older_share", "demand_from_buildings", "demand_from_rasters", "demand_from_streets"]

log = logging.getLogger(__name__)

#: 60+ share of Zhejiang's population in the 2020 census (18.70%), the default
#: when no older-age raster is given.
ZHEJIANG_OLDER_SHARE_2020 = 0.187

#: The older-age rasters may exceed the total raster by this share (rounding of separate products).
OLDER_TOLERANCE = 0.01
#: Pixel-by-pixel, older people above the total of their pixel are refused when they are
#: more than this share of all older people (the rasters do not describe the same people).
OLDER_EXCESS_MAX_SHARE = 0.05



#: ``Demand.quality`` values, from the most to the least certain.
QUALITIES = ("given", "estimate", "street_fallback")


@dataclass
class Demand:
    """Demand points: residents (``pop``) and older residents (``older``) at WGS-84 points.

    Attributes
    ----------
    lon, lat, pop, older
        Position and people of every point.
    source, older_source
        Where the people and the older people come from, for the reader.
    is_estimate
        Whether the population is an estimate (no raster or zones).
    notes
        What was done, for the run's notes.
    source_id
        OSM id of the building behind each point (ways positive, relations
        negated, 0 none; see :func:`accessibility.stages.plausibility.osm_ref`),
        ``None`` when no point comes from a building (rasters, zones, streets).
    quality
        ``"given"`` (a raster or census zones), ``"estimate"`` (from
        buildings) or ``"street_fallback"`` (from street length: rough,
        :data:`~accessibility.stages.plausibility.STREET_UNCERTAINTY`);
        outputs can mark the numbers built on it.
    flags
        The notes of ``notes`` that have their own code (``population.street_fallback``,
        ``population.compounds``, ``population.sites``), as structured notes
        with context (OSM ids); add them to the run's notes before ``notes``.
    """

    lon: np.ndarray
    lat: np.ndarray
    pop: np.ndarray
    older: np.ndarray
    source: str
    older_source: str
    is_estimate: bool
    notes: list[str] = field(default_factory=list)
    source_id: np.ndarray | None = None
    quality: str = "given"
    flags: list[Note] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lon)

    @property
    def total(self) -> float:
        return float(self.pop.sum())

    @property
    def total_older(self) -> float:
        return float(self.older.sum())

    @staticmethod
    def concat(parts: list[Demand], *, source: str, older_source: str, is_estimate: bool) -> Demand:
        """The points of every part, in order; the least certain part's ``quality``."""
        ids = [p.source_id if p.source_id is not None else np.zeros(len(p), np.int64) for p in parts]
        return Demand(
            lon=np.concatenate([p.lon for p in parts]),
            lat=np.concatenate([p.lat for p in parts]),
            pop=np.concatenate([p.pop for p in parts]),
            older=np.concatenate([p.older for p in parts]),
            source=source,
            older_source=older_source,
            is_estimate=is_estimate,
            notes=[n for p in parts for n in p.notes],
            source_id=np.concatenate(ids) if any(p.source_id is not None for p in parts) else None,
            quality=max((p.quality for p in parts), key=QUALITIES.index, default="given"),
            flags=[f for p in parts for f in p.flags],
        )


def _number(value: object, what: str, unit: str, lo: float, hi: float, *, lo_open: bool = False, fix: str = "") -> float:
    """``value`` as a float in ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``), else an InputError naming it and its unit."""
    v = float(value) if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) else math.nan
    if not (math.isfinite(v) and (v > lo if lo_open else v >= lo) and v <= hi):
        bound = f"{'above' if lo_open else 'at least'} {lo:g} and at most {hi:g}"
        raise errors.InputError(f"{what} must be a finite number of {unit}, {bound}; got {value!r}{fix}")
    return v


def check_older_share(value: object, what: str = "older_share") -> float:
    """An older share as a fraction in [0, 1] (0.187 for 18.7%), else an InputError."""
    return _number(value, what, "older people per person (a fraction: 0.187 for 18.7%)", 0.0, 1.0)


def demand_from_rasters(
    area: shapely.Geometry,
    *,
    population: str | Path | None,
    older: list[str | Path] | tuple[str | Path, ...] = (),
    older_share: float | None = None,
) -> Demand:
    """Demand points from a total-population raster and/or older-age rasters.

    Parameters
    ----------
    area
        Study area (WGS-84 polygon).
    population
        Total-population raster (WorldPop style; any CRS and resolution).
    older
        Older-age rasters, summed (e.g. WorldPop 60-64, 65-69, ... bands, both sexes).
    older_share
        When no older raster is given: older people as a share of the total
        (default :data:`ZHEJIANG_OLDER_SHARE_2020`).

    Notes
    -----
    Older people are part of the total. The older rasters' sum inside the
    area may exceed the total raster's by :data:`OLDER_TOLERANCE` (1%,
    rounding of separate products); beyond that the run is refused, naming
    both files, their totals and the likely mistake (swapped files, a single
    age band given as the total). When all rasters share one grid (CRS,
    geotransform, size) each pixel is compared too: a few pixels with more
    older people than people are modelling noise, only noted; when the older
    people above their pixel's total exceed :data:`OLDER_EXCESS_MAX_SHARE`
    (5%) of all older people, the rasters do not describe the same people
    (other years, products or bands) and the run is refused: the share of
    older people covered would mean nothing. A file given twice is refused.
    """
    share = ZHEJIANG_OLDER_SHARE_2020 if older_share is None else check_older_share(older_share)
    given = ([population] if population is not None else []) + list(older)
    keys = [Path(p).resolve() for p in given]
    for k, p in enumerate(given):
        if keys[k] in keys[:k]:
            raise errors.InputError(
                f"{p}: the same raster is given twice (as the total and/or older-age population); pass each file once: "
                "the total-population raster as --population, the older-age bands as --older-population"
            )
    total = rasters.read_raster(population, area) if population is not None else None
    olds = [rasters.read_raster(p, area) for p in older]
    notes = _check_older_within_total(population, total, list(older), olds) if population is not None and total is not None and olds else []
    parts: list[Demand] = []
    if total is not None:
        v = total.counts
        parts.append(Demand(total.x, total.y, v, v * share if not olds else np.zeros_like(v), "", "", False, total.notes))
    parts.extend(Demand(o.x, o.y, np.zeros_like(o.counts), o.counts, "", "", False, o.notes) for o in olds)
    if not parts:
        raise errors.InputError("demand_from_rasters needs a population raster or at least one older-age raster")
    src = f"raster: {Path(population).name}" if population is not None else ""
    if older:
        older_src = "raster: " + " + ".join(Path(p).name for p in older)
    else:
        older_src = f"{share:.1%} of the total (Zhejiang 2020 census 60+ share)" if older_share is None else f"{share:.1%} of the total"
    d = Demand.concat(parts, source=src, older_source=older_src, is_estimate=False)
    d.notes.extend(notes)
    return d


def _check_older_within_total(population: str | Path, total: rasters.Pixels, older: list[str | Path], olds: list[rasters.Pixels]) -> list[str]:
    """Refuse older-age rasters holding more people than the total raster (see :func:`demand_from_rasters`)."""
    t_name = Path(population).name
    t_sum = float(total.counts.sum())
    sums = [float(o.counts.sum()) for o in olds]
    o_sum = sum(sums)
    names = [Path(p).name for p in older]
    listing = " + ".join(f"{n} ({s:,.0f})" for n, s in zip(names, sums, strict=True))
    if o_sum > t_sum * (1 + OLDER_TOLERANCE):
        alone = [n for n, s in zip(names, sums, strict=True) if s > t_sum * (1 + OLDER_TOLERANCE)]
        if alone:
            hint = (
                f"{alone[0]}{' alone' if len(olds) > 1 else ''} holds more people than the total, so the two were probably swapped "
                f"(--population takes the all-ages raster, --older-population the older-age bands), or {t_name} is a single age/sex band"
            )
        else:
            hint = (
                f"the older-age rasters together exceed the total: {t_name} is probably not the all-ages population (a single "
                "age/sex band?), or an older band is the wrong band of a multi-band file"
            )
        which = f"older-age rasters {listing} hold" if len(olds) > 1 else f"older-age raster {names[0]} holds"
        raise errors.InputError(
            f"{which} {o_sum:,.0f} people inside the study area, more than the {t_sum:,.0f} of the total-population raster "
            f"{t_name}; older people are part of the total: {hint}"
        )
    notes = []
    if o_sum > 0.6 * t_sum:
        notes.append(
            f"older-age rasters {listing} hold {o_sum / t_sum:.0%} of the people of {t_name} inside the study area, far above "
            "China's 60+ share (18.7% in 2020); check that the total raster is the all-ages population"
        )
    if not all(o.grid == total.grid for o in olds):
        return notes
    keys = np.concatenate([o.flat for o in olds])
    uk, inv = np.unique(keys, return_inverse=True)
    o_px = np.bincount(inv, weights=np.concatenate([o.counts for o in olds]), minlength=len(uk))
    pos = np.minimum(np.searchsorted(total.flat, uk), max(len(total.flat) - 1, 0))
    t_px = np.where(total.flat[pos] == uk, total.counts[pos], 0.0) if len(total.flat) else np.zeros(len(uk))
    over = o_px > t_px * (1 + OLDER_TOLERANCE) + 0.01
    if not over.any():
        return notes
    excess = float((o_px - t_px)[over].sum())
    what = (
        f"{' + '.join(names)} (older) and {t_name} (total): on {int(over.sum()):,} of the {len(uk):,} pixels with older people there are "
        f"more older people than people ({excess:,.0f} older people above their pixel's total, {excess / max(o_sum, 1e-30):.1%} of them)"
    )
    if excess > OLDER_EXCESS_MAX_SHARE * o_sum:
        raise errors.InputError(
            f"{what}: the rasters do not describe the same people (other years, products or age bands?); use a total-population "
            "raster and older-age bands of the same release (e.g. WorldPop people per pixel and age/sex structures of one year)"
        )
    return [*notes, f"{what}; kept as given (modelling noise of separately made rasters)"]


@dataclass(frozen=True)
class EstimateAssumptions:
    """Assumptions of a population estimate without a raster (all reported).

    Every field is checked when the object is made: a finite number in a
    plausible range, else :class:`~accessibility.errors.InputError`.
    """

    # China urban housing floor area per person, ~40 m² (NBS, 2020)
    floor_area_per_person_m2: float = option(
        "--floor-area-per-person-m2", "estimate: m² of housing floor area per person (default 40, China urban 2020)",
        default=40.0, metavar="M2", parse=number(5, 500, "m² per person"),
    )
    # typical walk-up residential block when building:levels is missing
    default_levels: float = option(
        "--default-levels", "estimate: floors of a building without building:levels (default 6)", default=6.0, metavar="N", parse=number(1, 200, "floors")
    )
    # along residential streets, when no buildings are mapped: measured 3,200-11,600 (plausibility.STREET_CALIBRATION)
    street_people_per_km: float = option(
        "--street-people-per-km",
        "estimate without buildings: residents per km of residential street (default 8000; measured 3200-11600 in Xi'an, Hangzhou, Beijing)",
        default=plausibility.STREET_PEOPLE_PER_KM, metavar="N", parse=number(0, 100_000, "people per km", lo_open=True),
    )
    # a compound drawn as one building outline holds site x coverage x floors of floor area
    compound_site_coverage: float = option(
        "--compound-site-coverage",
        "estimate: share of a residential compound's site covered by buildings, when OSM draws the compound as one building "
        "(default 0.25: plot ratio 1.5 at 6 floors)",
        default=compounds.DEFAULT_SITE_COVERAGE, metavar="SHARE", parse=number(0.05, 1, "share of the site covered by buildings (0.25 for 25%)"),
    )
    older_share: float = ZHEJIANG_OLDER_SHARE_2020
    # scale the estimate to this total when known (census)
    total: float | None = option(
        "--population-total", "scale a building/street estimate to this total (e.g. from the census)", metavar="PEOPLE",
        parse=number(0, 1.5e9, "people", lo_open=True),
    )

    def __post_init__(self) -> None:
        pre = "population estimate:"
        _number(self.floor_area_per_person_m2, f"{pre} floor_area_per_person_m2", "m² of housing floor area per person (China: ~40)", 5, 500)
        _number(self.default_levels, f"{pre} default_levels", "floors of a residential building without building:levels (e.g. 6)", 1, 200)
        _number(self.street_people_per_km, f"{pre} street_people_per_km", "residents per km of residential street (e.g. 8000)", 0, 100_000, lo_open=True)
        _number(self.compound_site_coverage, f"{pre} compound_site_coverage", "share of a compound's site covered by buildings (e.g. 0.25)", 0.05, 1)
        check_older_share(self.older_share, f"{pre} older_share")
        if self.total is not None:
            _number(
                self.total, f"{pre} total (--population-total)", "people living in the study area (a census count)", 0, 1.5e9, lo_open=True,
                fix="; give the census population of the study area, or leave it out to keep the unscaled estimate",
            )


_RESIDENTIAL_BUILDINGS = {"residential", "apartments", "house", "detached", "semidetached_house", "terrace", "dormitory", "bungalow"}
_NON_RESIDENTIAL_LANDUSE = {"commercial", "industrial", "retail", "military", "railway", "religious", "education", "construction"}
_NON_RESIDENTIAL_KEYS = ("amenity", "shop", "office", "tourism", "leisure", "craft", "public_transport", "man_made", "railway", "aeroway", "healthcare", "sport")
def demand_from_buildings(features: osm.FeatureTable, area: shapely.Geometry, assumptions: EstimateAssumptions) -> Demand | None:
    """Estimate residents from residential building footprints.

    Parameters
    ----------
    features
        OSM features with ``building`` and ``landuse`` (and the facilities'
        keys): polygons in ``frame``, plain building footprints in
        ``footprints``.
    area
        Study area (WGS-84).
    assumptions
        Floor area per person, floors, compound site coverage, total.

    Returns
    -------
    Demand or None
        One point per home building inside ``area`` (and several per
        compound), each with the OSM id of its building; ``None`` if no
        building qualifies.

    Notes
    -----
    A building counts as a home when tagged so (``residential``,
    ``apartments``, ``house``, ``dormitory``...), or when it is
    ``building=yes`` without a non-residential use on it (shop, amenity,
    office, railway...), not inside commercial/industrial/... land use, and
    not on the grounds of a hospital, school, campus, stadium, park... unless
    those are also ``landuse=residential``. Residents = footprint x levels /
    floor area per person, at the point on the surface of a building polygon
    or the area centroid of a plain footprint
    (:mod:`accessibility.readers.footprints`); the area centroid decides what
    a building is inside, for both.

    A footprint that is a compound, not a building (1 ha or more, or the
    area of the ``landuse=residential`` polygon around it; see
    :mod:`~accessibility.stages.plausibility`) holds a plot ratio's floor
    area (site coverage x floors, at most 3.0) less what the homes mapped
    inside it hold, spread over its site; the homes inside keep their own.
    """
    frame = features.frame
    plain = features.footprints
    if frame.empty and not len(plain):
        return None
    geoms = frame["geometry"].to_numpy()
    tags = frame["tags"].tolist()
    polygonal = shapely.get_type_id(geoms) >= shapely.GeometryType.POLYGON
    # rows with the same tags share one dict (osm.TagSets): every rule below runs once per tag set
    rows = osm.TagSets.of(tags)
    non_res_areas = geoms[polygonal & rows.each(lambda t: t.get("landuse", "") in _NON_RESIDENTIAL_LANDUSE, bool)]
    site_areas = geoms[polygonal & rows.each(compounds.is_site, bool)]
    res_areas = geoms[polygonal & rows.each(lambda t: t.get("landuse", "") == "residential", bool)]
    b_idx = np.flatnonzero(polygonal & rows.each(lambda t: t.get("building", "") not in ("", "no"), bool))
    # buildings with polygons (multipolygons, buildings also tagged as facilities), then plain footprints
    buildings = osm.TagSets.of([tags[i] for i in b_idx.tolist()] + plain.tags)
    b_value = buildings.each(lambda t: t.get("building", ""))
    b_geoms = geoms[b_idx]
    centre = np.concatenate(parallel.map_chunks(shapely.point_on_surface, b_geoms)) if len(b_geoms) else np.array([], dtype=object)
    lon = np.concatenate([shapely.get_x(centre), plain.lon])
    lat = np.concatenate([shapely.get_y(centre), plain.lat])
    footprint = np.concatenate([footprints.polygon_area_m2(b_geoms, lat=lat[: len(b_idx)]), plain.area_m2])
    # area centroids, as plain footprints have: what a building is inside is decided alike for both
    centroid = shapely.get_coordinates(shapely.centroid(b_geoms)) if len(b_geoms) else np.zeros((0, 2))
    cx, cy = np.concatenate([centroid[:, 0], plain.lon]), np.concatenate([centroid[:, 1], plain.lat])
    b_ids = frame["osm_id"].to_numpy(np.int64)[b_idx]
    source_id = np.concatenate([np.where(frame["osm_type"].to_numpy()[b_idx] == "relation", -b_ids, b_ids), np.asarray(plain.osm_id, np.int64)])
    use = (b_value != "") & (b_value != "no")
    if not use.any():
        return None
    explicit = pd.Series(b_value, dtype=object).isin(_RESIDENTIAL_BUILDINGS).to_numpy()
    non_res_keys = frozenset(_NON_RESIDENTIAL_KEYS)
    other_use = buildings.each(lambda t: not non_res_keys.isdisjoint(t), bool)
    maybe_home = use & (explicit | ((b_value == "yes") & ~other_use))
    levels = _levels_array([t.get("building:levels") for t in buildings.sets], assumptions.default_levels)[buildings.code]
    sites = compounds.compound_sites(cx, cy, footprint, maybe_home, res_areas)
    # one spatial query for the grounds and the compounds' sites: bounding boxes, then exact tests on those pairs only
    grounds = [non_res_areas, site_areas, sites.outline]
    start = np.cumsum([0] + [len(g) for g in grounds])
    inside = [np.zeros(len(b_value), dtype=bool) for _ in range(3)]
    hit_p, hit_s = np.zeros(0, np.int64), np.zeros(0, np.int64)
    everything = np.concatenate(grounds)
    cand = np.flatnonzero(maybe_home & compounds.near_any(cx, cy, everything))
    if len(cand):
        pi, ti = shapely.STRtree(everything).query(shapely.points(cx[cand], cy[cand]))
        pi = cand[pi]
        ok = shapely.contains_xy(everything[ti], cx[pi], cy[pi])
        pi, ti = pi[ok], ti[ok]
        for k in range(2):
            inside[k][pi[(ti >= start[k]) & (ti < start[k + 1])]] = True
        last = ti >= start[2]
        hit_p, hit_s = pi[last], ti[last] - start[2]
    in_non_res, in_site, in_res_area = inside
    # grounds of a hospital, campus... that are also residential land use keep their homes
    on_grounds = np.flatnonzero(in_site & ~explicit)
    if len(on_grounds) and len(res_areas):
        pi, ti = shapely.STRtree(res_areas).query(shapely.points(cx[on_grounds], cy[on_grounds]))
        in_res_area[on_grounds[pi[shapely.contains_xy(res_areas[ti], cx[on_grounds[pi]], cy[on_grounds[pi]])]]] = True
    on_site = ~explicit & in_site & ~in_res_area & ~in_non_res
    residential = maybe_home & (explicit | ~(in_non_res | on_site))
    in_area = shapely.contains_xy(area, lon, lat)
    # compounds: a plot ratio's floor area, less what the homes mapped inside hold
    compound = residential[sites.index]
    compound_row = np.zeros(len(b_value), dtype=bool)
    compound_row[sites.index[compound]] = True
    site_floor = sites.site_m2 * compounds.plot_ratio(levels[sites.index], assumptions.compound_site_coverage)
    floor = footprint * levels
    floor[sites.index] = site_floor
    keep = compound[hit_s]
    inner_p, inner_s = compounds.inner_buildings(sites, hit_p[keep], hit_s[keep], footprint, residential)
    left = np.maximum(site_floor - np.bincount(inner_s, weights=floor[inner_p], minlength=len(sites)), 0.0)
    fapp = assumptions.floor_area_per_person_m2
    spread = np.flatnonzero(compound & (left > 0))
    s_lon, s_lat, s_pop, s_of = compounds.spread_over_sites(sites.outline[spread], left[spread] / fapp, area)
    single = np.flatnonzero(residential & ~compound_row & in_area)
    if not len(single) and not len(s_pop):
        return None
    note = (
        f"population ESTIMATED from {len(single)} residential building footprints x levels "
        f"(default {assumptions.default_levels:g} when untagged) / {fapp:g} m² per person"
        + (f", and {int(compound.sum())} residential compounds drawn as one outline (plot ratio, spread over their sites)" if compound.any() else "")
    )
    as_building = footprint * levels / fapp
    names = buildings.each(lambda t: t.get("name", ""))[sites.index]
    inside_sites = compound & in_area[sites.index]
    flags = compounds.compound_notes(sites, inside_sites, names, source_id, as_building, len(inner_p), float(s_pop.sum()), len(s_pop), assumptions.compound_site_coverage)
    flags += compounds.site_notes(np.flatnonzero(maybe_home & on_site & in_area), source_id, as_building)
    return _finish_estimate(
        np.concatenate([lon[single], s_lon]), np.concatenate([lat[single], s_lat]), np.concatenate([floor[single] / fapp, s_pop]),
        "estimate: residential buildings", note, assumptions,
        source_id=np.concatenate([source_id[single], source_id[sites.index[spread]][s_of]]), flags=flags,
    )


def _levels_array(values: list[str | None], default: float) -> np.ndarray:
    """``building:levels`` values as numbers (first of "3;5"), ``default`` when missing or absurd."""
    out = np.full(len(values), float(default))
    tagged = [i for i, v in enumerate(values) if v is not None]  # most footprints have no levels
    if not tagged:
        return out
    first = pd.Series([values[i] for i in tagged], dtype="string").str.split(";").str[0]
    levels = pd.to_numeric(first, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    out[tagged] = np.where(np.isfinite(levels) & (levels > 0) & (levels < 200), levels, default)
    return out


def demand_from_streets(net: network_mod.Network, area: shapely.Geometry, assumptions: EstimateAssumptions, *, spacing_m: float = 50.0) -> Demand:
    """Estimate residents along residential streets (fallback when no buildings are mapped).

    Parameters
    ----------
    net
        The walk network.
    area
        Study area (WGS-84).
    assumptions
        ``street_people_per_km`` (default 8,000: measured 3,200-11,600, see
        :data:`~accessibility.stages.plausibility.STREET_CALIBRATION`) and the total.
    spacing_m
        Spacing of the points along the streets.

    Returns
    -------
    Demand
        Points every ``spacing_m`` along ``residential``/``living_street``
        edges, each with its share of ``street_people_per_km``; without any,
        along every walkable edge at
        :data:`~accessibility.stages.plausibility.ALL_STREETS_SHARE` of the
        rate. ``quality`` is ``"street_fallback"``, and the source, the notes
        and a ``population.street_fallback`` flag say how rough it is.
    """
    edges = net.edge_table
    res = edges["highway"].isin(["residential", "living_street"]).to_numpy()
    per_km = assumptions.street_people_per_km
    all_streets = not res.any()
    if all_streets:
        res = np.ones(len(edges), dtype=bool)
        per_km *= plausibility.ALL_STREETS_SHARE
    crs = net.metric_crs
    metric = gpd.GeoSeries(net.edge_geometry(np.flatnonzero(res)), crs="EPSG:4326").to_crs(crs).to_numpy()
    dense = shapely.segmentize(metric, spacing_m)
    # midpoints of the densified segments, each standing for its own length
    coords, owner = shapely.get_coordinates(dense, return_index=True)
    same = owner[1:] == owner[:-1]
    mid = (coords[1:][same] + coords[:-1][same]) / 2
    seg_len = np.hypot(*(coords[1:][same] - coords[:-1][same]).T)
    to_wgs = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = to_wgs.transform(mid[:, 0], mid[:, 1])
    lon, lat = np.asarray(lon), np.asarray(lat)
    inside = shapely.contains_xy(area, lon, lat)
    pop = seg_len[inside] / 1000 * per_km
    flag = plausibility.street_fallback_note(per_km, all_streets=all_streets)
    source = f"estimate: residential street length ({flag.context['uncertainty_text']})"
    return _finish_estimate(lon[inside], lat[inside], pop, source, flag.message, assumptions, quality="street_fallback", flags=[flag])


def _finish_estimate(
    lon: np.ndarray, lat: np.ndarray, pop: np.ndarray, source: str, note: str, a: EstimateAssumptions,
    *, source_id: np.ndarray | None = None, quality: str = "estimate", flags: list[Note] | None = None,
) -> Demand:
    """The estimate as :class:`Demand`: scaled to ``a.total`` when given; ``flags`` also join the notes."""
    flags = list(flags or [])
    notes = [note, *(f.message for f in flags if f.message != note)]
    if a.total is not None and pop.sum() > 0:
        pop = pop * (a.total / pop.sum())
        notes.append(f"estimate scaled to the given total of {a.total:,.0f} people")
    return Demand(
        lon=np.asarray(lon, np.float64),
        lat=np.asarray(lat, np.float64),
        pop=np.asarray(pop, np.float64),
        older=np.asarray(pop, np.float64) * a.older_share,
        source=source,
        older_source=f"{a.older_share:.1%} of the estimated total",
        is_estimate=True,
        notes=notes,
        source_id=None if source_id is None else np.asarray(source_id, np.int64),
        quality=quality,
        flags=flags,
    )


def _grid_pieces(geoms_m: np.ndarray, cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Pieces of polygons cut by a square grid: (polygon index, piece)."""
    x0, y0, x1, y1 = shapely.total_bounds(geoms_m)
    cell_m = max(cell_m, np.sqrt(max((x1 - x0) * (y1 - y0), 1.0) / 400_000))  # at most ~400k cells
    xs = np.arange(np.floor(x0 / cell_m) * cell_m, x1, cell_m)
    ys = np.arange(np.floor(y0 / cell_m) * cell_m, y1, cell_m)
    xx, yy = (a.ravel() for a in np.meshgrid(xs, ys))
    boxes = shapely.box(xx, yy, xx + cell_m, yy + cell_m)
    zi, bi = shapely.STRtree(boxes).query(geoms_m, predicate="intersects")
    pieces = shapely.intersection(geoms_m[zi], boxes[bi])
    keep = shapely.area(pieces) > 0
    return zi[keep], pieces[keep]

def demand_from_zones(
    zones: gpd.GeoDataFrame,
    area: shapely.Geometry,
    *,
    spread: str = "area",
    features: osm.FeatureTable | None = None,
    cell_m: float = 100.0,
    older_share: float | None = None,
    source: str = "zones",
) -> Demand:
    """Spread zone counts over demand points inside the study area.

    Parameters
    ----------
    zones
        From :func:`zones_from_file`.
    area
        Study area (WGS-84).
    spread
        ``"area"``: grid pieces of ``cell_m`` clipped to each zone, weighted
        by area. ``"buildings"``: residential OSM buildings (footprint x
        levels) inside each zone; zones without any fall back to area.
    older_share
        Older share for zones without an older count (default: Zhejiang 2020).

    Returns
    -------
    Demand
        ``sum(pop) == sum(zone pop x share of zone area inside the study
        area)`` exactly (up to float rounding); the notes give both totals.
    """
    share = ZHEJIANG_OLDER_SHARE_2020 if older_share is None else check_older_share(older_share)
    older = zones["older"].to_numpy(np.float64)
    pop = zones["pop"].to_numpy(np.float64)
    no_older = ~np.isfinite(older)
    older = np.where(no_older, pop * share, older)
    c = shapely.get_coordinates(shapely.centroid(area))[0]
    utm = geodesy.utm_crs_for(c[0], c[1])
    # every place belongs to one zone with people (zones_from_file has done this already; hand-made frames too)
    zl = zones.geometry.to_numpy().copy()
    counted = np.flatnonzero(pop > 0)
    labels = zone_files.frame_labels(zones, "zone", "zone_id", "zone_name", "source_row")[counted]
    zl[counted], overlap_notes = zone_files.disjoint(zl[counted], labels, what="zones", file="" if source == "zones" else source, fix=zone_files.ZONES_FIX)
    # clip in lon/lat, where both the zones' and the area's edges are straight (projected chords would leave slivers)
    inside_ll = shapely.intersection(zl, area)
    frac = np.divide(shapely.area(inside_ll), shapely.area(zl), out=np.zeros(len(zl)), where=shapely.area(zl) > 0)
    inside = gpd.GeoSeries(inside_ll, crs="EPSG:4326").to_crs(utm).to_numpy()
    pop_in, older_in = pop * frac, older * frac
    zi_list, pts_list, w_list = [], [], []
    by_area = np.ones(len(zones), bool)
    n_buildings = 0
    if spread == "buildings":
        est = demand_from_buildings(features, area, EstimateAssumptions()) if features is not None else None
        if est is not None and len(est):
            bpts = shapely.points(est.lon, est.lat)
            pi, zi = shapely.STRtree(zl).query(bpts, predicate="intersects")
            order = np.lexsort((zi, pi))
            pi, first = np.unique(pi[order], return_index=True)  # a building on a shared edge counts once, in the lower row
            zi = zi[order][first]
            wsum = np.bincount(zi, weights=est.pop[pi], minlength=len(zones))
            ok = wsum[zi] > 0
            zi_list.append(zi[ok])
            pts_list.append(gpd.GeoSeries(bpts[pi[ok]], crs="EPSG:4326").to_crs(utm).to_numpy())
            w_list.append(est.pop[pi[ok]] / wsum[zi[ok]])
            by_area = wsum <= 0
            n_buildings = int(ok.sum())
    sel = np.flatnonzero(by_area & (frac > 0))
    if len(sel):
        zi, pieces = _grid_pieces(inside[sel], cell_m)
        a = shapely.area(pieces)
        zi_list.append(sel[zi])
        pts_list.append(shapely.point_on_surface(pieces))
        w_list.append(a / np.bincount(zi, weights=a, minlength=len(sel))[zi])
    zi = np.concatenate(zi_list) if zi_list else np.array([], np.int64)
    w = np.concatenate(w_list) if w_list else np.array([])
    pts = gpd.GeoSeries(np.concatenate(pts_list) if pts_list else [], crs=utm).to_crs("EPSG:4326").to_numpy()
    lon, lat = shapely.get_x(pts), shapely.get_y(pts)
    p, o = pop_in[zi] * w, older_in[zi] * w
    keep = p > 0
    total, inside_total = float(pop.sum()), float(pop_in.sum())
    how = f"by residential buildings ({n_buildings} buildings; {int((by_area & (frac > 0)).sum())} zones without any spread by area)" if spread == "buildings" else f"by area ({cell_m:g} m grid)"
    notes = [f"population from {len(zones)} zones ({source}), {total:,.0f} people, spread {how}", *overlap_notes]
    if total - inside_total > 1e-6 * max(total, 1):
        notes.append(f"zones: {total - inside_total:,.0f} people live in the parts of zones outside the study area (by area share) and are not counted")
    if no_older.any():
        notes.append(f"zones: {int(no_older.sum())} zones without an older count use {share:.1%} of their population")
    d = Demand(
        lon=np.asarray(lon, np.float64)[keep], lat=np.asarray(lat, np.float64)[keep], pop=p[keep], older=o[keep],
        source=f"zones: {source}", older_source=f"zones: {source}" if not no_older.all() else f"{share:.1%} of the zone totals",
        is_estimate=False, notes=notes,
    )
    err = abs(d.total - inside_total) / max(inside_total, 1e-9)
    if err > 1e-3:  # cannot happen unless geometry operations lose pieces; say so rather than hide it
        d.notes.append(f"zones: demand points hold {d.total:,.0f} people, {err:.2%} off the zone total {inside_total:,.0f}")
    return d
