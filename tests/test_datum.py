"""A wrongly declared datum (WGS-84 / GCJ-02 / BD-09) is detected against the streets, on real data."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from accessibility import errors
from accessibility.coords import chinacoords as cc
from accessibility.network import snapping
from accessibility.readers import areas, osm
from accessibility.stages import datum, facilities

pytestmark = pytest.mark.shared

XIAN_MEDICAL = "xian_baidu_poi_2017/xianPOI_36/poi_10_medicalTreatment.json.gz"
XIAN_ROADS = "xian_osm_roads_2017_geofabrik/rode_project.zip"
DATAV_HANGZHOU = "zhejiang_admin_boundaries_datav/330100_full.json"
RAW = {"wgs84": lambda lo, la: (np.asarray(lo, float), np.asarray(la, float)), "gcj02": cc.wgs84_to_gcj02, "bd09": cc.wgs84_to_bd09}


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} missing")  # pragma: no cover - conftest's shared_data fails in CI first
    return path


def as_declared(raw_lon: np.ndarray, raw_lat: np.ndarray, declared: str) -> tuple[np.ndarray, np.ndarray]:
    """What the pipeline hands over: the raw coordinates converted from the declared system."""
    return areas.lonlat_to_wgs84(raw_lon, raw_lat, areas.parse_crs(declared))


def shift_geoms(geoms: np.ndarray, fn) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: np.column_stack(fn(xy[:, 0], xy[:, 1])))


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def hz_index(hangzhou_walk) -> snapping.EdgeIndex:
    return snapping.EdgeIndex(hangzhou_walk)


@pytest.fixture(scope="module")
def hz_amenities(hangzhou_pbf) -> tuple[np.ndarray, np.ndarray]:
    """OSM amenity nodes of the Hangzhou extract (WGS-84; 289 nodes)."""
    geoms = osm.read_features(hangzhou_pbf, ("amenity",)).frame.geometry.to_numpy()
    pts = geoms[shapely.get_type_id(geoms) == shapely.GeometryType.POINT]
    return shapely.get_x(pts), shapely.get_y(pts)


@pytest.fixture(scope="module")
def xian_streets(shared_data) -> datum.StreetIndex:
    roads, _ = areas.read_vector(_need(shared_data / XIAN_ROADS), encoding="gbk")
    assert roads.crs.to_epsg() == 32649
    return datum.street_index(roads.to_crs("EPSG:4326"))


@pytest.fixture(scope="module")
def xian_bd09(shared_data) -> tuple[np.ndarray, np.ndarray]:
    """Raw Baidu coordinates (BD-09) of 4,097 Xi'an medical POIs."""
    with gzip.open(_need(shared_data / XIAN_MEDICAL), "rt", encoding="utf-8") as fh:
        records = json.load(fh)
    return np.array([r["location"]["lng"] for r in records]), np.array([r["location"]["lat"] for r in records])


@pytest.fixture(scope="module")
def datav_gcj02(shared_data) -> np.ndarray:
    """Hangzhou's 13 DataV district polygons, raw (GCJ-02)."""
    import geopandas as gpd

    return gpd.read_file(_need(shared_data / DATAV_HANGZHOU)).geometry.to_numpy()


# --------------------------------------------------------------------------- (a) Xi'an Baidu POIs


def test_xian_baidu_pois_declared_bd09_not_flagged(xian_bd09, xian_streets):
    assert datum.suspect_datum(*as_declared(*xian_bd09, "bd09"), declared="bd09", streets=xian_streets) is None


@pytest.mark.parametrize("declared", ["gcj02", "wgs84"])
def test_xian_baidu_pois_misdeclared_look_like_bd09(xian_bd09, xian_streets, declared):
    found = datum.suspect_datum(
        *as_declared(*xian_bd09, declared), declared=declared, streets=xian_streets,
        what="facilities", what_zh="设施", source="poi_10_medicalTreatment.json", option="--facilities-crs",
    )
    assert found is not None
    assert (found.declared, found.likely) == (declared, "bd09")
    assert found.n_points == datum.MAX_SAMPLE  # 4,097 POIs, a sample judged
    assert found.median_m_likely < 30 and found.median_m_declared > 55  # measured 23 vs 63-74 m
    assert found.ratio < 0.6 and found.p_value < 1e-20
    assert found.message.startswith("poi_10_medicalTreatment.json: the facilities look like BD-09, not ")
    assert found.message.endswith("declare the coordinate system with --facilities-crs bd09")
    assert f"{found.median_m_likely:.0f} m if read as BD-09" in found.message
    assert found.message_zh.startswith("poi_10_medicalTreatment.json：设施看起来是BD-09")
    assert "请用 --facilities-crs bd09 声明坐标系" in found.message_zh


def test_sample_is_deterministic(xian_bd09, xian_streets):
    lon, lat = as_declared(*xian_bd09, "wgs84")
    assert datum.suspect_datum(lon, lat, declared="wgs84", streets=xian_streets) == datum.suspect_datum(
        lon, lat, declared="wgs84", streets=xian_streets
    )


# --------------------------------------------------------------------------- (b) Hangzhou OSM facilities


def test_hangzhou_amenities_declared_right_not_flagged(hz_amenities, hz_index):
    assert datum.suspect_datum(*hz_amenities, declared="wgs84", streets=hz_index) is None
    assert datum.suspect_datum(*hz_amenities, declared="EPSG:4326", streets=hz_index) is None


@pytest.mark.parametrize("streets", ["edge_index", "lines"])
def test_hangzhou_amenities_in_gcj02_declared_wgs84_look_like_gcj02(hz_amenities, hz_index, hangzhou_walk, streets):
    raw = cc.wgs84_to_gcj02(*hz_amenities)
    index = hz_index if streets == "edge_index" else hangzhou_walk.edges.geometry
    found = datum.suspect_datum(*as_declared(*raw, "wgs84"), declared="wgs84", streets=index)
    assert found is not None and (found.declared, found.likely) == ("wgs84", "gcj02")
    assert found.median_m_likely < 20 and found.median_m_declared > 30  # measured 14 vs 34 m
    assert found.message.startswith("The points look like GCJ-02, not WGS-84 as declared: median ")
    assert found.message.endswith("declare the coordinate system as gcj02")
    assert found.message_zh.startswith("坐标看起来是GCJ-02，而非声明的WGS-84")


@pytest.mark.parametrize(("truth", "declared"), [("wgs84", "gcj02"), ("wgs84", "bd09"), ("bd09", "gcj02"), ("gcj02", "bd09")])
def test_hangzhou_amenities_other_misdeclarations(hz_amenities, hz_index, truth, declared):
    raw = RAW[truth](*hz_amenities)
    found = datum.suspect_datum(*as_declared(*raw, declared), declared=declared, streets=hz_index)
    assert found is not None and (found.declared, found.likely) == (declared, truth)


def test_hangzhou_osm_facility_layer_not_flagged(hangzhou_pbf, hz_index):
    """The shipped OSM facility layer: right as it is; its park/pitch outlines carry too little signal to flag."""
    geoms = facilities.layer_from_osm(hangzhou_pbf).geometry.to_numpy()
    points = geoms[shapely.get_type_id(geoms) == shapely.GeometryType.POINT]
    polygons = geoms[shapely.get_type_id(geoms) >= shapely.GeometryType.POLYGON]
    assert datum.suspect_datum(shapely.get_x(points), shapely.get_y(points), declared="wgs84", streets=hz_index) is None
    assert datum.suspect_datum_of_polygons(polygons, declared="wgs84", streets=hz_index) is None
    shifted = shift_geoms(polygons, cc.wgs84_to_gcj02)
    assert datum.suspect_datum_of_polygons(shifted, declared="wgs84", streets=hz_index) is None  # 35 vs 31 m


# --------------------------------------------------------------------------- (c) no signal


@pytest.mark.parametrize("declared", ["wgs84", "gcj02", "bd09"])
@pytest.mark.parametrize("seed", [0, 1])
def test_uniform_random_points_not_flagged(hangzhou_walk, hz_index, declared, seed):
    x0, y0, x1, y1 = hangzhou_walk.edges.total_bounds
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(x0, x1, 500), rng.uniform(y0, y1, 500)
    assert datum.suspect_datum(lon, lat, declared=declared, streets=hz_index) is None


def test_xian_random_points_not_flagged(xian_streets):
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(108.85, 109.05, 1000), rng.uniform(34.18, 34.34, 1000)
    for declared in ("wgs84", "gcj02", "bd09"):
        assert datum.suspect_datum(lon, lat, declared=declared, streets=xian_streets) is None


# --------------------------------------------------------------------------- (d) cannot judge


def test_too_few_points_are_not_judged(hz_amenities, hz_index):
    lon, lat = cc.wgs84_to_gcj02(*hz_amenities)  # clearly misdeclared as wgs84 when there are enough
    assert datum.suspect_datum(lon, lat, declared="wgs84", streets=hz_index) is not None
    for n in (0, 1, 4, datum.MIN_POINTS - 1):
        assert datum.suspect_datum(lon[:n], lat[:n], declared="wgs84", streets=hz_index) is None


def test_points_outside_mainland_china_are_not_judged(hz_amenities, hz_index, hangzhou_walk):
    lon, lat = cc.wgs84_to_gcj02(*hz_amenities)
    # one point in Hong Kong: the offsets do not apply there, so nothing is judged
    assert datum.suspect_datum(np.r_[lon, 114.17], np.r_[lat, 22.30], declared="wgs84", streets=hz_index) is None
    paris_lon, paris_lat = np.linspace(2.30, 2.40, 50), np.linspace(48.82, 48.88, 50)
    assert datum.suspect_datum(paris_lon, paris_lat, declared="wgs84", streets=hangzhou_walk.edges.geometry) is None


def test_points_off_the_network_are_not_judged(hz_index):
    """Points in China but outside the streets' extent (Xi'an against Hangzhou streets)."""
    lon, lat = np.linspace(108.90, 109.00, 50), np.linspace(34.20, 34.30, 50)
    assert datum.suspect_datum(lon, lat, declared="wgs84", streets=hz_index) is None


def test_projected_declaration_is_not_judged(hz_amenities, hz_index):
    assert datum.suspect_datum(*hz_amenities, declared="EPSG:32651", streets=hz_index) is None


def test_bad_input_is_refused(hz_amenities, hz_index):
    with pytest.raises(errors.InputError):
        datum.suspect_datum(*hz_amenities, declared="not-a-crs", streets=hz_index)
    with pytest.raises(errors.InputError):
        datum.suspect_datum(*hz_amenities, declared="wgs84", streets=np.array([], dtype=object))
    with pytest.raises(errors.InputError):
        datum.suspect_datum([120.1, 120.2], [30.2], declared="wgs84", streets=hz_index)


def test_street_index_is_built_once_per_edge_index(hz_index):
    assert datum.street_index(hz_index) is datum.street_index(hz_index)
    assert datum.street_index(datum.street_index(hz_index)) is datum.street_index(hz_index)


def test_an_edge_index_a_check_used_is_let_go(hangzhou_walk):
    """The wrapper kept per edge index does not keep the index (660 MB at 1M nodes) alive for the process's life."""
    import gc
    import weakref

    from accessibility.network import snapping

    index = snapping.EdgeIndex(hangzhou_walk)
    wrapper = datum.street_index(index)
    lon, lat = hangzhou_walk.nodes["lon"].to_numpy()[:3], hangzhou_walk.nodes["lat"].to_numpy()[:3]
    np.testing.assert_array_equal(wrapper.distance_m(lon, lat), index.snap_points(lon, lat).snap_dist_m)
    gone = weakref.ref(index)
    del index
    gc.collect()
    assert gone() is None
    with pytest.raises(RuntimeError, match="gone"):
        wrapper.distance_m(lon, lat)


# --------------------------------------------------------------------------- polygons: DataV districts


def test_datav_districts_declared_gcj02_not_flagged(datav_gcj02, hz_index):
    wgs = areas.geometries_to_wgs84(datav_gcj02, areas.parse_crs("gcj02"))
    assert datum.suspect_datum_of_polygons(wgs, declared="gcj02", streets=hz_index) is None


@pytest.mark.parametrize("declared", ["wgs84", "bd09"])
def test_datav_districts_misdeclared_look_like_gcj02(datav_gcj02, hz_index, declared):
    wgs = areas.geometries_to_wgs84(datav_gcj02, areas.parse_crs(declared))
    found = datum.suspect_datum_of_polygons(
        wgs, declared=declared, streets=hz_index, what="districts", what_zh="行政区", source="330100_full.json",
        option="--districts-crs",
    )
    assert found is not None and (found.declared, found.likely) == (declared, "gcj02")
    # converted, the boundaries inside the extract run along the streets (measured median 7 m at 113 points)
    assert found.median_m_likely < 10 and found.median_m_declared > 20 and found.n_points > 80
    assert "boundary points compared" in found.message and found.message.endswith("--districts-crs gcj02")
    assert found.message_zh.startswith("330100_full.json：行政区看起来是GCJ-02")


def test_datav_districts_in_bd09_look_like_bd09(datav_gcj02, hz_index):
    raw = shift_geoms(datav_gcj02, cc.gcj02_to_bd09)
    wgs = areas.geometries_to_wgs84(raw, areas.parse_crs("gcj02"))
    found = datum.suspect_datum_of_polygons(wgs, declared="gcj02", streets=hz_index)
    assert found is not None and found.likely == "bd09"


@pytest.mark.parametrize(("dx", "dy"), [(0.012, 0.0), (-0.008, 0.015), (0.02, -0.02)])
def test_districts_not_on_streets_are_not_flagged(datav_gcj02, hz_index, dx, dy):
    """Boundaries moved 1-3 km follow no street: no reading is good enough to claim a datum."""
    moved = shapely.transform(datav_gcj02, lambda xy: xy + np.array([dx, dy]))
    for declared in ("wgs84", "gcj02", "bd09"):
        wgs = areas.geometries_to_wgs84(moved, areas.parse_crs(declared))
        assert datum.suspect_datum_of_polygons(wgs, declared=declared, streets=hz_index) is None


# --------------------------------------------------------------------------- property: points on streets


def on_streets(net, seed: int, n: int, jitter_m: float) -> tuple[np.ndarray, np.ndarray]:
    """``n`` WGS-84 points uniformly along the streets, moved up to ``jitter_m``."""
    rng = np.random.default_rng(seed)
    lines = net.edges.geometry.to_numpy()
    weight = net.edges["length_m"].to_numpy(float)
    pick = rng.choice(len(lines), n, p=weight / weight.sum())
    pts = shapely.line_interpolate_point(lines[pick], rng.uniform(0, 1, n), normalized=True)
    r, a = jitter_m * np.sqrt(rng.uniform(0, 1, n)), rng.uniform(0, 2 * np.pi, n)
    lat = shapely.get_y(pts) + r * np.sin(a) / 111_320
    lon = shapely.get_x(pts) + r * np.cos(a) / (111_320 * np.cos(np.radians(lat)))
    return lon, lat


@settings(max_examples=8, deadline=None, database=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(40, 120), jitter=st.floats(0.0, 5.0), truth=st.sampled_from(["wgs84", "gcj02", "bd09"]))
def test_points_on_streets_property(hangzhou_walk, hz_index, seed, n, jitter, truth):
    lon, lat = on_streets(hangzhou_walk, seed, n, jitter)
    raw = RAW[truth](lon, lat)
    # declared right: never flagged
    assert datum.suspect_datum(*as_declared(*raw, truth), declared=truth, streets=hz_index) is None
    # GCJ-02 coordinates declared as WGS-84: flagged as GCJ-02
    gcj = cc.wgs84_to_gcj02(lon, lat)
    found = datum.suspect_datum(*gcj, declared="wgs84", streets=hz_index)
    assert found is not None and found.likely == "gcj02"
    assert found.median_m_likely <= jitter + 0.01
