"""Elevation from a DEM (readers.elevation) and slope-aware walking times (network.slope).

Hand-computable cases: planes rising 1 m per 10 m eastward, written as GeoTIFFs
in a UTM zone (EPSG:32650) and in longitude/latitude (EPSG:4326), and straight
edges of known length over them, whose factors are Tobler's by hand:
10 % uphill takes exp(3.5 * 0.15 - 3.5 * 0.05) = exp(0.35) times the flat
time, 10 % downhill exactly the flat time (Tobler's function is symmetric
about 5 % downhill). Bad DEMs are refused naming the file and the fix.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyproj
import pytest
import rasterio
import shapely
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.crs import CRS

from accessibility import errors
from accessibility.network import slope
from accessibility.readers.elevation import Dem, read_dem

# a 2 km x 2 km UTM 50N grid of 5 m pixels near Hangzhou's longitude band (zone 50: 114-120 E)
X0, Y0, RES, N = 500_000.0, 3_340_000.0, 5.0, 400
UTM = pyproj.CRS.from_epsg(32650)
TO_WGS = pyproj.Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
UP_10 = math.exp(0.35)  # 1 / tobler(+0.1): exp(3.5 * |0.1 + 0.05|) / exp(3.5 * 0.05)
DOWN_10 = 1.0  # 1 / tobler(-0.1): exp(3.5 * |-0.1 + 0.05|) / exp(3.5 * 0.05)


def write(path: Path, data: np.ndarray, *, transform: Affine, crs: str | None, dtype: str = "float32", nodata: float | None = None, **profile) -> Path:
    bands = data if data.ndim == 3 else data[None]
    with rasterio.open(
        path, "w", driver="GTiff", width=bands.shape[2], height=bands.shape[1], count=bands.shape[0],
        dtype=dtype, crs=crs, transform=transform, nodata=nodata, **profile,
    ) as dst:
        dst.write(bands.astype(dtype))
    return path


def utm_plane(path: Path, *, rise_per_m: float = 0.1, **kw) -> Path:
    """z = 100 + rise * (x - X0) at the pixel centres, UTM 50N."""
    x = X0 + (np.arange(N) + 0.5) * RES
    return write(path, np.tile(100 + rise_per_m * (x - X0), (N, 1)), transform=Affine(RES, 0, X0, 0, -RES, Y0), crs="EPSG:32650", **kw)


def wgs(x, y) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = TO_WGS.transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon), np.asarray(lat)


def edge(x_from: float, x_to: float, y: float = Y0 - 1000) -> shapely.LineString:
    """A straight WGS-84 edge along UTM northing ``y`` from easting ``x_from`` to ``x_to``."""
    lon, lat = wgs([x_from, x_to], [y, y])
    return shapely.LineString(np.column_stack([lon, lat]))


# Tobler's function ------------------------------------------------------------------------------


def test_tobler_by_hand():
    f = slope.tobler_speed_factor([0.0, -0.05, 0.1, -0.1, 0.5, 0.9, -0.5, -3.0, np.nan])
    expected = [1.0, math.exp(0.175), math.exp(-0.35), 1.0, math.exp(-1.75), math.exp(-1.75), math.exp(-1.4), math.exp(-1.4)]
    np.testing.assert_allclose(f[:-1], expected, rtol=1e-12)
    assert np.isnan(f[-1])
    assert math.isclose(slope.MIN_TIME_FACTOR, math.exp(-0.175))
    assert math.isclose(slope.MAX_TIME_FACTOR, math.exp(1.75))


# sampling the DEM -------------------------------------------------------------------------------


def test_sample_utm_plane_exact_inside_nan_outside(tmp_path):
    dem = read_dem(utm_plane(tmp_path / "dem.tif"))
    x = np.array([X0 + 100, X0 + 1234.5, X0 + 1.0, X0 + N * RES - 1.0, X0 - 1.0, X0 + 500])
    y = np.array([Y0 - 700, Y0 - 10, Y0 - 3, Y0 - 1999, Y0 - 100, Y0 + 1.0])
    z = dem.sample(*wgs(x, y))
    # inside: the plane; between the edge and the first/last pixel centre the edge pixel's value
    np.testing.assert_allclose(z[:4], [110.0, 223.45, 100.25, 100 + 0.1 * (N * RES - 2.5)], atol=1e-6)
    assert np.isnan(z[4:]).all()  # west of the raster, north of it
    assert dem.sample(np.array([[np.nan]]), np.array([[30.0]])).shape == (1, 1)
    assert dem.pixel_size_m == pytest.approx(5.0)


def test_sample_nodata_is_nan_and_neighbours_renormalised(tmp_path):
    x = X0 + (np.arange(N) + 0.5) * RES
    data = np.tile(100 + 0.1 * (x - X0), (N, 1))
    data[11, 11] = -9999.0
    dem = read_dem(write(tmp_path / "holes.tif", data, transform=Affine(RES, 0, X0, 0, -RES, Y0), crs="EPSG:32650", nodata=-9999.0))
    assert np.isnan(dem.data[11, 11])
    v10, v11 = 100 + 0.1 * 10.5 * RES, 100 + 0.1 * 11.5 * RES  # columns 10 and 11
    # at column/row 10.75 bilinear weights are .5625 (10,10), .1875 (10,11), .1875 (11,10), .0625 (11,11: nodata, dropped)
    z = dem.sample(*wgs([X0 + 10.75 * RES, X0 + 11.5 * RES], [Y0 - 10.75 * RES, Y0 - 11.5 * RES]))
    np.testing.assert_allclose(z[0], (0.75 * v10 + 0.1875 * v11) / 0.9375, rtol=1e-9)
    assert np.isnan(z[1])  # inside the nodata pixel


def test_window_read_matches_whole_raster(tmp_path):
    path = utm_plane(tmp_path / "dem.tif")
    lon, lat = wgs([X0 + 800, X0 + 1200], [Y0 - 1200, Y0 - 800])
    part = read_dem(path, bounds=(lon[0], lat[0], lon[1], lat[1]))
    assert part.data.shape[0] < N / 3 and part.data.shape[1] < N / 3
    rng = np.random.default_rng(1)
    px, py = rng.uniform(X0 + 800, X0 + 1200, 50), rng.uniform(Y0 - 1200, Y0 - 800, 50)
    np.testing.assert_allclose(part.sample(*wgs(px, py)), read_dem(path).sample(*wgs(px, py)), rtol=1e-12)
    assert np.isnan(part.sample(*wgs([X0 + 100], [Y0 - 100]))).all()  # in the raster, outside the window read
    with pytest.raises(errors.NoOverlapError, match=r"dem\.tif: the DEM .* does not overlap"):
        read_dem(path, bounds=(100.0, 20.0, 100.1, 20.1))


# edge factors -------------------------------------------------------------------------------------


def test_edge_factors_utm_dem_by_hand(tmp_path):
    dem = read_dem(utm_plane(tmp_path / "dem.tif"))
    f = slope.edge_slope_factors([edge(X0 + 100, X0 + 600), edge(X0 + 600, X0 + 100)], dem)
    np.testing.assert_allclose(f.forward, [UP_10, DOWN_10], rtol=1e-6)
    np.testing.assert_allclose(f.backward, [DOWN_10, UP_10], rtol=1e-6)
    assert f.missing_share.tolist() == [0.0, 0.0]


def test_edge_factors_geographic_dem_by_hand(tmp_path):
    """The same plane in EPSG:4326 pixels (~10 m): any CRS works."""
    res, lon0, lat0 = 1e-4, *wgs([X0], [Y0])
    lon = lon0[0] + (np.arange(200) + 0.5) * res
    lat = lat0[0] - (np.arange(200) + 0.5) * res
    east, _ = pyproj.Transformer.from_crs("EPSG:4326", UTM, always_xy=True).transform(*np.meshgrid(lon, lat))
    dem = read_dem(write(tmp_path / "dem4326.tif", 100 + 0.1 * (east - X0), transform=Affine(res, 0, lon0[0], 0, -res, lat0[0]), crs="EPSG:4326", dtype="float64"))
    assert dem.crs == CRS.from_epsg(4326)
    assert dem.pixel_size_m == pytest.approx(11.1, abs=0.1)
    f = slope.edge_slope_factors([edge(X0 + 300, X0 + 1500, Y0 - 1000)], dem)
    assert f.forward[0] == pytest.approx(UP_10, rel=1e-5)
    assert f.backward[0] == pytest.approx(DOWN_10, rel=1e-5)


def test_flat_dem_gives_one_both_ways(tmp_path):
    dem = read_dem(utm_plane(tmp_path / "flat.tif", rise_per_m=0.0))
    lon, lat = wgs([X0 + 100, X0 + 400, X0 + 900], [Y0 - 100, Y0 - 900, Y0 - 300])
    zigzag = shapely.LineString(np.column_stack([lon, lat]))
    f = slope.edge_slope_factors([zigzag, edge(X0 + 10, X0 + 15)], dem, sample_m=7.0)
    np.testing.assert_allclose(f.forward, 1.0, rtol=1e-12)
    np.testing.assert_allclose(f.backward, 1.0, rtol=1e-12)


def test_length_weighted_mean_over_a_kink(tmp_path):
    """Flat for 200 m, then 20 % up for 200 m: the factor is the mean of the two halves' factors."""
    x = X0 + np.arange(N) * RES  # pixel centres on whole 5 m, so the kink at X0 + 300 is a centre and a sample point
    data = np.tile(100 + 0.2 * np.maximum(x - (X0 + 300), 0), (N, 1))
    dem = read_dem(write(tmp_path / "kink.tif", data, transform=Affine(RES, 0, X0 - RES / 2, 0, -RES, Y0), crs="EPSG:32650"))
    f = slope.edge_slope_factors([edge(X0 + 100, X0 + 500)], dem, sample_m=10.0)
    # forward: (1 + exp(3.5 * 0.25 - 0.175)) / 2; backward: (1 + exp(3.5 * 0.15 - 0.175)) / 2
    assert f.forward[0] == pytest.approx((1 + math.exp(0.7)) / 2, rel=1e-5)
    assert f.backward[0] == pytest.approx((1 + math.exp(0.35)) / 2, rel=1e-5)


def test_no_elevation_counts_as_flat_and_is_counted(tmp_path):
    dem = read_dem(utm_plane(tmp_path / "dem.tif"))
    far = edge(X0 + 5000, X0 + 5500)  # east of the raster
    half = edge(X0 - 250, X0 + 250)  # west half outside
    point = shapely.Point(*wgs([X0 + 50], [Y0 - 50]))
    f = slope.edge_slope_factors([far, half, None, shapely.LineString(), point], dem)
    assert f.forward[[0, 2, 3, 4]].tolist() == [1.0] * 4
    assert f.missing_share[[0, 2, 3, 4]].tolist() == [1.0] * 4
    assert f.missing_share[1] == pytest.approx(0.5, abs=0.03)
    assert f.forward[1] == pytest.approx(0.5 + 0.5 * UP_10, rel=0.02)  # the known half climbs 10 %
    assert (f.n_without_elevation, f.n_partial_elevation) == (4, 1)
    empty = slope.edge_slope_factors([], dem)
    assert empty.forward.shape == (0,) and empty.n_without_elevation == 0
    with pytest.raises(errors.InputError, match="sample_m"):
        slope.edge_slope_factors([far], dem, sample_m=0.0)


# property: reversing swaps the factors; factors stay finite and bounded -------------------------

_ys, _xs = np.mgrid[0:200, 0:200] * 10.0
_HILLS = (50 + 30 * np.sin(_xs / 170) * np.cos(_ys / 230) + 5 * np.sin(_xs / 23 + _ys / 31)).astype(np.float32)
_HILLS[80:90, 120:140] = np.nan  # a nodata hole
HILLS = Dem(Path("hills.tif"), _HILLS, Affine(10, 0, X0, 0, -10, Y0), CRS.from_epsg(32650), None)

_coord = st.tuples(st.floats(X0 - 200, X0 + 2200), st.floats(Y0 - 2200, Y0 + 200))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(_coord, min_size=2, max_size=6), min_size=1, max_size=8), st.sampled_from([3.0, 10.0, 25.0]))
def test_reversing_an_edge_swaps_its_factors(lines, sample_m):
    geoms = [shapely.LineString(np.column_stack(wgs(*np.array(c).T))) for c in lines]
    f = slope.edge_slope_factors(geoms, HILLS, sample_m=sample_m, metric_crs=UTM)
    r = slope.edge_slope_factors(shapely.reverse(geoms), HILLS, sample_m=sample_m, metric_crs=UTM)
    np.testing.assert_allclose(r.forward, f.backward, rtol=1e-7)
    np.testing.assert_allclose(r.backward, f.forward, rtol=1e-7)
    np.testing.assert_allclose(r.missing_share, f.missing_share, atol=1e-9)
    for a in (f.forward, f.backward):
        assert np.isfinite(a).all()
        assert (a >= slope.MIN_TIME_FACTOR * (1 - 1e-12)).all() and (a <= slope.MAX_TIME_FACTOR * (1 + 1e-12)).all()


# steps ----------------------------------------------------------------------------------------------


def test_steps_penalty():
    factors = np.array([1.0, 1.4, 0.9, 2.0])
    out = slope.apply_steps_penalty(factors, np.array(["footway", "steps", "residential", "steps"], dtype=object), steps_factor=2.0)
    assert out.tolist() == [1.0, 2.8, 0.9, 4.0]
    assert factors.tolist() == [1.0, 1.4, 0.9, 2.0]  # a new array
    for bad in (0.5, float("nan"), float("inf")):
        with pytest.raises(errors.ConfigError, match="steps factor"):
            slope.apply_steps_penalty(factors, ["steps"] * 4, steps_factor=bad)


# bad DEMs -------------------------------------------------------------------------------------------


def test_bad_dems_are_refused_naming_the_file_and_fix(tmp_path):
    grid = Affine(RES, 0, X0, 0, -RES, Y0)
    flat = np.full((20, 20), 50.0)
    with pytest.raises(errors.InputFileNotFoundError, match=r"missing\.tif"):
        read_dem(tmp_path / "missing.tif")
    text = tmp_path / "notes.tif"
    text.write_text("not a raster")
    with pytest.raises(errors.InputError, match=r"notes\.tif: not a readable raster.*GeoTIFF of ground heights"):
        read_dem(text)
    with pytest.raises(errors.InputError, match=r"nocrs\.tif: the raster has no coordinate reference system.*gdal_edit\.py -a_srs"):
        read_dem(write(tmp_path / "nocrs.tif", flat, transform=grid, crs=None))
    with pytest.raises(errors.InputError, match=r"two\.tif: the raster has 2 bands.*gdal_translate -b 1"):
        read_dem(write(tmp_path / "two.tif", np.stack([flat, flat]), transform=grid, crs="EPSG:32650"))
    rgb = np.stack([flat, flat, flat]).astype(np.uint8)
    with pytest.raises(errors.InputError, match=r"relief\.tif: the raster has 3 bands.*colour picture"):
        read_dem(write(tmp_path / "relief.tif", rgb, transform=grid, crs="EPSG:32650", dtype="uint8", photometric="RGB"))


def test_implausible_heights_are_refused_with_the_fix(tmp_path):
    grid = Affine(RES, 0, X0, 0, -RES, Y0)
    voids = np.full((20, 20), 50.0)
    voids[3:5, 7] = -32768  # SRTM voids without a declared nodata
    with pytest.raises(errors.InputError, match=r"srtm\.tif: 2 pixels .* hold -32768, lower than any ground.*gdal_edit\.py -a_nodata -32768 srtm\.tif"):
        read_dem(write(tmp_path / "srtm.tif", voids, transform=grid, crs="EPSG:32650", dtype="int16"))
    declared = read_dem(write(tmp_path / "srtm_ok.tif", voids, transform=grid, crs="EPSG:32650", dtype="int16", nodata=-32768))
    assert int(np.isnan(declared.data).sum()) == 2
    feet = np.full((20, 20), 20_000.0)
    with pytest.raises(errors.InputError, match=r"feet\.tif: 400 pixels .* hold 20000, higher than any ground.*feet or decimetres"):
        read_dem(write(tmp_path / "feet.tif", feet, transform=grid, crs="EPSG:32650"))


# real network: edges are oriented u -> v, and factors follow the terrain -----------------------


@pytest.mark.shared
def test_hangzhou_edges_over_a_northward_plane(hangzhou_walk, tmp_path):
    """A plane rising 5 m per 100 m northward (110 km per degree): each straight edge's factor is Tobler's at its own grade."""
    net = hangzhou_walk
    minx, miny, maxx, maxy = net.bounds()
    res, m_per_deg = 1 / 3600, 110_000.0
    h, w = int((maxy - miny) / res) + 10, int((maxx - minx) / res) + 10
    lat = maxy + 5 * res - (np.arange(h) + 0.5) * res
    data = np.tile((0.05 * m_per_deg * (lat - miny))[:, None], (1, w))  # 0.05 m per nominal metre north
    dem = read_dem(write(tmp_path / "tilt.tif", data, transform=Affine(res, 0, minx - 5 * res, 0, -res, maxy + 5 * res), crs="EPSG:4326"), bounds=net.bounds())
    f = slope.edge_slope_factors(net.edges.geometry, dem, metric_crs=net.metric_crs)
    assert f.n_without_elevation == 0 and f.n_partial_elevation == 0
    g = net.edges.geometry.to_numpy()
    straight = (shapely.get_num_coordinates(g) == 2) & (net.edges["length_m"].to_numpy() > 20)
    assert straight.sum() > 300
    u, v = net.edges["u"].to_numpy()[straight], net.edges["v"].to_numpy()[straight]
    dlat = net.nodes["lat"].to_numpy()[v] - net.nodes["lat"].to_numpy()[u]  # u -> v as the network defines it
    run = shapely.length(shapely.transform(g[straight], lambda xy: np.column_stack(
        pyproj.Transformer.from_crs("EPSG:4326", net.metric_crs, always_xy=True).transform(xy[:, 0], xy[:, 1]))))
    grade = 0.05 * m_per_deg * dlat / run
    np.testing.assert_allclose(f.forward[straight], 1 / slope.tobler_speed_factor(grade), rtol=1e-3)
    np.testing.assert_allclose(f.backward[straight], 1 / slope.tobler_speed_factor(-grade), rtol=1e-3)
