"""Plausible populations: compounds drawn as one building, impossible densities, the street fallback.

The real cases come from the Hangzhou (2015) and Beijing Haidian (2017) OSM
extracts: way 162514248 (翠苑五区) is a 72,156 m² ``building=residential``
outline of a whole compound; way 28906464 is the hall of 黄龙体育中心.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accessibility import errors
from accessibility.network import graph as network
from accessibility.readers import footprints, osm
from accessibility.run import pipeline
from accessibility.stages import compounds, plausibility, population
from accessibility.stages import hexes as hexes_mod

CUIYUAN = 162514248  # 翠苑五区
STADIUM = 28906464  # 黄龙体育中心
KEYS = ("amenity", "social_facility", "leisure", "healthcare", "building", "landuse")
EVERYWHERE = shapely.box(100, 20, 130, 45)


@pytest.fixture(scope="module")
def hz(hangzhou_pbf):
    return pipeline.run(hangzhou_pbf, goals=["park_10min"])


@pytest.fixture(scope="module")
def hz_features(hangzhou_pbf):
    return osm.read_features(hangzhou_pbf, KEYS, footprint_keys=("building",))


# --------------------------------------------------------------------------- the compound on real data


@pytest.mark.shared
def test_cuiyuan_no_longer_makes_an_impossible_hexagon(hz):
    dens = hz.hexes["density_per_km2"].to_numpy()
    # was 132,031/km² (10,823 people at one point), the worst hexagon of every goal
    assert dens.max() < plausibility.IMPLAUSIBLE_DENSITY_PER_KM2
    assert dens.max() < 50_000
    d = hz.demand
    mine = d.source_id == CUIYUAN
    # its people: site x plot ratio (25% x 6 floors) / 40 m² per person, spread over many points of its site
    assert mine.sum() > 20
    assert d.pop[mine].sum() == pytest.approx(72_156 * 1.5 / 40, rel=1e-3)
    cells = hexes_mod.cells_of_points(d.lon[mine], d.lat[mine])
    assert len(np.unique(cells)) >= 2
    worst = plausibility.density_outliers(hz.hexes, hz.point_costs["h3"], d.pop, d.source_id, top=5)
    assert worst.implausible.empty and not worst.notes
    assert "way/162514248" not in set(worst.table["top_source"])
    # the run says what was done, with the OSM ids
    compounds = [f for f in d.flags if f.code == "population.compounds"]
    assert len(compounds) == 1 and "way/162514248" in compounds[0].context["osm"] and "翠苑五区" in compounds[0].message
    assert compounds[0].context["people_as_buildings"] > 3 * compounds[0].context["people_as_compounds"]
    assert any("residential compounds" in n for n in hz.notes)


@pytest.mark.shared
def test_stadium_hall_is_not_a_home_and_walk_up_slabs_are(hz):
    d = hz.demand
    assert STADIUM not in set(d.source_id.tolist())
    sites = next(f for f in d.flags if f.code == "population.sites")
    assert "way/28906464" in sites.context["osm"]


@pytest.mark.shared
def test_park_grounds_keep_their_homes(hz, hz_features):
    # 古荡's walk-up slabs stand in way 242430623, tagged leisure=park: parks are not grounds that exclude homes
    frame = hz_features.frame
    park = frame.loc[frame["osm_id"] == 242430623, "geometry"].iloc[0]
    fp = hz_features.footprints
    slabs = fp.osm_id[shapely.contains_xy(park, fp.lon, fp.lat) & np.array([t == {"building": "yes"} for t in fp.tags])]
    assert len(slabs) >= 50
    assert np.isin(slabs, hz.demand.source_id).all()


@pytest.mark.shared
def test_outliers_are_listed_with_their_osm_ids(hz, hz_features):
    d = hz.demand
    # the old estimate: 翠苑五区 as one building of 6 floors, 10,823 people at its footprint's centroid
    fp = hz_features.footprints
    at = int(np.flatnonzero(fp.osm_id == CUIYUAN)[0])
    mine = d.source_id == CUIYUAN
    lon = np.concatenate([d.lon[~mine], [fp.lon[at]]])
    lat = np.concatenate([d.lat[~mine], [fp.lat[at]]])
    pop = np.concatenate([d.pop[~mine], [72_156 * 6 / 40]])
    ids = np.concatenate([d.source_id[~mine], [CUIYUAN]])
    cells = hexes_mod.cells_of_points(lon, lat)
    uniq, pos = np.unique(cells, return_inverse=True)
    frame = hexes_mod.hexagons(uniq)
    frame["pop"] = np.bincount(pos, weights=pop)
    frame["density_per_km2"] = frame["pop"] / frame["area_km2"]
    out = plausibility.density_outliers(frame, pos, pop, ids)
    bad = out.implausible
    assert len(bad) == 1
    row = bad.iloc[0]
    assert row["h3"] == "89309a50b23ffff" and row["density_per_km2"] > 130_000
    assert row["top_source"] == "way/162514248" and row["sources"].startswith("way/162514248: 10,823")
    assert row["excess_pop"] == pytest.approx(row["pop"] - 100_000 * row["area_km2"])
    (note,) = out.notes
    assert note.code == "population.implausible_density" and note.severity == "warning"
    assert "way/162514248" in note.message and note.context["osm"] == ["way/162514248"]
    # h3 labels work as well as row positions, and the listing is densest first
    again = plausibility.density_outliers(frame, frame["h3"].to_numpy()[pos], pop, ids, top=3)
    assert again.table["h3"].tolist()[0] == "89309a50b23ffff"
    assert list(again.table["density_per_km2"]) == sorted(again.table["density_per_km2"], reverse=True)
    # a lower threshold lists real buildings behind the densest real hexagons
    low = plausibility.density_outliers(hz.hexes, hz.point_costs["h3"], d.pop, d.source_id, threshold_per_km2=30_000)
    assert len(low.implausible) >= 3
    assert all(s.startswith("way/") for s in low.implausible["top_source"])


@pytest.mark.shared
@pytest.mark.parametrize("how", ["cap", "exclude"])
def test_siting_weights_keep_outliers_from_steering(hz, how):
    frame = hz.hexes[["h3", "pop", "area_km2", "density_per_km2"]].copy()
    labels = hz.point_costs["h3"].to_numpy()
    worst = int(np.argmax(frame["density_per_km2"]))
    frame.loc[worst, "density_per_km2"] = 250_000.0  # pretend
    w = plausibility.siting_weights(frame, labels, how=how)
    in_worst = labels == frame["h3"].iloc[worst]
    assert in_worst.any() and (w.factor[~in_worst] == 1.0).all()
    assert w.factor[in_worst] == pytest.approx(0.4 if how == "cap" else 0.0)
    assert w.hexes == [frame["h3"].iloc[worst]] and w.note is not None and w.note.code == "siting.density_capped"
    assert plausibility.siting_weights(hz.hexes, labels).note is None
    with pytest.raises(ValueError, match="cap"):
        plausibility.siting_weights(frame, labels, how="drop")


@pytest.mark.shared
def test_beijing_compound_and_campus(beijing_bz2):
    d = population.demand_from_buildings(osm.read_features(beijing_bz2, KEYS, footprint_keys=("building",)), EVERYWHERE, population.EstimateAssumptions())
    assert d is not None
    # 普吉院, Tsinghua faculty housing drawn as one 18,002 m² building=residential outline
    assert (d.source_id == 409368388).sum() > 5
    assert d.pop[d.source_id == 409368388].sum() == pytest.approx(18_002 * 1.5 / 40, rel=1e-3)
    # Tsinghua's faculty buildings (building=yes on amenity=university grounds) are not homes
    assert 451338304 not in set(d.source_id.tolist())


@pytest.mark.shared
def test_polygons_and_footprints_agree_on_compounds(hangzhou_pbf):
    a = population.demand_from_buildings(osm.read_features(hangzhou_pbf, KEYS), EVERYWHERE, population.EstimateAssumptions())
    b = population.demand_from_buildings(osm.read_features(hangzhou_pbf, KEYS, footprint_keys=("building",)), EVERYWHERE, population.EstimateAssumptions())
    assert a is not None and b is not None
    assert len(a) == len(b) and a.total == pytest.approx(b.total, rel=1e-5)
    assert np.array_equal(np.sort(a.source_id), np.sort(b.source_id))


# --------------------------------------------------------------------------- synthetic compounds


def _frame(rows: list[tuple[int, dict[str, str], shapely.Geometry]]) -> osm.FeatureTable:
    return osm.FeatureTable(frame=pd.DataFrame({
        "osm_type": ["way"] * len(rows), "osm_id": [r[0] for r in rows], "tags": [r[1] for r in rows], "geometry": [r[2] for r in rows],
    }))


def _square(lon: float, lat: float, side_m: float) -> shapely.Geometry:
    mx, my = compounds.metres_per_degree(lat)
    dx, dy = side_m / 2 / float(mx), side_m / 2 / float(my)
    return shapely.box(lon - dx, lat - dy, lon + dx, lat + dy)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    side=st.floats(60, 600),
    inner=st.lists(st.tuples(st.floats(-0.35, 0.35), st.floats(-0.35, 0.35), st.floats(10, 40), st.integers(1, 30)), max_size=6),
    outside=st.lists(st.tuples(st.floats(0.7, 2.0), st.floats(10, 40)), max_size=3),
    levels=st.one_of(st.none(), st.integers(1, 40)),
    coverage=st.floats(0.05, 1.0),
)
def test_property_compound_total_is_its_rule_and_spreading_conserves_it(side, inner, outside, levels, coverage):
    lon0, lat0 = 120.15, 30.27
    mx, my = compounds.metres_per_degree(lat0)
    tags = {"building": "residential"} | ({"building:levels": str(levels)} if levels else {})
    rows = [(1, tags, _square(lon0, lat0, side))]
    for k, (fx, fy, s, lv) in enumerate(inner):
        rows.append((100 + k, {"building": "yes", "building:levels": str(lv)}, _square(lon0 + fx * side / float(mx), lat0 + fy * side / float(my), s)))
    for k, (f, s) in enumerate(outside):
        rows.append((200 + k, {"building": "apartments"}, _square(lon0 + f * side / float(mx), lat0, s)))
    a = population.EstimateAssumptions(compound_site_coverage=coverage)
    d = population.demand_from_buildings(_frame(rows), EVERYWHERE, a)
    geoms = np.array([r[2] for r in rows], dtype=object)
    area = footprints.polygon_area_m2(geoms, lat=shapely.get_y(shapely.centroid(geoms)))
    lv = np.array([float(levels or 6)] + [float(x[3]) for x in inner] + [6.0] * len(outside))
    floor = area * lv
    big = area[0] >= compounds.COMPOUND_MIN_M2
    inner_floor = floor[1 : 1 + len(inner)][area[1 : 1 + len(inner)] <= 0.5 * area[0]].sum()
    site = area[0] * min(coverage * (levels or 6), compounds.MAX_PLOT_RATIO)
    expected = (floor[1:].sum() + (max(site - inner_floor, 0) if big else floor[0])) / a.floor_area_per_person_m2
    assert d is not None
    assert d.total == pytest.approx(expected, rel=1e-6, abs=1e-6)
    # every building keeps its own people; the compound's are spread, never counted twice
    for k in range(1, len(rows)):
        assert d.pop[d.source_id == rows[k][0]].sum() == pytest.approx(floor[k] / a.floor_area_per_person_m2, rel=1e-9)
    if big and site > inner_floor:  # spread over a disc of the outline's area around its centroid (points 50 m apart)
        mine = d.source_id == 1
        assert mine.sum() >= min(20, int(area[0] / 5000))
        r = np.hypot((d.lon[mine] - lon0) * mx, (d.lat[mine] - lat0) * my)
        assert r.max() <= np.sqrt(area[0] / np.pi) * 1.01
    # scaling to a total keeps the shares
    scaled = population.demand_from_buildings(_frame(rows), EVERYWHERE, population.EstimateAssumptions(compound_site_coverage=coverage, total=1000.0))
    assert scaled is not None and scaled.total == pytest.approx(1000.0)
    np.testing.assert_allclose(scaled.pop * d.total / 1000.0, d.pop, rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    sites=st.lists(
        st.tuples(st.floats(-1.0, 1.0), st.floats(-1.0, 1.0), st.floats(500, 2_000_000), st.floats(0.01, 1e5), st.booleans()), min_size=1, max_size=8,
    ),
    box=st.floats(0.001, 0.05),
)
def test_property_spreading_conserves_each_sites_people(sites, box):
    lon = np.array([120 + s[0] * 0.01 for s in sites])
    lat = np.array([30 + s[1] * 0.01 for s in sites])
    area_m2 = np.array([s[2] for s in sites])
    people = np.array([s[3] for s in sites])
    outline = compounds._discs(lon, lat, area_m2)
    thin = np.array([s[4] for s in sites])
    # some sites are thin strips (no lattice point may fall inside)
    mx, my = compounds.metres_per_degree(lat)
    half = np.minimum(area_m2 / 12, 1000.0)
    strips = shapely.box(lon - 3 / mx, lat - half / my, lon + 3 / mx, lat + half / my)
    outline = np.where(thin, strips, outline)
    x, y, pop, site = compounds.spread_over_sites(outline, people)
    np.testing.assert_allclose(np.bincount(site, weights=pop, minlength=len(sites)), people, rtol=1e-9)
    assert (np.bincount(site, minlength=len(sites))[~thin] <= 1.5 * compounds.SPREAD_MAX_POINTS).all()
    assert shapely.contains_xy(shapely.buffer(outline[site], 1e-9), x, y).all()
    # inside a study area only the points inside count: never more than the sites hold
    study = shapely.box(120 - box, 30 - box, 120 + box, 30 + box)
    x2, y2, pop2, _ = compounds.spread_over_sites(outline, people, study)
    assert shapely.contains_xy(study, x2, y2).all()
    assert pop2.sum() <= people.sum() * (1 + 1e-9)
    inside_all = shapely.contains_xy(study, x, y)
    assert pop2.sum() == pytest.approx(pop[inside_all].sum(), rel=1e-9, abs=1e-9)


def test_landuse_area_drawn_as_a_building_is_a_compound():
    lon0, lat0 = 120.15, 30.27
    lu = _square(lon0, lat0, 80)  # 6,400 m²: below 1 ha, but the same area as the landuse=residential polygon
    rows = [
        (1, {"landuse": "residential", "name": "某小区"}, lu),
        (2, {"building": "residential"}, _square(lon0 + 1e-6, lat0, 79)),
        (3, {"building": "yes", "building:levels": "18"}, _square(lon0 + 0.0002, lat0, 20)),
    ]
    d = population.demand_from_buildings(_frame(rows), EVERYWHERE, population.EstimateAssumptions())
    assert d is not None
    site = footprints.polygon_area_m2(np.array([lu]))[0] * 1.5
    inner = footprints.polygon_area_m2(np.array([rows[2][2]]))[0] * 18
    assert d.pop[d.source_id == 2].sum() == pytest.approx(max(site - inner, 0) / 40, rel=1e-6)
    assert d.pop[d.source_id == 3].sum() == pytest.approx(inner / 40, rel=1e-9)
    assert "landuse=residential" in d.flags[0].message


def test_duplicate_outline_is_not_inside_itself():
    # two identical 1.2 ha outlines: neither holds the other (each is counted as a compound)
    sq = _square(120.15, 30.27, 110)
    d = population.demand_from_buildings(_frame([(1, {"building": "residential"}, sq), (2, {"building": "residential"}, sq)]), EVERYWHERE, population.EstimateAssumptions())
    assert d is not None
    a = footprints.polygon_area_m2(np.array([sq]))[0]
    assert d.pop[d.source_id == 1].sum() == pytest.approx(a * 1.5 / 40, rel=1e-6) == d.pop[d.source_id == 2].sum()


def test_site_coverage_is_checked():
    with pytest.raises(errors.InputError, match="compound_site_coverage"):
        population.EstimateAssumptions(compound_site_coverage=0.0)
    assert population.EstimateAssumptions().compound_site_coverage == compounds.DEFAULT_SITE_COVERAGE
    assert list(compounds.plot_ratio([1, 6, 12, 40])) == [0.25, 1.5, 3.0, 3.0]


# --------------------------------------------------------------------------- the street fallback


def test_street_fallback_is_marked():
    # a residential street of ~963 m along 30 N
    net = network.graph_from_arrays([120.0, 120.01], [30.0, 30.0], [0], [1])
    net.edges["highway"] = "residential"
    area = shapely.box(119.99, 29.99, 120.02, 30.01)
    d = population.demand_from_streets(net, area, population.EstimateAssumptions())
    assert population.EstimateAssumptions().street_people_per_km == plausibility.STREET_PEOPLE_PER_KM == 8000
    assert d.total == pytest.approx(net.edges["length_m"].iloc[0] / 1000 * 8000, rel=5e-3)
    assert d.is_estimate and d.quality == "street_fallback" and d.source_id is None
    assert "street length (±50%)" in d.source
    assert any("estimated from street length (±50%)" in n.lower() for n in d.notes)
    (flag,) = d.flags
    assert flag.code == "population.street_fallback" and flag.severity == "warning" and flag.context["uncertainty"] == 0.5
    lo, hi = plausibility.STREET_PEOPLE_PER_KM_RANGE
    assert lo < 8000 < hi and all(lo <= c[1] <= hi for c in plausibility.STREET_CALIBRATION)
    # no residential street: every walkable street at a quarter of the rate, marked rougher
    net.edges["highway"] = "primary"
    rough = population.demand_from_streets(net, area, population.EstimateAssumptions())
    assert rough.total == pytest.approx(d.total * plausibility.ALL_STREETS_SHARE, rel=1e-9)
    assert "factor of 5" in rough.source and rough.flags[0].context["all_streets"] is True
    # concat keeps the least certain quality and the ids
    b = population.Demand(np.array([1.0]), np.array([2.0]), np.array([3.0]), np.array([0.5]), "b", "b", True, [], np.array([7]), "estimate")
    c = population.Demand.concat([b, d], source="s", older_source="o", is_estimate=True)
    assert c.quality == "street_fallback" and c.source_id is not None and list(c.source_id[:2]) == [7, 0] and c.flags == d.flags


def test_osm_refs():
    assert list(plausibility.osm_ref([162514248, -45, 0])) == ["way/162514248", "relation/45", ""]


@settings(max_examples=60, deadline=None)
@given(
    boxes=st.lists(st.tuples(st.floats(0, 0.2), st.floats(0, 0.2), st.floats(1e-5, 0.05), st.floats(1e-5, 0.05)), min_size=1, max_size=20),
    seed=st.integers(0, 2**31),
)
def test_property_near_any_keeps_every_point_inside(boxes, seed):
    rng = np.random.default_rng(seed)
    x, y = 120 + rng.uniform(-0.01, 0.26, 500), 30 + rng.uniform(-0.01, 0.26, 500)
    geoms = np.array([shapely.box(120 + a, 30 + b, 120 + a + w, 30 + b + h) for a, b, w, h in boxes])
    inside = shapely.contains_xy(shapely.union_all(geoms), x, y)
    near = compounds.near_any(x, y, geoms)
    assert not (inside & ~near).any()
    assert not compounds.near_any(x, y, np.array([], dtype=object)).any()
