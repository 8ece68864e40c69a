"""Tests for accessibility.coords.chinacoords (WGS-84 / GCJ-02 / BD-09 conversion)."""

from __future__ import annotations

import csv
import doctest
import gzip
import io
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pyproj import Geod

from accessibility import errors
from accessibility.coords import chinacoords as cc
from accessibility.coords import mainland

GEOD = Geod(ellps="WGS84")
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
XIAN = SHARED / "xian_baidu_poi_2017"

ALL_FUNCTIONS = [
    cc.wgs84_to_gcj02,
    cc.gcj02_to_wgs84,
    cc.wgs84_to_bd09,
    cc.bd09_to_wgs84,
    cc.gcj02_to_bd09,
    cc.bd09_to_gcj02,
]


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance on WGS-84, in metres."""
    args = [np.atleast_1d(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2)]
    return np.asarray(GEOD.inv(*args)[2])


# ---------------------------------------------------------------------------
# Reference: the textbook scalar formulas, as published in countless
# "coordTransform" snippets (pi, a, ee, x_pi exactly as written there). Kept
# deliberately independent of the module's vectorised code.
# ---------------------------------------------------------------------------
_PI = 3.1415926535897932384626
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = 3.14159265358979324 * 3000.0 / 180.0


def _ref_transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * _PI) + 20.0 * math.sin(2.0 * x * _PI)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * _PI) + 40.0 * math.sin(y / 3.0 * _PI)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * _PI) + 320 * math.sin(y * _PI / 30.0)) * 2.0 / 3.0
    return ret


def _ref_transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * _PI) + 20.0 * math.sin(2.0 * x * _PI)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * _PI) + 40.0 * math.sin(x / 3.0 * _PI)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * _PI) + 300.0 * math.sin(x / 30.0 * _PI)) * 2.0 / 3.0
    return ret


def ref_wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    dlat = _ref_transform_lat(lng - 105.0, lat - 35.0)
    dlng = _ref_transform_lon(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * _PI
    magic = math.sin(radlat)
    magic = 1 - _EE * magic * magic
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * _PI)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * math.cos(radlat) * _PI)
    return lng + dlng, lat + dlat


def ref_gcj02_to_wgs84_one_step(lng: float, lat: float) -> tuple[float, float]:
    """The common *approximate* inverse: subtract the offset evaluated at GCJ."""
    glng, glat = ref_wgs84_to_gcj02(lng, lat)
    return lng * 2 - glng, lat * 2 - glat


def ref_gcj02_to_bd09(lng: float, lat: float) -> tuple[float, float]:
    z = math.sqrt(lng * lng + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def ref_bd09_to_gcj02(bd_lon: float, bd_lat: float) -> tuple[float, float]:
    """The common closed-form (approximate) BD-09 inverse."""
    x = bd_lon - 0.0065
    y = bd_lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def _apply(fn, lon, lat) -> tuple[np.ndarray, np.ndarray]:
    pairs = [fn(float(a), float(b)) for a, b in zip(lon, lat, strict=True)]
    return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


def random_mainland_points(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n WGS-84 points spread uniformly over mainland China."""
    rng = np.random.default_rng(seed)
    lons, lats = [], []
    total = 0
    while total < n:
        lon = rng.uniform(73.0, 135.5, 2 * n)
        lat = rng.uniform(18.0, 54.0, 2 * n)
        keep = cc.in_mainland_china(lon, lat)
        lons.append(lon[keep])
        lats.append(lat[keep])
        total += int(keep.sum())
    return np.concatenate(lons)[:n], np.concatenate(lats)[:n]


# ---------------------------------------------------------------------------
# Places (WGS-84). Border-area points were checked against OpenStreetMap-based
# boundaries (timezone-boundary-builder: Asia/Hong_Kong, Asia/Macau,
# Asia/Taipei, Asia/Pyongyang, ...). Most lie >= 0.3 km from the embedded
# outline; Lo Wu station and the Futian checkpoint point are within ~100 m
# of it and pin the Shenzhen River section.
# ---------------------------------------------------------------------------
OUTSIDE = {
    "Hong Kong, Central (Statue Square)": (114.1600, 22.2810),
    "Hong Kong, Tsim Sha Tsui (Clock Tower)": (114.1695, 22.2936),
    "Hong Kong, Kowloon (Mong Kok)": (114.1694, 22.3193),
    "Hong Kong, Chek Lap Kok airport (Lantau)": (113.9185, 22.3080),
    "Hong Kong, Sheung Shui": (114.1281, 22.5011),
    "Hong Kong, Lo Wu station": (114.1136, 22.5282),
    "Macau, Senado Square": (113.5394, 22.1935),
    "Macau, Macau Tower": (113.5365, 22.1801),
    "Macau, Cotai (Venetian)": (113.5600, 22.1475),
    "Macau, airport": (113.5915, 22.1496),
    "Taipei 101": (121.5645, 25.0340),
    "Kinmen (Jincheng)": (118.3170, 24.4330),
    "Matsu (Nangan)": (119.9436, 26.1597),
    "Seoul": (126.9780, 37.5665),
    "Tokyo": (139.7671, 35.6812),
    "Hanoi": (105.8542, 21.0285),
    "Ulaanbaatar": (106.9170, 47.9186),
    "Pyongyang": (125.7625, 39.0392),
    "Sinuiju (across the Yalu from Dandong)": (124.4000, 40.0900),
    "Blagoveshchensk (across the Amur from Heihe)": (127.5300, 50.2700),
    "London": (-0.1276, 51.5072),
    "Sydney": (151.2093, -33.8688),
}
INSIDE = {
    "Shenzhen, Futian (Civic Centre)": (114.0579, 22.5431),
    "Shenzhen, Futian (north of Futian checkpoint)": (114.0662, 22.5190),
    "Shenzhen, Luohu (Dongmen)": (114.1190, 22.5470),
    "Shenzhen, Luohu (district offices)": (114.1315, 22.5485),
    "Shenzhen, Nanshan (Shenzhen University)": (113.9360, 22.5333),
    "Shenzhen, Shekou": (113.9165, 22.4831),
    "Zhuhai, Gongbei": (113.5510, 22.2230),
    "Zhuhai, Xiangzhou": (113.5670, 22.2710),
    "Zhuhai, Hengqin (south-west)": (113.5000, 22.1000),
    "Xiamen": (118.0894, 24.4798),
    "Xiamen, Gulangyu": (118.0660, 24.4470),
    "Fuzhou": (119.2965, 26.0745),
    "Beijing, Tiananmen": (116.3975, 39.9087),
    "Shanghai, the Bund": (121.4900, 31.2400),
    "Shanghai, Yangshan port": (122.0600, 30.6200),
    "Hangzhou, West Lake": (120.1500, 30.2500),
    "Xi'an, Bell Tower": (108.9423, 34.2610),
    "Urumqi": (87.6168, 43.8256),
    "Kashgar": (75.9897, 39.4704),
    "Lhasa": (91.1172, 29.6469),
    "Harbin": (126.6425, 45.7560),
    "Sanya": (109.5120, 18.2528),
    "Dandong": (124.3830, 40.1250),
    "Heihe": (127.4900, 50.2450),
    "Manzhouli": (117.4330, 49.5970),
    "Erenhot": (111.9770, 43.6530),
    "Ruili": (97.8510, 24.0130),
}


def _xy(places: dict[str, tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    arr = np.array(list(places.values()))
    return arr[:, 0], arr[:, 1]


# ---------------------------------------------------------------------------
# Known pairs
# ---------------------------------------------------------------------------
# Expected values computed with the published forward formula (the reference
# functions above, textbook constants): WGS-84 -> (GCJ-02, BD-09).
KNOWN = {
    "Beijing, Tiananmen": (
        (116.397477, 39.908692),
        (116.4037205671, 39.9100954939),
        (116.4100935598, 39.9164348282),
    ),
    "Hangzhou, West Lake (Broken Bridge)": (
        (120.150740, 30.258890),
        (120.1554456190, 30.2565674380),
        (120.1619859431, 30.2624697694),
    ),
}


@pytest.mark.parametrize("name", list(KNOWN))
def test_known_pairs(name: str) -> None:
    wgs, gcj, bd = KNOWN[name]
    assert np.allclose(cc.wgs84_to_gcj02(*wgs), gcj, rtol=0, atol=1e-9)
    assert np.allclose(cc.wgs84_to_bd09(*wgs), bd, rtol=0, atol=1e-9)
    assert np.allclose(cc.gcj02_to_bd09(*gcj), bd, rtol=0, atol=1e-9)
    assert np.allclose(cc.gcj02_to_wgs84(*gcj), wgs, rtol=0, atol=1e-9)
    assert np.allclose(cc.bd09_to_wgs84(*bd), wgs, rtol=0, atol=1e-9)
    assert np.allclose(cc.bd09_to_gcj02(*bd), gcj, rtol=0, atol=1e-9)
    # The reference (textbook) code gives the same numbers.
    assert np.allclose(ref_wgs84_to_gcj02(*wgs), gcj, rtol=0, atol=1e-9)
    assert np.allclose(ref_gcj02_to_bd09(*gcj), bd, rtol=0, atol=1e-9)


def test_forward_formula_against_amap_published_example() -> None:
    """AMap's web-service documentation (coordinate/convert, coordsys=gps).

    Request ``locations=116.481499,39.990475|116.481499,39.990375`` returns
    ``116.487585177952,39.991754014757;116.487585177952,39.991653917101``.
    AMap's server implementation differs from the published formula by a few
    centimetres (measured: 4 cm), so agreement to 0.1 m confirms the formula
    and its constants independently.
    """
    lon, lat = cc.wgs84_to_gcj02([116.481499, 116.481499], [39.990475, 39.990375])
    d = metres(lon, lat, [116.487585177952] * 2, [39.991754014757, 39.991653917101])
    assert d.max() < 0.1


def test_against_aliyun_published_example() -> None:
    """Alibaba Cloud address service, TransferCoord example (Hangzhou, Yuhang).

    Input GCJ-02 ``120.026268,30.279164`` gives BD09 ``120.032768,30.285238``
    and WGS84 ``120.021519,30.281543`` (6 decimals). Our BD-09 agrees to the
    rounding. Their WGS-84 is the one-step approximate inverse (reproduced by
    the reference to the rounding); the exact inverse lies ~1.7 m away.
    """
    gcj = (120.026268, 30.279164)
    bd = cc.gcj02_to_bd09(*gcj)
    assert np.allclose(bd, (120.032768, 30.285238), rtol=0, atol=5.1e-7)
    one_step = ref_gcj02_to_wgs84_one_step(*gcj)
    assert np.allclose(one_step, (120.021519, 30.281543), rtol=0, atol=5.1e-7)
    exact = cc.gcj02_to_wgs84(*gcj)
    gap = metres(*exact, 120.021519, 30.281543)[0]
    assert 1.0 < gap < 3.0
    # ... and the exact inverse really maps back onto the input.
    assert metres(*cc.wgs84_to_gcj02(*exact), *gcj)[0] < 1e-4


def test_vectorised_forward_matches_textbook_formula() -> None:
    lon, lat = random_mainland_points(2000, seed=1)
    g_lon, g_lat = cc.wgs84_to_gcj02(lon, lat)
    r_lon, r_lat = _apply(ref_wgs84_to_gcj02, lon, lat)
    assert np.abs(g_lon - r_lon).max() < 1e-12
    assert np.abs(g_lat - r_lat).max() < 1e-12
    b_lon, b_lat = cc.gcj02_to_bd09(g_lon, g_lat)
    rb_lon, rb_lat = _apply(ref_gcj02_to_bd09, r_lon, r_lat)
    assert np.abs(b_lon - rb_lon).max() < 1e-12
    assert np.abs(b_lat - rb_lat).max() < 1e-12


# ---------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------
def test_round_trips_over_china_are_exact() -> None:
    lon, lat = random_mainland_points(100_000, seed=2)
    g = cc.wgs84_to_gcj02(lon, lat)
    b = cc.wgs84_to_bd09(lon, lat)
    worst = {
        "gcj02": metres(*cc.gcj02_to_wgs84(*g), lon, lat).max(),
        "bd09": metres(*cc.bd09_to_wgs84(*b), lon, lat).max(),
        "bd09->gcj02": metres(*cc.bd09_to_gcj02(*b), *g).max(),
        "gcj02->bd09": metres(*cc.gcj02_to_bd09(*g), *b).max(),
    }
    # Measured: ~1e-6 m or less; the bar is 0.05 m.
    assert max(worst.values()) < 0.05, worst
    assert max(worst.values()) < 1e-3, worst


def test_one_step_inverse_is_metres_off_iterative_is_not() -> None:
    lon, lat = random_mainland_points(5000, seed=3)
    g_lon, g_lat = cc.wgs84_to_gcj02(lon, lat)
    one = _apply(ref_gcj02_to_wgs84_one_step, g_lon, g_lat)
    d_one = metres(*one, lon, lat)
    d_exact = metres(*cc.gcj02_to_wgs84(g_lon, g_lat), lon, lat)
    assert np.median(d_one) > 0.5  # the usual approximation: metres
    assert d_exact.max() < 1e-3


@settings(max_examples=300, deadline=None)
@given(
    lon=st.floats(73.0, 135.5, allow_nan=False),
    lat=st.floats(18.0, 54.0, allow_nan=False),
)
def test_round_trip_property(lon: float, lat: float) -> None:
    assume(bool(cc.in_mainland_china(lon, lat)))
    for fwd, inv in [
        (cc.wgs84_to_gcj02, cc.gcj02_to_wgs84),
        (cc.wgs84_to_bd09, cc.bd09_to_wgs84),
    ]:
        out = fwd(lon, lat)
        assert metres(*out, lon, lat)[0] > 10.0  # really shifted
        back = inv(*out)
        assert metres(*back, lon, lat)[0] < 0.05


@settings(max_examples=200, deadline=None)
@given(
    lon=st.floats(-180.0, 180.0, allow_nan=False),
    lat=st.floats(-90.0, 90.0, allow_nan=False),
)
def test_points_outside_mainland_are_untouched(lon: float, lat: float) -> None:
    assume(not bool(cc.in_mainland_china(lon, lat)))
    # Stay clear of the ~1 km ambiguity band at the border (module docstring).
    assume(not bool(cc.in_mainland_china(*cc.gcj02_to_wgs84(lon, lat, mainland_only=False))))
    assume(not bool(cc.in_mainland_china(*cc.bd09_to_wgs84(lon, lat, mainland_only=False))))
    for fn in ALL_FUNCTIONS:
        out_lon, out_lat = fn(lon, lat)
        assert float(out_lon) == lon and float(out_lat) == lat


def test_mainland_points_near_the_hong_kong_border_round_trip() -> None:
    """Every mainland point round-trips, even where GCJ-02 pushes it into HK."""
    xs, ys = np.meshgrid(np.arange(113.85, 114.45, 0.001), np.arange(22.45, 22.60, 0.001))
    lon, lat = xs.ravel(), ys.ravel()
    keep = cc.in_mainland_china(lon, lat)
    lon, lat = lon[keep], lat[keep]
    assert lon.size > 10_000
    g = cc.wgs84_to_gcj02(lon, lat)
    b = cc.wgs84_to_bd09(lon, lat)
    assert (~cc.in_mainland_china(*g)).any()  # some shifted across the border
    assert metres(*cc.gcj02_to_wgs84(*g), lon, lat).max() < 1e-3
    assert metres(*cc.bd09_to_wgs84(*b), lon, lat).max() < 1e-3


# ---------------------------------------------------------------------------
# Where the offset applies
# ---------------------------------------------------------------------------
def test_in_mainland_china_classifies_places() -> None:
    lon, lat = _xy(INSIDE)
    inside = cc.in_mainland_china(lon, lat)
    assert inside.all(), [n for n, ok in zip(INSIDE, inside, strict=True) if not ok]
    lon, lat = _xy(OUTSIDE)
    outside = cc.in_mainland_china(lon, lat)
    assert not outside.any(), [n for n, bad in zip(OUTSIDE, outside, strict=True) if bad]


@pytest.mark.parametrize("fn", ALL_FUNCTIONS, ids=lambda f: f.__name__)
def test_outside_places_unchanged(fn) -> None:
    lon, lat = _xy(OUTSIDE)
    out_lon, out_lat = fn(lon, lat)
    assert np.array_equal(out_lon, lon) and np.array_equal(out_lat, lat)


@pytest.mark.parametrize("fn", ALL_FUNCTIONS, ids=lambda f: f.__name__)
def test_inside_places_changed(fn) -> None:
    lon, lat = _xy(INSIDE)
    out_lon, out_lat = fn(lon, lat)
    d = metres(out_lon, out_lat, lon, lat)
    assert (d > 50.0).all(), [n for n, x in zip(INSIDE, d, strict=True) if x <= 50.0]
    assert (d < 2000.0).all()


@pytest.mark.parametrize("crs", ["wgs84", "cgcs2000", "gcj02", "bd09"])
def test_to_wgs84_outside_unchanged(crs: str) -> None:
    lon, lat = _xy(OUTSIDE)
    out_lon, out_lat = cc.to_wgs84(lon, lat, crs=crs)
    assert np.array_equal(out_lon, lon) and np.array_equal(out_lat, lat)


def test_mainland_only_false_shifts_hong_kong_and_round_trips() -> None:
    lon, lat = 114.1694, 22.3193  # Mong Kok
    g = cc.wgs84_to_gcj02(lon, lat, mainland_only=False)
    assert metres(*g, lon, lat)[0] > 100
    back = cc.gcj02_to_wgs84(*g, mainland_only=False)
    assert metres(*back, lon, lat)[0] < 1e-3
    b = cc.wgs84_to_bd09(lon, lat, mainland_only=False)
    assert metres(*cc.bd09_to_wgs84(*b, mainland_only=False), lon, lat)[0] < 1e-3


def test_boundary_polygon_lies_inside_the_fast_envelope() -> None:
    x0, y0, x1, y1 = shapely.bounds(mainland._mainland_polygon())
    e0, f0, e1, f1 = mainland.ENVELOPE
    assert e0 < x0 - 0.5 and f0 < y0 - 0.5 and x1 + 0.5 < e1 and y1 + 0.5 < f1


def test_boundary_data_is_valid_small_and_attributed() -> None:
    geom = mainland._mainland_polygon()
    assert geom.is_valid and geom.geom_type in {"Polygon", "MultiPolygon"}
    assert 1000 < shapely.get_num_coordinates(geom) < 6000
    props = json.loads(mainland._DATA_FILE.read_text(encoding="utf-8"))["features"][0]["properties"]
    assert "Natural Earth" in props["source"]
    assert mainland._DATA_FILE.stat().st_size < 150_000


def test_boundary_is_loaded_lazily() -> None:
    code = (
        "import accessibility.coords.chinacoords as c, accessibility.coords.mainland as m;"
        "print(m._mainland_polygon.cache_info().currsize);"
        "c.in_mainland_china(116.4, 39.9);"
        "print(m._mainland_polygon.cache_info().currsize)"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout.split() == ["0", "1"]


# ---------------------------------------------------------------------------
# Shapes, dtypes, NaN
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("fn", ALL_FUNCTIONS, ids=lambda f: f.__name__)
def test_scalar_and_array_shapes(fn) -> None:
    lon, lat = fn(116.4, 39.9)
    assert lon.shape == () and lat.shape == ()
    assert lon.dtype == np.float64 and lat.dtype == np.float64
    lon2, lat2 = fn([116.4, 114.17], [39.9, 22.32])
    assert lon2.shape == (2,) and lon2.dtype == np.float64
    assert lon2[0] == lon and lat2[0] == lat
    grid_lon = np.full((3, 4), 116.4, dtype=np.float32)
    grid_lat = np.full((3, 4), 39.9, dtype=np.float32)
    glon, glat = fn(grid_lon, grid_lat)
    assert glon.shape == (3, 4) and glat.dtype == np.float64
    ilon, _ = fn(np.array([116]), np.array([40]))  # integers are fine
    assert ilon.dtype == np.float64


@pytest.mark.parametrize("fn", ALL_FUNCTIONS, ids=lambda f: f.__name__)
def test_inputs_not_modified_and_nan_propagates(fn) -> None:
    lon = np.array([116.4, np.nan, 114.17, 120.0])
    lat = np.array([39.9, 30.0, 22.32, np.nan])
    lon0, lat0 = lon.copy(), lat.copy()
    out_lon, out_lat = fn(lon, lat)
    assert np.array_equal(lon, lon0, equal_nan=True) and np.array_equal(lat, lat0, equal_nan=True)
    assert np.isnan(out_lon[[1, 3]]).all() and np.isnan(out_lat[[1, 3]]).all()
    assert np.isfinite(out_lon[[0, 2]]).all()
    assert out_lon[2] == 114.17  # Hong Kong


def test_in_mainland_china_shape_and_nan() -> None:
    res = cc.in_mainland_china([[116.4, np.nan], [114.17, 0.0]], [[39.9, 30.0], [22.32, 0.0]])
    assert res.dtype == np.bool_ and res.shape == (2, 2)
    assert res.tolist() == [[True, False], [False, False]]
    assert cc.in_mainland_china(116.4, 39.9).shape == ()


def test_empty_input() -> None:
    for fn in ALL_FUNCTIONS:
        lon, lat = fn([], [])
        assert lon.shape == (0,) and lat.dtype == np.float64
    assert cc.in_mainland_china([], []).shape == (0,)


# ---------------------------------------------------------------------------
# to_wgs84
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("crs", "expected"),
    [
        ("wgs84", "wgs84"), ("WGS-84", "wgs84"), ("EPSG:4326", "wgs84"),
        ("gcj02", "gcj02"), ("GCJ-02", "gcj02"), ("gcj_02", "gcj02"),
        ("bd09", "bd09"), ("BD-09", "bd09"), ("bd09ll", "bd09"),
        ("cgcs2000", "cgcs2000"), ("CGCS2000", "cgcs2000"), ("EPSG:4490", "cgcs2000"),
    ],
)
def test_to_wgs84_dispatch(crs: str, expected: str) -> None:
    lon, lat = random_mainland_points(50, seed=4)
    out = cc.to_wgs84(lon, lat, crs=crs)
    if expected == "gcj02":
        ref = cc.gcj02_to_wgs84(lon, lat)
    elif expected == "bd09":
        ref = cc.bd09_to_wgs84(lon, lat)
    else:  # wgs84 and cgcs2000 are returned unchanged (as a copy)
        ref = (lon, lat)
        assert out[0] is not lon
    assert np.array_equal(out[0], ref[0]) and np.array_equal(out[1], ref[1])


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------
def test_unknown_crs_lists_accepted_names() -> None:
    with pytest.raises(errors.InputError) as info:
        cc.to_wgs84(116.4, 39.9, crs="bd09mc")
    message = str(info.value)
    for name in ("'wgs84'", "'gcj02'", "'bd09'", "'cgcs2000'"):
        assert name in message
    assert isinstance(info.value, ValueError)
    with pytest.raises(ValueError, match="accepted"):
        cc.to_wgs84(116.4, 39.9, crs=4326)  # type: ignore[arg-type]


def test_crs_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        cc.to_wgs84(116.4, 39.9, "gcj02")  # type: ignore[misc]


@pytest.mark.parametrize("fn", [*ALL_FUNCTIONS, cc.in_mainland_china], ids=lambda f: f.__name__)
def test_mismatched_shapes(fn) -> None:
    with pytest.raises(ValueError, match=r"same shape.*\(3,\).*\(2,\)"):
        fn([116.0, 117.0, 118.0], [39.0, 40.0])


@pytest.mark.parametrize(
    ("lon", "lat", "pattern"),
    [
        (39.9, 116.4, "swapped"),  # lat > 90: (lat, lon) order
        (200.0, 30.0, "longitude"),
        (np.inf, 30.0, "infinite"),
        ("116.4", 39.9, "real numbers"),
        ([116.4 + 1j], [39.9], "real numbers"),
    ],
)
def test_invalid_values(lon, lat, pattern: str) -> None:
    for fn in [cc.gcj02_to_wgs84, cc.wgs84_to_bd09, cc.in_mainland_china]:
        with pytest.raises(errors.InputError, match=pattern):
            fn(lon, lat)


def test_invalid_iteration_options() -> None:
    with pytest.raises(errors.InputError, match="tol"):
        cc.gcj02_to_wgs84(116.4, 39.9, tol=0)
    with pytest.raises(errors.InputError, match="max_iter"):
        cc.bd09_to_wgs84(116.4, 39.9, max_iter=0)


def test_non_convergence_is_reported() -> None:
    # One iteration cannot reach 1e-10 degrees from the one-step start.
    with pytest.raises(errors.InputError, match="did not converge"):
        cc.gcj02_to_wgs84(116.4, 39.9, max_iter=1)
    with pytest.raises(errors.InputError, match="did not converge"):
        cc.bd09_to_gcj02(116.4, 39.9, max_iter=1, tol=1e-13)


def test_mainland_only_false_is_the_bounding_box() -> None:
    lon, lat = _xy(OUTSIDE)
    out_lon, out_lat = cc.wgs84_to_gcj02(lon, lat, mainland_only=False)
    x0, y0, x1, y1 = mainland.ENVELOPE
    in_box = (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
    assert in_box.sum() >= 10 and (~in_box).sum() >= 3  # e.g. HK vs Tokyo, London
    changed = (out_lon != lon) | (out_lat != lat)
    assert np.array_equal(changed, in_box)


# ---------------------------------------------------------------------------
# Speed
# ---------------------------------------------------------------------------
def test_million_points_vectorised_and_fast() -> None:
    rng = np.random.default_rng(5)
    n = 1_000_000
    lon = rng.uniform(100.0, 122.0, n)
    lat = rng.uniform(22.0, 42.0, n)
    cc.in_mainland_china(116.4, 39.9)  # load the boundary outside the timing
    t0 = time.perf_counter()
    g_lon, g_lat = cc.wgs84_to_gcj02(lon, lat)
    t1 = time.perf_counter()
    w_lon, w_lat = cc.gcj02_to_wgs84(g_lon, g_lat)
    t2 = time.perf_counter()
    # Measured ~0.6 s and ~1.6 s on a 2-core machine; a per-point Python
    # loop would take minutes.
    assert t1 - t0 < 8.0
    assert t2 - t1 < 15.0
    sample = rng.choice(n, 2000, replace=False)
    sample = sample[cc.in_mainland_china(lon[sample], lat[sample])]
    assert sample.size > 500
    assert metres(w_lon[sample], w_lat[sample], lon[sample], lat[sample]).max() < 1e-3
    # Vectorised results equal element-wise calls.
    for i in sample[:20]:
        one = cc.wgs84_to_gcj02(lon[i], lat[i])
        assert float(one[0]) == g_lon[i] and float(one[1]) == g_lat[i]


def test_docstring_examples() -> None:
    result = doctest.testmod(cc, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3 and result.failed == 0
    # in_mainland_china's example lives in accessibility.coords.mainland now
    result = doctest.testmod(mainland, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 1 and result.failed == 0


# ---------------------------------------------------------------------------
# Real data: Baidu POIs in Xi'an (shared/data, SOURCES.md section 4)
# ---------------------------------------------------------------------------
def _require_shared(path: Path) -> None:
    if not path.exists():
        message = f"shared test data not found: {path}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def test_require_shared_skips_locally_and_fails_in_ci(tmp_path, monkeypatch) -> None:
    missing = tmp_path / "nope"
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        _require_shared(missing)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        _require_shared(missing)
    _require_shared(tmp_path)  # present: no-op


def _load_xian(stem: str) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Join the raw BD-09 JSON to the author's CSV by uid (checking names)."""
    records = json.loads(gzip.decompress((XIAN / f"{stem}.json.gz").read_bytes()).decode("utf-8"))
    text = gzip.decompress((XIAN / f"{stem}.csv.gz").read_bytes()).decode("gbk")
    author: dict[str, tuple[str, float, float]] = {}
    for row in csv.reader(io.StringIO(text)):
        if len(row) >= 4:  # data rows; the others hold only the dict repr
            author[row[3]] = (row[0], float(row[1]), float(row[2]))
    uids, bd_lon, bd_lat, a_lon, a_lat = [], [], [], [], []
    for rec in records:
        uid = rec["uid"]
        if uid in author and uid not in uids:
            name, lon, lat = author[uid]
            assert name == rec["name"]
            uids.append(uid)
            bd_lon.append(rec["location"]["lng"])
            bd_lat.append(rec["location"]["lat"])
            a_lon.append(lon)
            a_lat.append(lat)
    return uids, *(np.array(v) for v in (bd_lon, bd_lat, a_lon, a_lat))


@pytest.mark.shared
@pytest.mark.parametrize(
    ("stem", "count"),
    [("poiXianOldTown/poi_7_sports", 218), ("xianPOI_36/poi_7_sports", 1969)],
)
def test_xian_baidu_pois_against_author_wgs84(stem: str, count: int, record_property) -> None:
    """Convert Baidu's BD-09 POIs with our functions and compare with the author.

    The issue asked for < 0.5 m agreement with the CSV's WGS-84 columns. That
    cannot hold: the author (``dataCapturing_JsonCsv.py``) converted with the
    textbook one-step formulas, i.e. the closed-form approximate BD-09 ->
    GCJ-02 and ``wgs = gcj - offset(gcj)``. This test shows it: the reference
    one-step code reproduces the CSV to ~1e-14 degrees. That approximation is
    1-2 m off: measured against our exact inverse, old town sports (218 POIs)
    min 0.73 / median 1.50 / p95 2.19 / max 2.23 m; region-wide sports (1,969)
    min 0.15 / median 1.18 / p95 2.43 / max 2.47 m.

    What we assert instead:

    * agreement in the < 0.5 m sense where it is meaningful: our WGS-84,
      pushed back through the forward formula, lands on Baidu's BD-09
      coordinates to < 0.5 m (in fact < 1 mm), while the author's lands
      ~1.5 m away;
    * the author-difference distribution is the one-step error (0.1-3 m);
    * the CSV is exactly the one-step result, so the gap is the author's
      approximation, not a disagreement about the formula.
    """
    _require_shared(XIAN)
    uids, bd_lon, bd_lat, a_lon, a_lat = _load_xian(stem)
    assert len(uids) == count

    w_lon, w_lat = cc.bd09_to_wgs84(bd_lon, bd_lat)

    # 1. Ours is exact: back to BD-09 hits Baidu's coordinates.
    ours_back = metres(*cc.wgs84_to_bd09(w_lon, w_lat), bd_lon, bd_lat)
    assert ours_back.max() < 0.5
    assert ours_back.max() < 1e-3

    # 2. The author's columns are the one-step approximation ...
    gcj_one = _apply(ref_bd09_to_gcj02, bd_lon, bd_lat)
    author_method = _apply(ref_gcj02_to_wgs84_one_step, *gcj_one)
    assert np.abs(author_method[0] - a_lon).max() < 1e-9
    assert np.abs(author_method[1] - a_lat).max() < 1e-9
    # ... which misses Baidu's coordinates by metres.
    author_back = metres(*cc.wgs84_to_bd09(a_lon, a_lat), bd_lon, bd_lat)
    assert np.median(author_back) > 0.5

    # 3. Distribution of the differences ours - author.
    diff = metres(w_lon, w_lat, a_lon, a_lat)
    stats = {
        "n": int(diff.size),
        "min_m": round(float(diff.min()), 3),
        "median_m": round(float(np.median(diff)), 3),
        "p95_m": round(float(np.percentile(diff, 95)), 3),
        "max_m": round(float(diff.max()), 3),
    }
    record_property("ours_vs_author_wgs84", stats)
    assert 0.3 < stats["median_m"] < 2.5, stats
    assert stats["max_m"] < 3.0, stats
    # 4. Both are ~1.15 km from the raw BD-09 position (the size of the shift).
    shift = metres(w_lon, w_lat, bd_lon, bd_lat)
    assert 900 < np.median(shift) < 1400
