"""The share of an area the data covers (accessibility.stages.coverage): properties on random data, and the measured shares of real extracts."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accessibility.network import graph
from accessibility.readers import areas, extract, rasters, zones
from accessibility.stages import coverage

DATAV = "zhejiang_admin_boundaries_datav/330100_full.json"
HZ_DISTRICTS_TOUCHED = {"上城区", "下城区", "江干区", "拱墅区", "西湖区"}
M_PER_DEG = 6_371_008.8 * math.pi / 180
TOL = 1e-9

# --------------------------------------------------------------------------- random data near West Lake

lon_ = st.floats(120.10, 120.20, allow_nan=False)
lat_ = st.floats(30.20, 30.30, allow_nan=False)
lines_ = st.lists(st.lists(st.tuples(lon_, lat_), min_size=2, max_size=4), min_size=1, max_size=6).map(lambda ls: [shapely.LineString(c) for c in ls])


@st.composite
def boxes(draw: st.DrawFn, lo: float = 0.002) -> shapely.Polygon:
    """A box around West Lake, from a few hundred metres to ~20 km across."""
    x0, y0 = draw(st.floats(120.05, 120.22)), draw(st.floats(30.15, 30.32))
    return shapely.box(x0, y0, x0 + draw(st.floats(lo, 0.2)), y0 + draw(st.floats(lo, 0.2)))


areas_ = st.one_of(boxes(), st.lists(st.tuples(st.floats(120.05, 120.25), st.floats(30.15, 30.35)), min_size=3, max_size=8).map(
    lambda pts: shapely.convex_hull(shapely.multipoints(pts))).filter(lambda g: shapely.area(g) > 1e-6))
PROPS = settings(max_examples=30, deadline=None, database=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def share(extent: coverage.DataExtent, area: shapely.Geometry) -> float:
    return coverage.area_coverage(extent, area).share


@PROPS
@given(lines=lines_, area=areas_, bounds=st.one_of(st.none(), boxes()), pop=st.one_of(st.none(), boxes()))
def test_share_never_exceeds_one(lines, area, bounds, pop):
    extent = coverage.data_extent(lines, osm_bounds=bounds, population=pop)
    c = coverage.area_coverage(extent, area, people=(np.array([120.15]), np.array([30.25]), np.array([3.0])))
    assert 0.0 <= c.share <= 1.0 and 0.0 <= c.covered_km2 <= c.area_km2
    assert all(0.0 <= s <= 1.0 for _, s in c.limits) and c.people_share is not None and 0.0 <= c.people_share <= 1.0
    assert c.share <= min(s for _, s in c.limits) + TOL  # the intersection covers no more than any footprint alone


@PROPS
@given(lines=lines_, more=lines_, area=areas_, bounds=st.one_of(st.none(), boxes()))
def test_share_never_falls_when_the_streets_grow(lines, more, area, bounds):
    small = coverage.data_extent(lines, osm_bounds=bounds)
    large = coverage.data_extent(lines + more, osm_bounds=bounds)
    assert share(large, area) >= share(small, area) - TOL
    lon, lat = np.linspace(120.05, 120.25, 41), np.linspace(30.15, 30.35, 41)
    assert not (small.contains(lon, lat) & ~large.contains(lon, lat)).any()  # a point inside stays inside


@PROPS
@given(lines=lines_, area=areas_, pop=boxes(), grow=st.floats(0.0, 0.05))
def test_share_never_falls_when_the_population_footprint_grows(lines, area, pop, grow):
    small = coverage.data_extent(lines, population=pop)
    large = coverage.data_extent(lines, population=shapely.box(*np.add(pop.bounds, [-grow, -grow, grow, grow])))
    assert share(large, area) >= share(small, area) - TOL


@PROPS
@given(lines=lines_, area=areas_, margin=st.floats(0.0, 0.02), cut=boxes())
def test_shrinking_an_area_to_the_data_can_only_raise_its_share(lines, area, margin, cut):
    extent = coverage.data_extent(lines)
    keep = shapely.union(shapely.buffer(extent.covered, margin), cut)  # anything holding the whole extent
    smaller = shapely.intersection(area, keep)
    if shapely.area(smaller) < 1e-9:
        return
    before, after = coverage.area_coverage(extent, area), coverage.area_coverage(extent, smaller)
    assert after.share >= before.share - TOL
    assert after.covered_km2 == pytest.approx(before.covered_km2, rel=1e-6, abs=1e-9)


def metres(geoms, lat0: float = 30.25):
    """Local metres around West Lake (equirectangular: well within 0.1% over ~20 km)."""
    k = M_PER_DEG * math.cos(math.radians(lat0))
    return shapely.transform(geoms, lambda xy: np.column_stack([(xy[:, 0] - 120.0) * k, (xy[:, 1] - lat0) * M_PER_DEG]))


@PROPS
@given(lines=lines_, lon=st.lists(lon_, min_size=20, max_size=20), lat=st.lists(lat_, min_size=20, max_size=20))
def test_every_place_within_reach_of_a_street_is_covered_and_none_far_beyond(lines, lon, lat):
    extent = coverage.data_extent(lines)
    lon, lat = np.asarray(lon), np.asarray(lat)
    pts = metres(shapely.points(lon, lat))
    near = shapely.distance(pts[:, None], metres(np.asarray(lines))[None, :]).min(axis=1) <= 0.97 * coverage.REACH_M  # 3%: sampling along segments
    hull = shapely.convex_hull(shapely.multipoints(shapely.get_coordinates(lines)))
    far = shapely.distance(pts, metres(hull)) >= coverage.REACH_M + 250  # nor in a filled hole
    inside = extent.contains(lon, lat)
    assert inside[near].all() and not inside[far].any()


# --------------------------------------------------------------------------- what "covered" means


def test_the_extent_holds_every_place_within_reach_of_a_street_and_nothing_far():
    street = shapely.LineString([(120.10, 30.25), (120.20, 30.25)])  # ~9.6 km east-west, two vertices only
    extent = coverage.data_extent([street])
    dlat = np.array([0.0, 0.95, -0.95, 1.9, -1.9]) * coverage.REACH_M / M_PER_DEG
    inside = extent.contains(np.full(5, 120.15), 30.25 + dlat)  # mid-segment: densified
    assert inside.tolist() == [True, True, True, False, False]
    assert shapely.contains_xy(extent.streets, 120.15, 30.25 + dlat).tolist() == [True, True, True, False, False]
    width_m = coverage.area_coverage(extent, shapely.box(120.14, 30.2, 120.16, 30.3)).covered_km2 * 1e6 / (0.02 * M_PER_DEG * math.cos(math.radians(30.25)))
    assert 2 * coverage.REACH_M <= width_m <= 2 * coverage.REACH_M + 4 * 93  # 300 m each side, give or take the pixels


def test_a_lake_ringed_by_streets_is_covered_and_the_land_beyond_is_not():
    ring = shapely.box(120.10, 30.20, 120.14, 30.24).exterior  # ~3.8 x 4.4 km
    extent = coverage.data_extent([ring])
    lake = shapely.box(120.11, 30.21, 120.13, 30.23)
    assert share(extent, lake) == pytest.approx(1.0)
    assert share(extent, shapely.box(120.16, 30.20, 120.20, 30.24)) == 0.0
    assert coverage.area_coverage(extent, shapely.box(120.16, 30.20, 120.20, 30.24)).touched is False


def test_osm_bounds_and_the_population_footprint_cut_the_extent():
    streets = [shapely.LineString([(x, 30.20), (x, 30.30)]) for x in np.arange(120.10, 120.201, 0.004)]
    area = shapely.box(120.10, 30.20, 120.20, 30.30)
    extent = coverage.data_extent(streets, osm_bounds=shapely.box(120.10, 30.20, 120.15, 30.30), population=shapely.box(120.10, 30.20, 120.20, 30.25))
    c = coverage.area_coverage(extent, area)
    assert c.share == pytest.approx(0.25, abs=0.01)
    assert dict(c.limits)["streets"] > 0.99 and c.limited_by == ("osm_bounds", "population")
    en, zh = c.message()
    assert "25.0% of the study area" in en and "the OSM file's bounds" in en and "研究区域" in zh and "OSM文件范围" in zh
    # people: half of those read live inside the OSM bounds, on a footprint holding half the area
    lon, lat = np.array([120.12, 120.13, 120.17, 120.18]), np.full(4, 30.22)
    c = coverage.area_coverage(extent, area, people=(lon, lat, np.ones(4)))
    assert c.people_share == pytest.approx(0.5 * 0.5, abs=0.01) and c.decisive_share == c.people_share
    assert not c.is_complete()


def test_a_province_sized_network_coarsens_the_grid_and_still_measures():
    streets = [shapely.LineString([(115.0, 25.0), (125.0, 35.0)]), shapely.LineString([(115.0, 35.0), (125.0, 25.0)])]
    extent = coverage.data_extent(streets)
    assert extent._grid is not None and extent._grid.mask.size <= coverage.MAX_PIXELS
    assert extent.contains(np.array([120.0, 118.0]), np.array([30.0, 30.0])).tolist() == [True, False]


def test_no_streets_cover_nothing():
    extent = coverage.data_extent([shapely.LineString(), None])
    c = coverage.area_coverage(extent, shapely.box(120, 30, 121, 31))
    assert c.share == 0.0 and not c.touched and coverage.scope(c.share) == "outside"
    assert not extent.contains(np.array([120.5]), np.array([30.5])).any()


def test_thresholds():
    assert coverage.COMPLETE_SHARE == 0.95
    assert coverage.is_complete(0.95) and not coverage.is_complete(0.949) and coverage.is_complete(None)
    assert coverage.is_complete(0.8, threshold=0.8) and not coverage.is_complete(0.79, threshold=0.8)
    assert [coverage.scope(s) for s in (1.0, 0.5, 0.0)] == ["complete", "partial", "outside"]
    for bad in (0.0, 1.5, float("nan")):
        with pytest.raises(ValueError, match="threshold"):
            coverage.is_complete(0.5, threshold=bad)
    with pytest.raises(ValueError, match="reach_m"):
        coverage.data_extent([], reach_m=0)


def test_district_table_is_one_row_per_district_in_order():
    streets = [shapely.LineString([(x, 30.20), (x, 30.30)]) for x in np.arange(120.10, 120.151, 0.004)]
    districts = gpd.GeoDataFrame(
        {"district_id": ["a", "b", "c"], "district_name": ["西", "中", "东"]},
        geometry=[shapely.box(120.10, 30.2, 120.14, 30.3), shapely.box(120.14, 30.2, 120.18, 30.3), shapely.box(120.30, 30.2, 120.34, 30.3)],
        crs="EPSG:4326",
    )
    extent = coverage.data_extent(streets)
    lon, lat = np.array([120.12, 120.15, 120.17, 120.31]), np.full(4, 30.25)
    table = coverage.district_coverage(extent, districts, people=(lon, lat, np.ones(4)))
    assert table["district_id"].tolist() == ["a", "b", "c"]
    assert table["touched"].tolist() == [True, True, False] and table["complete"].tolist() == [True, False, False]
    assert table["share"].iloc[0] == pytest.approx(1.0) and 0.2 < table["share"].iloc[1] < 0.5 and table["share"].iloc[2] == 0.0
    assert table["people_share"].tolist() == pytest.approx([1.0, 0.5, 0.0])
    assert (table["covered_km2"] <= table["area_km2"]).all()
    assert table["limited_by"].tolist() == ["", "streets", "streets"]
    lenient = coverage.district_coverage(extent, districts, threshold=0.2)
    assert lenient["complete"].tolist() == [True, True, False]


# --------------------------------------------------------------------------- footprints of real files


@pytest.mark.shared
def test_osm_bounds_from_headers(hangzhou_pbf: Path, hangzhou_bz2: Path, small_data: Path, tmp_path: Path):
    for path in (hangzhou_pbf, hangzhou_bz2):  # PBF header bbox, XML <bounds>
        box = extract.osm_bounds(path)
        assert box is not None and box.bounds == pytest.approx((120.1, 30.23, 120.1851, 30.2963), abs=1e-6)
    assert extract.osm_bounds(small_data / "hangzhou_hubin.osm.pbf") is None  # the clip declares none
    bad = tmp_path / "x.osm.pbf"
    bad.write_bytes(b"<html>not found</html>")
    assert extract.osm_bounds(bad) is None


@pytest.mark.shared
def test_raster_footprints(small_data: Path, wuhan_f: Path):
    assert rasters.raster_footprint(wuhan_f).bounds == pytest.approx((113.6921, 29.9721, 115.0771, 31.3621), abs=1e-3)
    hubin = rasters.raster_footprint(small_data / "hangzhou_hubin_pop_3arcsec.tif")
    assert hubin.contains(shapely.box(120.152, 30.253, 120.175, 30.278))  # the clip's box


# --------------------------------------------------------------------------- the measured cases (module docstring)


@pytest.fixture(scope="module")
def hz_extent(hangzhou_walk, hangzhou_pbf: Path) -> coverage.DataExtent:
    return coverage.data_extent(hangzhou_walk, osm_bounds=extract.osm_bounds(hangzhou_pbf))


@pytest.fixture(scope="module")
def hz_districts(shared_data: Path) -> gpd.GeoDataFrame:
    frame, _ = zones.districts_from_file(shared_data / DATAV, crs="gcj02")
    return frame


@pytest.mark.shared
def test_a_district_the_extract_cuts_in_a_corner_is_mostly_not_covered(hz_extent, shared_data: Path):
    frame, _ = areas.polygons_from_file(shared_data / DATAV, crs="gcj02", what="boundary")
    xihu = shapely.union_all(frame.geometry.to_numpy()[frame["name"].to_numpy() == "西湖区"])
    c = coverage.area_coverage(hz_extent, xihu, name="西湖区")
    assert c.area_km2 == pytest.approx(311.4, abs=1.0)
    assert 0.08 < c.share < 0.14 and c.touched and not c.is_complete() and coverage.scope(c.share) == "partial"
    assert set(c.limited_by) == {"osm_bounds", "streets"}


@pytest.mark.shared
def test_the_networks_own_hull_is_complete(hz_extent, hangzhou_walk):
    hull = areas.default_study_area(hangzhou_walk.nodes["lon"].to_numpy(), hangzhou_walk.nodes["lat"].to_numpy())
    c = coverage.area_coverage(hz_extent, hull)
    assert c.share >= coverage.COMPLETE_SHARE and c.is_complete() and c.area_km2 == pytest.approx(58.5, abs=0.5)


@pytest.mark.shared
def test_every_hangzhou_district(hz_extent, hz_districts):
    table = coverage.district_coverage(hz_extent, hz_districts).set_index("district_name")
    assert set(table.index[table["touched"]]) == HZ_DISTRICTS_TOUCHED
    assert not table["complete"].any()
    assert 0.3 < table.loc["上城区", "share"] < 0.5 and 0.3 < table.loc["下城区", "share"] < 0.5
    assert table.loc["江干区", "share"] < 0.02 and table.loc["拱墅区", "share"] < 0.08
    assert (table.loc[~table["touched"], "share"] == 0).all() and (table["share"] <= 1).all()


def test_the_hubin_clip_with_its_default_study_area(small_data: Path):
    net = graph.graph_from_file(small_data / "hangzhou_hubin.osm.pbf", mode="walk")
    hull = areas.default_study_area(net.nodes["lon"].to_numpy(), net.nodes["lat"].to_numpy())
    plain = coverage.area_coverage(coverage.data_extent(net), hull)
    # its long roads, kept whole, stretch the hull over the lake and land the clip does not map
    assert 0.7 < plain.share < 0.9 and plain.limited_by == ("streets",) and not plain.is_complete()
    assert coverage.area_coverage(coverage.data_extent(net), shapely.box(120.152, 30.253, 120.175, 30.278)).share == pytest.approx(1.0)
    # with the raster, the verdict rests on the people, who all live along the clip's streets
    raster = small_data / "hangzhou_hubin_pop_3arcsec.tif"
    lon, lat, people, _ = rasters.raster_points(raster, hull)
    with_raster = coverage.area_coverage(coverage.data_extent(net, population=rasters.raster_footprint(raster)), hull, people=(lon, lat, people))
    assert with_raster.share == pytest.approx(plain.share) and with_raster.people_share == pytest.approx(1.0) and with_raster.is_complete()


def test_an_extract_declares_its_box_within_the_sources_bounds(hangzhou_pbf: Path, tmp_path: Path):
    cut = tmp_path / "cut.osm.pbf"
    extract.extract_bbox(hangzhou_pbf, (120.12, 30.24, 120.5, 30.27), cut)  # east beyond the source's own bounds
    assert extract.osm_bounds(cut).bounds == pytest.approx((120.12, 30.24, 120.1851, 30.27), abs=1e-6)
