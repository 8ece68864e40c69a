"""Isochrones planners can trust: locations inside whose own trip is within the band, exact populations.

Toy networks are laid out in metres (UTM 51N, near 120.1°E 30.2°N) so that rivers,
blocks and holes sit where the test says; the truth is recomputed independently from
densely sampled street points and :func:`distances.costs_at_points`.
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import accessibility as acc
from accessibility import cli, errors, network
from accessibility.network import distances, snapping
from accessibility.tools import isocells, isochrones, isostreets

UTM = "EPSG:32651"
_TO_WGS = pyproj.Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
X0, Y0 = 222_000.0, 3_345_000.0  # about 120.1°E, 30.2°N


def _lonlat(xy):
    xy = np.asarray(xy, dtype=float)
    return _TO_WGS.transform(X0 + xy[:, 0], Y0 + xy[:, 1])


class Toy:
    """A network drawn in local metres, with facilities snapped onto it."""

    def __init__(self, nodes_xy, edges, facilities_xy):
        lon, lat = _lonlat(nodes_xy)
        edges = np.asarray(edges)
        self.net = network.graph_from_arrays(lon, lat, edges[:, 0], edges[:, 1])
        self.index = snapping.EdgeIndex(self.net)
        flon, flat = _lonlat(facilities_xy)
        self.fac_geoms = shapely.points(flon, flat)
        owner, snapped = self.index.access_points(self.fac_geoms)
        self.snapped = snapped
        self.graph = distances.build_access_graph(self.net, owner, snapped, weight="length")

    def iso(self, cutoffs, **kw):
        kw.setdefault("index", self.index)
        kw.setdefault("facilities", gpd.GeoDataFrame(geometry=self.fac_geoms, crs="EPSG:4326"))
        return isochrones.isochrones(self.graph, kw.pop("mask", None), cutoffs, **kw)

    def metric(self, frame):
        return frame.to_crs(self.index.crs).geometry.to_numpy()

    def xy(self, local_xy):
        lon, lat = _lonlat(local_xy)
        return np.column_stack(self.index.project_xy(lon, lat))

    def street_truth(self, mask=None, spacing_m=1.0):
        """Points every ``spacing_m`` along the streets and the facilities' walks to them, with
        their trip cost and nearest facility (an independent check of the polygons)."""
        res = distances.nearest_facilities(self.graph, mask)
        xy, t = along(self.index.geoms, spacing_m)
        cost, fac = distances.costs_at_points(self.graph, res, snapping.Snapped(t[0], t[1], np.zeros(len(t[0]))))
        # walks: from the facility (0) to its access point (1): own trip or through the street
        use = np.ones(len(self.snapped), bool) if mask is None else np.asarray(mask)[self.graph.ap_facility]
        walks = shapely.shortest_line(self.index.project(self.fac_geoms)[self.graph.ap_facility], self.ap_xy())[use]
        wxy, (i, f) = along(walks, spacing_m)
        split = self.graph.stub_node[use][i] - len(self.snapped)
        snap = self.snapped.snap_dist_m[use][i]
        via_street = res.cost[split] + (1 - f) * snap
        w_cost = np.minimum(f * snap, via_street)
        w_fac = np.where(f * snap <= via_street, self.graph.ap_facility[use][i], res.facility[split])
        return np.r_[xy, wxy], np.r_[cost, w_cost], np.r_[fac, w_fac]

    def ap_xy(self):
        return shapely.line_interpolate_point(self.index.geoms[self.snapped.edge], self.snapped.t, normalized=True)


def along(lines, spacing_m):
    """Points every ``spacing_m`` along lines: xy, (line, fraction)."""
    n = np.maximum(np.ceil(shapely.length(lines) / spacing_m), 1).astype(int)
    line = np.repeat(np.arange(len(n)), n + 1)
    t = (np.arange(len(line)) - np.repeat(np.cumsum(n + 1) - n - 1, n + 1)) / n[line]
    return shapely.get_coordinates(shapely.line_interpolate_point(lines[line], t, normalized=True)), (line, t)


def grid(n=6, step=200.0, jitter=None, drop=None):
    """An ``n`` x ``n`` street grid; optional node jitter and dropped edges."""
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    xy = np.column_stack([ii.ravel() * step, jj.ravel() * step]).astype(float)
    if jitter is not None:
        xy += jitter
    idx = ii * n + jj
    edges = np.r_[np.column_stack([idx[:-1, :].ravel(), idx[1:, :].ravel()]), np.column_stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()])]
    if drop is not None:
        edges = edges[~drop[: len(edges)]]
    return xy, edges


def sample_inside(poly, n, rng):
    """Random points inside a (multi)polygon."""
    x0, y0, x1, y1 = poly.bounds
    pts = shapely.points(rng.uniform(x0, x1, n * 20), rng.uniform(y0, y1, n * 20))
    return shapely.get_coordinates(pts[shapely.contains(poly, pts)][:n])


def nearest_distance(points_xy, targets_xy):
    if len(targets_xy) == 0:
        return np.full(len(points_xy), np.inf)
    tree = shapely.STRtree(shapely.points(targets_xy))
    _, dist = tree.query_nearest(shapely.points(points_xy), return_distance=True, all_matches=False)
    return dist


@pytest.fixture(scope="module")
def toy_grid():
    xy, edges = grid(n=8, step=150.0)
    return Toy(xy, edges, [[160.0, 310.0], [760.0, 905.0], [1010.0, 80.0]])


@pytest.fixture(scope="module")
def hangzhou(hangzhou_pbf, tmp_path_factory):
    """A Hangzhou run in a folder of its own (the CLI test writes into it); skipped without the data, failed in CI."""
    out = tmp_path_factory.mktemp("hangzhou_isochrones")
    return acc.run(hangzhou_pbf, out=out), out


# ------------------------------------------------------------------- geometry from the network


def test_substrings_match_shapely_substring():
    from shapely.ops import substring

    rng = np.random.default_rng(3)
    coords = [rng.uniform(0, 500, (k, 2)).cumsum(axis=0) for k in rng.integers(2, 9, 40)]
    lines = shapely.linestrings(np.concatenate(coords), indices=np.repeat(np.arange(40), [len(c) for c in coords]))
    line = rng.integers(0, 40, 200)
    lo = rng.uniform(0, 1, 200)
    hi = np.minimum(lo + rng.uniform(0.01, 1, 200), 1.0)
    got = isostreets.substrings(lines, line, lo, hi)
    for g, li, a, b in zip(got, line, lo, hi, strict=True):
        want = substring(lines[li], a, b, normalized=True)
        assert g.hausdorff_distance(want) < 1e-6
        assert abs(g.length - want.length) < 1e-6


def test_street_intervals_walk_each_direction_at_its_own_cost():
    # one line of 100 (towards b) and 200 (towards a, uphill) cost units; both ends at a facility:
    # the trips through a and through b cost the same at t = 1/3 (200 / 3 = 100 * 2 / 3)
    one = np.ones(1)
    p = isostreets.Pieces(lines=np.array([shapely.LineString([(0, 0), (1, 0)])]), line=np.zeros(1, np.int64), t0=0 * one, t1=one,
                          a=np.zeros(1, np.int64), b=one.astype(np.int64), cost=100 * one, cost_back=200 * one,
                          to_a=one.astype(bool), to_b=one.astype(bool), facility=-one.astype(np.int64))
    z = np.zeros(1, np.int64)
    _, band, _, lo, hi = isostreets.band_intervals(p, z, 0 * one, 0 * one, z, z, np.array([50.0, 1000.0]))
    got = sorted(zip(band, lo, hi, strict=True))
    assert [b for b, _, _ in got] == [0, 0, 1, 1]
    np.testing.assert_allclose([(lo, hi) for _, lo, hi in got], [(0, 0.25), (0.5, 1), (0.25, 1 / 3), (1 / 3, 0.5)])
    # from a alone, 50 units reach a quarter of the line
    _, band, _, lo, hi = isostreets.band_intervals(p, z, 0 * one, np.full(1, np.inf), z, z, np.array([50.0]))
    np.testing.assert_allclose(np.c_[lo, hi], [[0, 0.25]])


@pytest.mark.parametrize("how", isochrones.HOW)
def test_points_inside_are_within_street_width_of_reached_streets(toy_grid, how):
    width, cutoffs = 40.0, [250.0, 600.0]
    frame = toy_grid.iso(cutoffs, how=how, street_width_m=width, bands="cumulative")
    geoms = toy_grid.metric(frame)
    rng = np.random.default_rng(0)
    xy_all, cost_all, fac_all = toy_grid.street_truth()
    for row, poly in zip(frame.itertuples(), geoms, strict=True):
        if poly is None:
            continue
        if how == "per_facility":
            mask = np.zeros(3, bool)
            mask[row.facility_row] = True
            xy, cost, _ = toy_grid.street_truth(mask)
        else:
            xy, cost = xy_all, cost_all
            if how == "catchments":
                cost = np.where(fac_all == row.facility_row, cost, np.inf)
        reached = xy[cost <= row.cutoff_m + 1e-6]
        inside = sample_inside(poly, 300, rng)
        # streets sampled every 1 m (the cutoff point may fall between two) and simplified by 0.5 m
        assert nearest_distance(inside, reached).max() <= width + 1.6
        # every reached street point is inside, but near the cutoff: a location is drawn when its grid
        # cell's centre (at most GRID_M / sqrt(2) away, so at most GRID_M * sqrt(2) more walking) is within it
        core = shapely.points(xy[cost <= row.cutoff_m - 2 * isochrones.GRID_M])
        assert shapely.contains(shapely.buffer(poly, 1e-6), core).all()
        # and the locations inside are those whose own trip (the point query's) is within the cutoff
        lon, lat = _TO_WGS.transform(*inside.T)
        mask = np.arange(3) == row.facility_row if how == "per_facility" else None
        trip, nearest = distances.costs_at_points(toy_grid.graph, distances.nearest_facilities(toy_grid.graph, mask), toy_grid.index.snap_points(lon, lat))
        ok = (trip <= row.cutoff_m + isochrones.GRID_M) & ((nearest == row.facility_row) if how == "catchments" else True)
        assert ok.mean() >= 0.99, f"{ok.mean():.2%} of the locations inside agree with the point query"


@pytest.mark.shared
def test_real_isochrone_points_are_near_reached_streets(hangzhou):
    result, _ = hangzhou
    width = 50.0
    state = result.modes["walk"]
    index, graph = state.index, state.graphs["length"]
    mask = (result.facilities["service"] == "park").to_numpy() & (result.facilities["status"] == "used").to_numpy()
    # streets only (no facilities: no walks from the parks to their streets)
    frame = isochrones.isochrones(graph, mask, [400.0, 800.0], index=index, street_width_m=width, bands="cumulative")
    res = distances.nearest_facilities(graph, mask)
    rng = np.random.default_rng(1)
    for row, poly in zip(frame.itertuples(), frame.to_crs(index.crs).geometry, strict=True):
        pts = sample_inside(poly, 400, rng)
        lon, lat = pyproj.Transformer.from_crs(index.crs, "EPSG:4326", always_xy=True).transform(pts[:, 0], pts[:, 1])
        # the brief's check: snapped to the nearest street, the street point's own trip is within
        # the cutoff, or the point is within the street width of another, reached street
        snapped = index.snap_points(lon, lat)
        cost, _ = distances.costs_at_points(graph, res, snapped)
        ok = (cost - snapped.snap_dist_m <= row.cutoff_m + 1e-6) & (snapped.snap_dist_m <= width + 1.6)
        assert ok.mean() > 0.98  # the bands are drawn from the locations' own trips (test_isochrone_agreement.py)
        if ok.all():
            continue
        # the others are within the width of a reached street point (streets sampled every 1 m)
        near = index.tree.query(shapely.points(pts[~ok]), predicate="dwithin", distance=width + 1.6)
        e = np.unique(near[1])
        street, (i, t) = along(index.geoms[e], 1.0)
        c, _ = distances.costs_at_points(graph, res, snapping.Snapped(e[i], t, np.zeros(len(t))))
        assert nearest_distance(pts[~ok], street[c <= row.cutoff_m + 1e-6]).max() <= width + 1.6


def test_river_without_bridge_keeps_the_far_bank_out():
    # two streets 150 m apart along a river, bridged only at x = 2000 m
    xs = np.arange(0, 2001, 100.0)
    xy = np.r_[np.column_stack([xs, np.zeros_like(xs)]), np.column_stack([xs, np.full_like(xs, 150.0)])]
    k = len(xs)
    edges = np.r_[[[i, i + 1] for i in range(k - 1)], [[k + i, k + i + 1] for i in range(k - 1)], [[k - 1, 2 * k - 1]]]
    toy = Toy(xy, edges, [[300.0, -20.0]])
    frame = toy.iso([1000.0], how="dissolved", bands="cumulative", street_width_m=50.0)
    poly = toy.metric(frame)[0]
    near_bank, far_bank, river = toy.xy([[300.0, 0.0], [300.0, 150.0], [300.0, 75.0]])
    assert poly.contains(shapely.Point(near_bank))
    assert not poly.contains(shapely.Point(far_bank))
    assert not poly.contains(shapely.Point(river))
    # the water between the banks stays out along the whole reach, not only at one point
    water = shapely.Polygon(toy.xy([[0.0, 55.0], [1300.0, 55.0], [1300.0, 95.0], [0.0, 95.0]]))
    assert poly.intersection(water).area < 1e-6
    hull = shapely.convex_hull(shapely.multipoints(toy.xy([[0, 0], [1300, 0]])).buffer(50.0))
    assert poly.area < hull.area  # never a hull


def test_a_location_across_a_canal_joins_its_own_street_and_stays_out():
    # street A (y = 0) is reached; street B (y = 60), across a canal, only by a bridge 2.5 km away.
    # A location 40 m from A is 20 m from B: a resident there joins B, so it is outside the band
    # (the 50 m street buffer of A used to draw it inside)
    xs = np.arange(0, 1001, 100.0)
    k = len(xs)
    xy = np.r_[np.column_stack([xs, np.zeros(k)]), [[3000.0, 0.0], [3000.0, 60.0]], np.column_stack([xs[::-1], np.full(k, 60.0)])]
    edges = [[i, i + 1] for i in range(len(xy) - 1)]
    toy = Toy(xy, edges, [[500.0, -10.0]])
    frame = toy.iso([600.0], how="dissolved", bands="cumulative", street_width_m=50.0)
    poly = toy.metric(frame)[0]
    near_a, across, far_side, beyond_b = toy.xy([[500.0, 20.0], [500.0, 40.0], [500.0, -40.0], [500.0, 75.0]])
    assert poly.contains(shapely.Point(near_a)) and poly.contains(shapely.Point(far_side))
    assert not poly.contains(shapely.Point(across)) and not poly.contains(shapely.Point(beyond_b))
    # every location inside is within the cutoff by the point query (the nearest-street line y = 30 is exact here)
    inside = sample_inside(poly, 500, np.random.default_rng(2))
    res = distances.nearest_facilities(toy.graph)
    trip, _ = distances.costs_at_points(toy.graph, res, toy.index.snap_points(*_TO_WGS.transform(*inside.T)))
    assert (trip <= 600.0 + isochrones.GRID_M).all()


def test_ring_of_streets_keeps_its_hole():
    side = np.arange(0, 1000, 100.0)
    ring = np.r_[
        np.column_stack([side, np.zeros(10)]),
        np.column_stack([np.full(10, 1000.0), side]),
        np.column_stack([1000.0 - side, np.full(10, 1000.0)]),
        np.column_stack([np.zeros(10), 1000.0 - side]),
    ]
    n = len(ring)
    toy = Toy(ring, [[i, (i + 1) % n] for i in range(n)], [[-15.0, -15.0]])
    frame = toy.iso([2500.0], how="dissolved", bands="cumulative", street_width_m=50.0)
    poly = toy.metric(frame)[0]
    assert len(poly.geoms) == 1
    assert len(poly.geoms[0].interiors) == 1
    assert not poly.contains(shapely.Point(toy.xy([[500.0, 500.0]])[0]))
    assert poly.contains(shapely.Point(toy.xy([[500.0, 1000.0]])[0]))


def test_nested_bands_and_rings(toy_grid):
    cutoffs = [200.0, 400.0, 700.0]
    for how in isochrones.HOW:
        frame = toy_grid.iso(cutoffs, how=how, bands="both")
        geoms = toy_grid.metric(frame)
        frame = frame.assign(g=geoms)
        for _, grp in frame.groupby("facility_row"):
            cum = grp[grp["kind"] == "cumulative"].sort_values("cutoff_m")
            ring = grp[grp["kind"] == "ring"].sort_values("cutoff_m")
            cg = [g if g is not None else shapely.Polygon() for g in cum["g"]]
            for small, large in itertools.pairwise(cg):
                assert shapely.difference(small, large).area <= 1e-6 * max(small.area, 1.0)
            rg = [g if g is not None else shapely.Polygon() for g in ring["g"]]
            assert abs(sum(r.area for r in rg) - cg[-1].area) <= 1e-3 * max(cg[-1].area, 1.0)
            for i in range(len(rg)):
                for j in range(i + 1, len(rg)):
                    assert shapely.intersection(rg[i], rg[j]).area <= 1e-3 * max(rg[i].area, 1.0)
            np.testing.assert_allclose(ring["area_km2"].sum(), cum["area_km2"].iloc[-1], rtol=1e-9, atol=1e-12)


def test_catchments_do_not_overlap_and_people_add_up(toy_grid):
    rng = np.random.default_rng(5)
    pts = rng.uniform(-50, 1100, (3000, 2))
    lon, lat = _lonlat(pts)
    demand = pd.DataFrame({"lon": lon, "lat": lat, "pop": rng.uniform(1, 10, 3000), "older": rng.uniform(0, 3, 3000)})
    catch = toy_grid.iso([300.0, 700.0], how="catchments", demand=demand)
    dissolved = toy_grid.iso([300.0, 700.0], how="dissolved", demand=demand)
    res = distances.nearest_facilities(toy_grid.graph)
    cost, _ = distances.costs_at_points(toy_grid.graph, res, toy_grid.index.snap_points(lon, lat))
    for kind in ("cumulative", "ring"):
        for c, lower in ((300.0, 0.0), (700.0, 300.0 if kind == "ring" else 0.0)):
            sub = catch[(catch["kind"] == kind) & (catch["cutoff_m"] == c)]
            geoms = [g for g in toy_grid.metric(sub) if g is not None]
            for i in range(len(geoms)):
                for j in range(i + 1, len(geoms)):
                    assert geoms[i].intersection(geoms[j]).area < 1.0  # m²
            want = demand["pop"][(cost > lower) & (cost <= c)].sum()
            assert sub["pop"].sum() == pytest.approx(want)
            d = dissolved[(dissolved["kind"] == kind) & (dissolved["cutoff_m"] == c)]
            assert d["pop"].iloc[0] == pytest.approx(want)
            assert sub["older_pop"].sum() == pytest.approx(d["older_pop"].iloc[0])


def test_per_facility_contains_its_access_points_and_counts_own_trips(toy_grid):
    rng = np.random.default_rng(7)
    pts = rng.uniform(0, 1050, (2000, 2))
    lon, lat = _lonlat(pts)
    demand = pd.DataFrame({"lon": lon, "lat": lat, "pop": 1.0, "older": 0.25})
    frame = toy_grid.iso([150.0, 400.0], how="per_facility", bands="cumulative", demand=demand)
    geoms = toy_grid.metric(frame)
    ap_xy = toy_grid.ap_xy()
    fac_xy = toy_grid.index.project(toy_grid.fac_geoms)
    snapped = toy_grid.index.snap_points(lon, lat)
    for row, poly in zip(frame.itertuples(), geoms, strict=True):
        assert poly.contains(ap_xy[row.facility_row]) and poly.contains(fac_xy[row.facility_row])
        mask = np.arange(3) == row.facility_row
        cost, _ = distances.costs_at_points(toy_grid.graph, distances.nearest_facilities(toy_grid.graph, mask), snapped)
        assert row.pop == pytest.approx((cost <= row.cutoff_m).sum())
        assert row.older_pop == pytest.approx(0.25 * (cost <= row.cutoff_m).sum())
        assert row.pop_in_polygon == pytest.approx(shapely.contains_xy(poly, *toy_grid.xy(pts).T).sum())


def test_one_facility_alone_gives_one_and_the_same_area(toy_grid):
    mask = np.array([False, True, False])
    areas = {how: toy_grid.iso([400.0], how=how, mask=mask, bands="cumulative")["area_km2"].iloc[0] for how in isochrones.HOW}
    assert areas["dissolved"] > 0
    assert areas["per_facility"] == pytest.approx(areas["dissolved"]) and areas["catchments"] == pytest.approx(areas["dissolved"])


def test_per_facility_chunks_do_not_change_the_answer(toy_grid, monkeypatch):
    a = toy_grid.iso([300.0, 500.0], how="per_facility")
    monkeypatch.setattr(isochrones, "CHUNK_CELLS", 1)  # one facility per Dijkstra
    b = toy_grid.iso([300.0, 500.0], how="per_facility")
    assert (a["facility_row"].to_numpy() == b["facility_row"].to_numpy()).all()
    np.testing.assert_allclose(a["area_km2"], b["area_km2"], rtol=1e-9)
    np.testing.assert_allclose(a["street_km"], b["street_km"], rtol=1e-9)


def test_tiles_chunks_and_reused_cells_do_not_change_the_areas(toy_grid, monkeypatch):
    a = toy_grid.iso([300.0, 500.0], how="catchments")
    monkeypatch.setattr(isocells, "TILE_CELLS", 7)  # many tiles, with their halos
    monkeypatch.setattr(isocells, "CHUNK_POINTS", 100)  # many snapping chunks
    with isocells.reuse():
        b = toy_grid.iso([300.0, 500.0], how="catchments", mask=np.array([True, False, True]))  # snaps part of the cells
        c = toy_grid.iso([300.0, 500.0], how="catchments")  # the rest, and reuses the others
    assert all(p.equals(q) if p is not None else q is None for p, q in zip(a.geometry, c.geometry, strict=True))
    assert len(b) == 2 * 2 * 2


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    cutoffs=st.lists(st.floats(50.0, 1200.0), min_size=2, max_size=2, unique=True),
    how=st.sampled_from(isochrones.HOW),
)
def test_larger_cutoff_contains_smaller(seed, cutoffs, how):
    rng = np.random.default_rng(seed)
    xy, edges = grid(n=5, step=180.0, jitter=rng.normal(0, 25, (25, 2)), drop=rng.uniform(0, 1, 40) < 0.15)
    toy = Toy(xy, edges, rng.uniform(0, 720, (2, 2)))
    small_c, large_c = sorted(cutoffs)
    together = toy.iso([small_c, large_c], how=how, bands="cumulative")
    g = together.assign(g=toy.metric(together))
    for _, grp in g.groupby("facility_row"):
        small, large = grp.sort_values("cutoff_m")["g"]
        if small is not None:
            assert shapely.difference(small, large).area <= 1e-6 * small.area  # nested by construction
    # computed separately, up to the buffer's arc approximation (1.7 m at 50 m)
    small = toy.metric(toy.iso([small_c], how="dissolved", bands="cumulative"))[0]
    large = toy.metric(toy.iso([large_c], how="dissolved", bands="cumulative"))[0]
    if small is not None:
        assert shapely.difference(small, shapely.buffer(large, 2.0)).area < 1e-6


# ------------------------------------------------------------------------ runs, CLI, errors


@pytest.mark.shared
def test_run_result_population_matches_the_run(hangzhou):
    result, _ = hangzhou
    frame = isochrones.isochrones_from_run(result, service="sports_fitness", cutoffs_min=[5, 10], how="dissolved")
    pc = result.point_costs
    for row in frame[frame["kind"] == "cumulative"].itertuples():
        within = pc["sports_fitness_dist_m"] <= row.cutoff_m
        assert row.pop == pytest.approx(pc["pop"][within].sum())
        assert row.older_pop == pytest.approx(pc["older"][within].sum())
        assert row.cutoff_min in (5.0, 10.0) and row.cutoff_m == row.cutoff_min * 60.0
    assert frame.crs.to_epsg() == 4326 and frame.geometry.is_valid.all()
    catch = isochrones.isochrones_from_run(result, service="sports_fitness", cutoffs_min=[5, 10], how="catchments")
    for c, grp in catch[catch["kind"] == "cumulative"].groupby("cutoff_m"):
        d = frame[(frame["kind"] == "cumulative") & (frame["cutoff_m"] == c)]
        assert grp["pop"].sum() == pytest.approx(d["pop"].iloc[0])
        metric = grp.to_crs(result.modes["walk"].index.crs).geometry.dropna().to_numpy()
        left, right = shapely.STRtree(metric).query(metric, predicate="intersects")
        pairs = left < right
        assert shapely.area(shapely.intersection(metric[left[pairs]], metric[right[pairs]])).sum() < 10.0  # m², city-wide


@pytest.mark.shared
def test_cli_writes_layers_into_the_run_folder(hangzhou, capsys):
    result, out = hangzhou
    code = cli.main(["isochrones", str(out), "--service", "park", "--cutoffs-m", "300", "500", "1000", "--how", "dissolved", "catchments"])
    assert code == 0
    assert "park_dissolved" in capsys.readouterr().out
    layers = dict(pyogrio.list_layers(out / "isochrones.gpkg"))
    assert layers == {"park_dissolved": "MultiPolygon", "park_catchments": "MultiPolygon", "layer_styles": None}  # with their QGIS styles
    disk = gpd.read_file(out / "isochrones.gpkg", layer="park_dissolved")
    api = isochrones.isochrones_from_run(result, service="park", cutoffs_m=[300, 500, 1000])
    np.testing.assert_allclose(disk["pop"], api["pop"], rtol=1e-9)  # population from demand_points.parquet
    assert (out / "isochrones_park_catchments.geojson").is_file()
    # a second service adds its layer and keeps the others
    assert cli.main(["isochrones", str(out), "--service", "sports_fitness", "--how", "per_facility", "--bands", "rings"]) == 0
    layers = dict(pyogrio.list_layers(out / "isochrones.gpkg"))
    assert set(layers) == {"park_dissolved", "park_catchments", "sports_fitness_per_facility", "layer_styles"}
    rings = gpd.read_file(out / "isochrones.gpkg", layer="sports_fitness_per_facility")
    assert set(rings["kind"]) == {"ring"} and set(rings["cutoff_min"]) == {5.0, 10.0, 15.0}
    assert not list(out.glob(".isochrones*"))  # no temporary files left


@pytest.mark.shared
def test_clear_errors(toy_grid, hangzhou):
    result, out = hangzhou
    with pytest.raises(errors.InputError, match="how must be"):
        toy_grid.iso([100.0], how="hull")
    with pytest.raises(errors.InputError, match="positive"):
        toy_grid.iso([-5.0])
    with pytest.raises(errors.InputError, match="street_width_m"):
        toy_grid.iso([100.0], street_width_m=0)
    with pytest.raises(errors.EmptyLayerError):
        toy_grid.iso([100.0], mask=np.zeros(3, bool))
    with pytest.raises(errors.InputError, match="not both"):
        isochrones.isochrones_from_run(result, service="park", cutoffs_min=[5], cutoffs_m=[300])
    with pytest.raises(errors.InputError, match="unknown service"):
        isochrones.isochrones_from_run(out, service="cinema")
    with pytest.raises(errors.EmptyLayerError, match="elderly_care"):
        isochrones.isochrones_from_run(result, service="elderly_care")


def test_rasterio_calls_are_safe_beside_a_thread_using_catch_warnings():
    """Cells are burnt and traced through georeferenced bands: no warning escapes.

    Given bare arrays, rasterio silences its "not georeferenced" warning with
    ``warnings.catch_warnings``, which another thread (the cache writer) can undo;
    before the fix about 1 call in 15 of each kind raised here.
    """
    import threading
    import warnings

    from rasterio.transform import Affine

    from accessibility.readers import rasters

    stop = threading.Event()

    def churn():
        while not stop.is_set():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")

    thread = threading.Thread(target=churn, daemon=True)
    thread.start()
    rng = np.random.default_rng(0)
    try:
        for _ in range(100):
            key = np.unique(rng.integers(0, 20, 200) * 100 + rng.integers(0, 20, 200))
            col, row = key // 100, key % 100
            out = isocells.cumulative_polygons(col, row, rng.integers(0, 3, len(col)), rng.integers(0, 2, len(col)), 3, 2, 20.0)
            assert all(g is None or g.is_valid for g in out.ravel())
            burnt = rasters.burn_shapes([(shapely.box(1, 1, 3, 3), 1)], out_shape=(6, 6), transform=Affine(1, 0, 0, 0, -1, 6), all_touched=False)
            assert burnt.sum() == 4
    finally:
        stop.set()
        thread.join()


def test_the_people_of_a_run_s_isochrones_are_joined_where_the_run_joined_them(hangzhou, monkeypatch):
    """A run keeps where its residents join the streets; the isochrones' people counts take them instead of joining a million points again."""
    result, _ = hangzhou
    walk = result.modes["walk"]
    d = result.demand
    again = walk.index.snap_points(d.lon, d.lat)
    assert walk.residents is not None and len(walk.residents) == len(d)
    for name in ("edge", "t", "snap_dist_m", "barrier"):
        np.testing.assert_array_equal(getattr(walk.residents, name), getattr(again, name))
    def no_second_join(*_a, **_k):
        raise AssertionError("the run's residents were joined to the streets again")

    monkeypatch.setattr(snapping.EdgeIndex, "snap_points", no_second_join)
    inputs = isochrones._load(result)
    np.testing.assert_array_equal(inputs.demand["edge"].to_numpy(), walk.residents.edge)
