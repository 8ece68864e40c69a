"""Population rasters to demand points: totals checked against rasterio's own masking."""

from __future__ import annotations

import re
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
import rasterio.mask
import shapely
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import mapping

from accessibility import errors, network
from accessibility.readers import rasters

# Inside Wuhan (raster bounds lon 113.692-115.077, lat 29.972-31.362)
from accessibility.stages import goals, hexes, population

WUHAN_BOX = shapely.box(114.2, 30.5, 114.4, 30.65)
# A non-rectangular study area: an irregular heptagon around central Wuhan
WUHAN_POLY = shapely.Polygon(
    [(114.21, 30.52), (114.30, 30.49), (114.41, 30.55), (114.43, 30.63), (114.35, 30.68), (114.27, 30.64), (114.24, 30.60)]
)
HANGZHOU_BOX = shapely.box(120.10, 30.23, 120.185, 30.296)


def mask_sum(path: Path, area_wgs84: shapely.Geometry) -> tuple[float, int]:
    """Independent total: rasterio.mask (pixel centres, all_touched=False), nodata/NaN/negatives as 0."""
    with rasterio.open(path) as src:
        geom = area_wgs84
        if src.crs.to_epsg() != 4326:
            to = pyproj.Transformer.from_crs("EPSG:4326", src.crs, always_xy=True)
            geom = shapely.transform(shapely.segmentize(area_wgs84, 0.0005), lambda xy: np.column_stack(to.transform(xy[:, 0], xy[:, 1])))
        with warnings.catch_warnings():
            # rasterio 1.4 itself still multiplies Affine objects with `*` (affine 3 deprecation)
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            data, _ = rasterio.mask.mask(src, [mapping(geom)], crop=True, all_touched=False, filled=False)
    band = data[0].astype(np.float64)
    vals = np.where(np.ma.getmaskarray(band), 0.0, np.ma.getdata(band))
    vals = np.where(np.isfinite(vals) & (vals > 0), vals, 0.0)
    return float(vals.sum()), int((vals > 0).sum())


def raster_total(path: Path) -> float:
    with rasterio.open(path) as src:
        a = src.read(1, masked=True).astype(np.float64)
    vals = np.where(np.ma.getmaskarray(a), 0.0, np.ma.getdata(a))
    return float(np.where(np.isfinite(vals) & (vals > 0), vals, 0.0).sum())


def from_origin(west: float, north: float, xsize: float, ysize: float) -> Affine:
    """North-up geotransform (rasterio's own from_origin multiplies Affines with the deprecated ``*``)."""
    return Affine(xsize, 0.0, west, 0.0, -ysize, north)


def write_raster(path: Path, data: np.ndarray, *, crs, transform, nodata=None, dtype="float32") -> Path:
    with rasterio.open(
        path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1, dtype=dtype, crs=crs, transform=transform, nodata=nodata
    ) as dst:
        dst.write(data.astype(dtype), 1)
    return path


# --------------------------------------------------------------------------- Wuhan WorldPop rasters


@pytest.mark.parametrize("area", [WUHAN_BOX, WUHAN_POLY], ids=["box", "polygon"])
def test_raster_points_total_matches_rasterio_mask(wuhan_f, area):
    x, y, counts, notes = rasters.raster_points(wuhan_f, area)
    expected, n_pixels = mask_sum(wuhan_f, area)
    assert expected > 10_000  # central Wuhan: tens of thousands of women aged 65-69
    assert counts.sum() == pytest.approx(expected, rel=1e-3)
    assert len(counts) == pytest.approx(n_pixels, rel=5e-3)
    # every demand point lies in the area, carries people and is a pixel centre
    assert shapely.contains_xy(area, x, y).all()
    assert (counts > 0).all() and np.isfinite(counts).all()
    res = 0.0008333333
    with rasterio.open(wuhan_f) as src:
        col = (x - src.bounds.left) / res
        row = (src.bounds.top - y) / res
    np.testing.assert_allclose(col % 1.0, 0.5, atol=1e-3)
    np.testing.assert_allclose(row % 1.0, 0.5, atol=1e-3)
    assert len(notes) == 1 and "pixels inside the study area are nodata (-3.4e+38); they count as no people" in notes[0]


def test_raster_points_counts_are_the_pixel_values(wuhan_f):
    small = shapely.box(114.30, 30.58, 114.31, 30.59)
    x, y, counts, _ = rasters.raster_points(wuhan_f, small)
    with rasterio.open(wuhan_f) as src:
        vals = np.array([v[0] for v in src.sample(list(zip(x, y, strict=True)))], dtype=np.float64)
    np.testing.assert_allclose(counts, vals, rtol=1e-6)


def test_older_rasters_are_summed(wuhan_f, wuhan_m):
    d = population.demand_from_rasters(WUHAN_POLY, population=None, older=[wuhan_f, wuhan_m])
    f = mask_sum(wuhan_f, WUHAN_POLY)[0]
    m = mask_sum(wuhan_m, WUHAN_POLY)[0]
    assert d.total_older == pytest.approx(f + m, rel=1e-3)
    f_pts = rasters.raster_points(wuhan_f, WUHAN_POLY)[2].sum()
    m_pts = rasters.raster_points(wuhan_m, WUHAN_POLY)[2].sum()
    assert d.total_older == pytest.approx(f_pts + m_pts, rel=1e-9)
    assert d.total == 0.0  # no total-population raster given
    assert not d.is_estimate
    assert "pop_65_f_wuhan.tif" in d.older_source and "pop_65_m_wuhan.tif" in d.older_source


def test_total_raster_with_older_raster(wuhan_f, wuhan_m):
    d = population.demand_from_rasters(WUHAN_BOX, population=wuhan_f, older=[wuhan_m])
    assert d.total == pytest.approx(mask_sum(wuhan_f, WUHAN_BOX)[0], rel=1e-3)
    assert d.total_older == pytest.approx(mask_sum(wuhan_m, WUHAN_BOX)[0], rel=1e-3)
    assert d.source == "raster: pop_65_f_wuhan.tif"


def test_older_share_applies_without_older_raster(wuhan_f):
    default = population.demand_from_rasters(WUHAN_BOX, population=wuhan_f)
    assert default.total_older == pytest.approx(default.total * population.ZHEJIANG_OLDER_SHARE_2020)
    given_share = population.demand_from_rasters(WUHAN_BOX, population=wuhan_f, older_share=0.3)
    assert given_share.total_older == pytest.approx(given_share.total * 0.3)
    assert given_share.total == pytest.approx(default.total)


def test_demand_from_rasters_needs_a_raster():
    with pytest.raises(errors.InputError):
        population.demand_from_rasters(WUHAN_BOX, population=None, older=[])


def test_raster_not_overlapping_raises_no_overlap(wuhan_f):
    with pytest.raises(errors.NoOverlapError, match=re.escape("pop_65_f_wuhan.tif")):
        rasters.raster_points(wuhan_f, HANGZHOU_BOX)
    with pytest.raises(errors.NoOverlapError):
        population.demand_from_rasters(HANGZHOU_BOX, population=None, older=[wuhan_f])


def test_raster_partly_outside_area_warns(wuhan_f):
    # about half of this box lies west of the raster's edge (113.692 E); people live at the edge there
    half_out = shapely.box(113.65, 30.38, 113.73, 30.41)
    with pytest.warns(errors.DataQualityWarning, match="covers only"):
        _, _, counts, notes = rasters.raster_points(wuhan_f, half_out)
    assert notes and "covers only" in notes[0]
    assert counts.sum() == pytest.approx(mask_sum(wuhan_f, half_out)[0], rel=1e-3)


# --------------------------------------------------------------------------- rasters in another CRS


@pytest.fixture(scope="module")
def wuhan_utm_raster(wuhan_f, tmp_path_factory) -> Path:
    """Real Wuhan pixel values laid out on a 100 m UTM 50N grid (EPSG:32650)."""
    with rasterio.open(wuhan_f) as src:
        window = rasterio.windows.Window(600, 800, 220, 180)
        data = src.read(1, window=window, masked=True).filled(-1.0)  # nodata -> -1 (no people)
    utm = pyproj.CRS.from_epsg(32650)
    x0, y0 = pyproj.Transformer.from_crs("EPSG:4326", utm, always_xy=True).transform(114.25, 30.62)
    path = tmp_path_factory.mktemp("utm") / "wuhan_utm50n.tif"
    return write_raster(path, data, crs=utm, transform=from_origin(round(x0), round(y0), 100.0, 100.0), nodata=-1.0)


def _footprint_wgs84(path: Path) -> shapely.Geometry:
    with rasterio.open(path) as src:
        box = shapely.segmentize(shapely.box(*src.bounds), 10.0)
        to = pyproj.Transformer.from_crs(src.crs, "EPSG:4326", always_xy=True)
    return shapely.transform(box, lambda xy: np.column_stack(to.transform(xy[:, 0], xy[:, 1])))


def test_reprojected_raster_conserves_total(wuhan_utm_raster):
    total = raster_total(wuhan_utm_raster)
    assert total > 1000
    x, y, counts, notes = rasters.raster_points(wuhan_utm_raster, _footprint_wgs84(wuhan_utm_raster))
    assert counts.sum() == pytest.approx(total, rel=1e-9)
    assert len(notes) == 1 and "pixels inside the study area are nodata (-1)" in notes[0]
    # demand points come back in WGS-84, inside the raster's footprint near 114.25-114.5 E, 30.46-30.62 N
    assert 114.2 < x.min() < x.max() < 114.5 and 30.4 < y.min() < y.max() < 30.63


def test_reprojected_raster_in_larger_area_conserves_total_and_warns(wuhan_utm_raster):
    big = shapely.box(114.0, 30.3, 114.7, 30.8)
    with pytest.warns(errors.DataQualityWarning):
        _, _, counts, _ = rasters.raster_points(wuhan_utm_raster, big)
    assert counts.sum() == pytest.approx(raster_total(wuhan_utm_raster), rel=1e-9)


def test_reprojected_raster_polygon_matches_rasterio_mask(wuhan_utm_raster):
    inner = shapely.Polygon([(114.28, 30.50), (114.40, 30.52), (114.42, 30.58), (114.33, 30.60), (114.29, 30.56)])
    _, _, counts, _ = rasters.raster_points(wuhan_utm_raster, inner)
    assert counts.sum() == pytest.approx(mask_sum(wuhan_utm_raster, inner)[0], rel=1e-3)


def test_web_mercator_raster_with_nodata_nan_and_negatives(tmp_path):
    to_merc = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    x0, y0 = to_merc.transform(120.15, 30.28)
    data = np.array(
        [
            [1.0, 2.0, -9999.0, 4.0],
            [np.nan, 5.5, -3.0, 0.0],
            [7.0, -9999.0, 1.25, 2.25],
        ]
    )
    path = write_raster(tmp_path / "merc.tif", data, crs="EPSG:3857", transform=from_origin(x0, y0, 250.0, 250.0), nodata=-9999.0)
    _, _, counts, _ = rasters.raster_points(path, _footprint_wgs84(path))
    assert counts.sum() == pytest.approx(1 + 2 + 4 + 5.5 + 7 + 1.25 + 2.25)
    assert len(counts) == 7


def test_raster_errors(tmp_path, wuhan_f):
    with pytest.raises(errors.InputFileNotFoundError, match=re.escape("nope.tif")):
        rasters.raster_points(tmp_path / "nope.tif", WUHAN_BOX)
    bad = tmp_path / "not_a_raster.tif"
    bad.write_text("hello", encoding="utf-8")
    with pytest.raises(errors.InputError, match=re.escape("not_a_raster.tif")):
        rasters.raster_points(bad, WUHAN_BOX)
    no_crs = write_raster(tmp_path / "nocrs.tif", np.ones((3, 3)), crs=None, transform=from_origin(114.2, 30.6, 0.001, 0.001))
    with pytest.raises(errors.InputError, match="coordinate reference system"):
        rasters.raster_points(no_crs, WUHAN_BOX)


# --------------------------------------------------------------------------- properties: totals are conserved


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.tuples(st.integers(1, 8), st.integers(1, 8)),
    seed=st.integers(0, 2**32 - 1),
    res=st.sampled_from([0.0005, 0.00083333, 0.001]),
    crs=st.sampled_from(["EPSG:4326", "EPSG:32650"]),
)
def test_property_raster_total_conserved(shape, seed, res, crs):
    rng = np.random.default_rng(seed)
    data = rng.uniform(-1, 50, shape)
    data[rng.random(shape) < 0.2] = -9999.0
    data[rng.random(shape) < 0.1] = np.nan
    transform = from_origin(114.3, 30.6, res, res) if crs == "EPSG:4326" else from_origin(780_000.0, 3_390_000.0, res * 1e5, res * 1e5)
    with tempfile.TemporaryDirectory() as d:
        path = write_raster(Path(d) / "r.tif", data, crs=crs, transform=transform, nodata=-9999.0, dtype="float64")
        expected = raster_total(path)
        if expected == 0:
            with pytest.raises(errors.NoOverlapError):
                rasters.raster_points(path, _footprint_wgs84(path))
            return
        _, _, counts, _ = rasters.raster_points(path, _footprint_wgs84(path))
    assert counts.sum() == pytest.approx(expected, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    pts=st.lists(st.tuples(st.floats(120.10, 120.18), st.floats(30.23, 30.29), st.floats(0, 1000)), min_size=1, max_size=40),
    res=st.integers(7, 10),
)
def test_property_hex_totals_conserve_population(pts, res):
    lon = np.array([p[0] for p in pts])
    lat = np.array([p[1] for p in pts])
    w = np.array([p[2] for p in pts])
    cells = hexes.cells_of_points(lon, lat, res)
    ids = hexes.cell_str(cells)
    covered = w > 500
    table = goals.hex_goal_columns("g", pd.Index(np.unique(ids)), ids, w, covered)
    assert table["g_eligible_pop"].sum() == pytest.approx(w.sum())
    assert table["g_covered_pop"].sum() == pytest.approx(w[covered].sum())
    share = table["g_share"].to_numpy()
    ok = np.isfinite(share)
    assert ((share[ok] >= 0) & (share[ok] <= 1 + 1e-12)).all()


# --------------------------------------------------------------------------- estimates without a raster


def test_street_estimate_on_a_toy_network():
    # one street of ~963 m along 30 N; 8,000 people per km of residential street by default
    net = network.graph_from_arrays([120.0, 120.01], [30.0, 30.0], [0], [1])
    area = shapely.box(119.99, 29.99, 120.02, 30.01)
    net.edges["highway"] = "residential"
    d = population.demand_from_streets(net, area, population.EstimateAssumptions())
    assert d.is_estimate and "estimate" in d.source and "±50%" in d.source and d.quality == "street_fallback"
    assert d.total == pytest.approx(net.edges["length_m"].iloc[0] / 1000 * 8000, rel=5e-3)
    assert [f.code for f in d.flags] == ["population.street_fallback"]
    # no residential street: every street counts, at a quarter of the rate, and the note says how rough that is
    net.edges["highway"] = "primary"
    rough = population.demand_from_streets(net, area, population.EstimateAssumptions())
    assert rough.total == pytest.approx(d.total / 4, rel=1e-6) and "within a factor of 5" in rough.source
    net.edges["highway"] = "residential"
    assert d.total_older == pytest.approx(d.total * population.ZHEJIANG_OLDER_SHARE_2020)
    # only the part of the street inside the area counts
    half = population.demand_from_streets(net, shapely.box(119.99, 29.99, 120.005, 30.01), population.EstimateAssumptions())
    assert half.total == pytest.approx(d.total / 2, rel=0.05)
    scaled = population.demand_from_streets(net, area, population.EstimateAssumptions(total=12345.0))
    assert scaled.total == pytest.approx(12345.0)
    assert any("12,345" in n for n in scaled.notes)


def test_demand_concat_keeps_every_point():
    a = population.Demand(np.array([1.0]), np.array([2.0]), np.array([3.0]), np.array([0.5]), "a", "a", False, ["n1"])
    b = population.Demand(np.array([4.0, 5.0]), np.array([6.0, 7.0]), np.array([1.0, 2.0]), np.array([0.0, 1.0]), "b", "b", True, ["n2"])
    c = population.Demand.concat([a, b], source="s", older_source="o", is_estimate=True)
    assert len(c) == 3 and c.total == 6.0 and c.total_older == 1.5
    assert c.notes == ["n1", "n2"]
