"""The map and the verdict agree: a location inside an isochrone band is one whose own trip is within it.

An official reads the isochrone map beside the run's numbers and the point query
(``accessibility query``). On the Hangzhou extract, locations are sampled at random inside
every band of the parks' isochrones and costed with the run's own point query
(:func:`accessibility.tools.query.query_points`, or its path per facility); at least 99% must be
within the band's cutoff, give or take one grid cell's walk (the bands are drawn from a grid of
locations :data:`isochrones.GRID_M` apart). The street-buffer drawing this replaced agreed for
76-89% of the locations (median 45 m beyond the band, some 2 km: across canals and walls).
"""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import shapely

from accessibility.network import distances
from accessibility.tools import isochrones, query

SERVICE = "park"
N_SAMPLES = 2000  # per band: the share's standard error is about 0.2 points at 99%
MIN_SHARE = 0.99


def sample_inside(geoms: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random points inside some polygons (metric), spread by area: xy and which polygon."""
    area = shapely.area(geoms)
    want = np.maximum(np.round(n * area / area.sum()).astype(int), 1)
    xy, owner = [], []
    for i, (g, k) in enumerate(zip(geoms, want, strict=True)):  # a few dozen polygons at most
        x0, y0, x1, y1 = g.bounds
        got = np.zeros((0, 2))
        while len(got) < k:
            pts = rng.uniform((x0, y0), (x1, y1), (20 * k, 2))
            got = np.r_[got, pts[shapely.contains_xy(g, pts[:, 0], pts[:, 1])]]
        xy.append(got[:k])
        owner.append(np.full(k, i))
    return np.concatenate(xy), np.concatenate(owner)


@pytest.fixture(scope="module")
def parks(hangzhou_run):
    result, _ = hangzhou_run
    frames = {how: isochrones.isochrones_from_run(result, service=SERVICE, how=how, bands="cumulative") for how in isochrones.HOW}
    return result, frames


def _lonlat(result, xy):
    crs = result.modes["walk"].index.crs
    lon, lat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xy[:, 0], xy[:, 1])
    return np.asarray(lon), np.asarray(lat)


def own_trips(result, xy: np.ndarray, facility_row: np.ndarray) -> np.ndarray:
    """Each location's trip to one given facility, by the point query's path (tools/query.py) with that facility alone."""
    walk = result.modes["walk"]
    graph, index = walk.graphs["length"], walk.index
    snapped = index.snap_points(*_lonlat(result, xy))
    neighbours = distances.point_neighbours(graph, snapped)
    trip = np.full(len(xy), np.inf)
    for row in np.unique(facility_row):  # a score of parks
        mine = facility_row == row
        res = distances.nearest_facilities(graph, np.arange(len(result.facilities)) == row)
        cost, _ = distances.costs_at_points(graph, res, snapped, neighbours=neighbours)
        trip[mine] = cost[mine]
    return trip


def _samples(result, band, rng):
    """Locations inside a band's polygons (metric xy) and the row of the polygon each is in."""
    geoms = band.to_crs(result.modes["walk"].index.crs).geometry.to_numpy()
    keep = np.flatnonzero(~shapely.is_missing(geoms))
    xy, owner = sample_inside(geoms[keep], N_SAMPLES, rng)
    return xy, band.iloc[keep[owner]]


@pytest.mark.shared
def test_locations_inside_a_band_are_within_it_by_the_point_query(parks):
    result, frames = parks
    frame = frames["dissolved"]
    rng = np.random.default_rng(18)
    assert set(frame["cutoff_min"]) == {5.0, 10.0, 15.0}
    for cutoff, band in frame.groupby("cutoff_m"):
        xy, _ = _samples(result, band, rng)
        answer = query.query_points(result, *_lonlat(result, xy), services=[SERVICE])  # what `accessibility query` says
        share = (answer[f"{SERVICE}_dist_m"].to_numpy() <= cutoff + isochrones.GRID_M).mean()
        assert share >= MIN_SHARE, (
            f"dissolved {cutoff:g} m: {share:.2%} of {len(xy)} locations inside the band are within it (+{isochrones.GRID_M:g} m) by the point query"
        )


@pytest.mark.shared
@pytest.mark.parametrize("how", ["per_facility", "catchments"])
def test_each_facility_area_holds_locations_within_their_own_trip_to_it(parks, how):
    result, frames = parks
    rng = np.random.default_rng(19)
    for cutoff, band in frames[how].groupby("cutoff_m"):
        xy, inside = _samples(result, band, rng)
        trip = own_trips(result, xy, inside["facility_row"].to_numpy())
        ok = trip <= cutoff + isochrones.GRID_M
        if how == "catchments":  # and no other park is nearer by more than a cell's walk
            nearest = query.query_points(result, *_lonlat(result, xy), services=[SERVICE])[f"{SERVICE}_dist_m"].to_numpy()
            ok &= trip <= nearest + isochrones.GRID_M
        share = ok.mean()
        assert share >= MIN_SHARE, f"{how} {cutoff:g} m: {share:.2%} of {len(trip)} locations are within their own park's band"
