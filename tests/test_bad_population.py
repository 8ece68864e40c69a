"""Bad population input: broken rasters, impossible values and assumptions, overlapping zones and districts.

Each test hands the package one kind of hostile input and checks that it is
either refused with an :class:`~accessibility.errors.InputError` naming the
file and the fix, or accepted with a note that says exactly what happened,
and that nobody is counted twice or silently dropped.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accessibility import cli, errors
from accessibility.readers import rasters, zones
from accessibility.stages import districts as districts_stage

# a tiny 10 x 10 grid of 0.001° pixels (~100 m) around Hangzhou's West Lake
from accessibility.stages import population

WEST, NORTH, RES = 120.145, 30.255, 0.001
GRID = Affine(RES, 0.0, WEST, 0.0, -RES, NORTH)
FOOTPRINT = shapely.box(WEST, NORTH - 10 * RES, WEST + 10 * RES, NORTH)
INNER = shapely.box(120.12, 30.24, 120.17, 30.29)
WUHAN_SMALL = shapely.box(114.28, 30.56, 114.32, 30.60)  # central Wuhan, with lakes (nodata)
M_PER_DEG = 111_320.0


def write(path: Path, data: np.ndarray, *, nodata=None, dtype="float32", transform=GRID, crs="EPSG:4326", **profile) -> Path:
    data = np.asarray(data)
    bands = data if data.ndim == 3 else data[None]
    with rasterio.open(
        path, "w", driver=profile.pop("driver", "GTiff"), width=bands.shape[2], height=bands.shape[1], count=bands.shape[0],
        dtype=dtype, crs=crs, transform=transform, nodata=nodata, **profile,
    ) as dst:
        dst.write(bands.astype(dtype))
    return path


def centres_inside(path: Path, area: shapely.Geometry) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Independent reading: every pixel's value (nodata as NaN), whether it is nodata, whether its centre is inside ``area``."""
    with rasterio.open(path) as src:
        band = src.read(1, masked=True).astype(np.float64)
        t = src.transform
    nodata = np.ma.getmaskarray(band)
    vals = np.where(nodata, np.nan, np.ma.getdata(band))
    rows, cols = np.indices(vals.shape)
    x, y = t.c + (cols + 0.5) * t.a, t.f + (rows + 0.5) * t.e
    return vals.ravel(), nodata.ravel(), shapely.contains_xy(area, x.ravel(), y.ravel())


def people(vals: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(vals) & (vals > 0), vals, 0.0)


# --------------------------------------------------------------------------- 1. nodata, NaN, inf, negative pixels


def test_invalid_pixels_count_as_nobody_and_are_reported(tmp_path):
    data = np.arange(1.0, 101.0).reshape(10, 10)
    data[0, :4] = -9999.0  # 4 nodata
    data[1, 0:3] = np.nan  # 3 NaN
    data[2, 0] = -np.inf
    data[3, 0], data[3, 1] = -5.1, -0.2  # 2 negatives
    data[4, 0] = -1e-9  # float noise: silently nobody
    path = write(tmp_path / "pop.tif", data, nodata=-9999.0, dtype="float64")
    _, _, counts, notes = rasters.raster_points(path, FOOTPRINT)
    assert counts.sum() == pytest.approx(people(np.where(data == -9999.0, np.nan, data)).sum(), rel=1e-12)
    assert len(counts) == 100 - 4 - 3 - 1 - 2 - 1
    assert notes == [
        (
            "pop.tif: 4 pixels inside the study area are nodata (-9999), 3 are NaN, 1 is -infinity and 2 are negative (-5.1 to -0.2); "
            "they count as no people (10.0% of the area's 100 pixels)"
        )
    ]
    # the notes reach the run's Demand (and so the report)
    d = population.demand_from_rasters(FOOTPRINT, population=path)
    assert notes[0] in d.notes and d.total == pytest.approx(counts.sum(), rel=1e-12)


def test_float_noise_is_silent_and_only_inside_pixels_are_counted(tmp_path):
    data = np.full((10, 10), 2.0)
    data[0, 0] = -1e-9
    data[9, 9] = np.nan  # outside the area below: not reported
    path = write(tmp_path / "noise.tif", data, dtype="float64")
    area = shapely.box(WEST, NORTH - 5 * RES, WEST + 5 * RES, NORTH)  # the 5 x 5 top-left pixels
    _, _, counts, notes = rasters.raster_points(path, area)
    assert notes == [] and len(counts) == 24 and counts.sum() == 48.0


def test_undeclared_nodata_value_gets_a_hint(tmp_path):
    data = np.full((10, 10), 3.0)
    data[:3, :] = -9999.0  # a nodata value nobody declared
    path = write(tmp_path / "undeclared.tif", data)
    _, _, counts, notes = rasters.raster_points(path, FOOTPRINT)
    assert counts.sum() == 70 * 3.0
    assert len(notes) == 1
    assert "30 pixels inside the study area are negative (-9999)" in notes[0]
    assert "gdal_edit.py -a_nodata -9999 undeclared.tif" in notes[0]


def test_plus_infinity_is_refused(tmp_path):
    data = np.ones((10, 10))
    data[5, 5] = np.inf
    path = write(tmp_path / "inf.tif", data)
    with pytest.raises(errors.InputError, match=r"inf\.tif: 1 pixel inside the study area is \+infinity.*gdal_calc\.py"):
        rasters.raster_points(path, FOOTPRINT)


@pytest.mark.parametrize("fill", [np.nan, -9999.0], ids=["nan", "nodata"])
def test_area_without_a_valid_pixel_is_refused(tmp_path, fill):
    path = write(tmp_path / "empty.tif", np.full((10, 10), fill), nodata=-9999.0)
    kind = "NaN" if np.isnan(fill) else r"nodata \(-9999\)"
    with pytest.raises(errors.NoOverlapError, match=rf"empty\.tif: no pixel inside the study area holds people: of its 100 pixels 100 are {kind}"):
        rasters.raster_points(path, FOOTPRINT)


def test_nearly_all_invalid_is_refused(tmp_path):
    data = np.full((20, 20), np.nan)
    data[0, 0] = 5.0  # 1 of 400 pixels holds people
    path = write(tmp_path / "holes.tif", data)
    area = shapely.box(WEST, NORTH - 20 * RES, WEST + 20 * RES, NORTH)
    with pytest.raises(errors.InputError, match=r"holes\.tif: 99\.8% of the 400 pixels .*\(399 are NaN\) and only 1 holds people"):
        rasters.raster_points(path, area)


def test_nearly_all_declared_nodata_is_accepted_with_a_note(tmp_path):
    # a constrained raster (WorldPop style): unsettled land is nodata, 99%+ of a rural area
    data = np.full((20, 20), -99999.0)
    data[7, 11] = 42.0
    path = write(tmp_path / "constrained.tif", data, nodata=-99999.0)
    area = shapely.box(WEST, NORTH - 20 * RES, WEST + 20 * RES, NORTH)
    _, _, counts, notes = rasters.raster_points(path, area)
    assert counts.tolist() == [42.0]
    assert notes == ["constrained.tif: 399 pixels inside the study area are nodata (-99999); they count as no people (99.8% of the area's 400 pixels)"]


def test_many_varied_negatives_are_refused(tmp_path):
    density = np.random.default_rng(6).lognormal(0.0, 1.5, (10, 10))  # people per pixel
    path = write(tmp_path / "log10.tif", np.log10(density))  # a log-scale map: about half negative
    with pytest.raises(errors.InputError, match=r"log10\.tif: \d+% of the pixels inside the study area hold negative numbers .*not counts of people"):
        rasters.raster_points(path, FOOTPRINT)


def test_impossible_values_are_refused(tmp_path):
    data = np.ones((10, 10))
    data[2, 3] = 3.4e38  # float32's maximum: a nodata value never declared
    path = write(tmp_path / "max.tif", data)
    with pytest.raises(errors.InputError, match=r"max\.tif: the pixel at lon 120\.14850, lat 30\.25250 holds 3\.4e\+38 people.*gdal_edit\.py -a_nodata"):
        rasters.raster_points(path, FOOTPRINT)


@pytest.mark.shared
def test_wuhan_nodata_pixels_are_counted_in_the_note(wuhan_f):
    _, _, counts, notes = rasters.raster_points(wuhan_f, WUHAN_SMALL)
    vals, _, inside = centres_inside(wuhan_f, WUHAN_SMALL)
    n_nodata = int((inside & np.isnan(vals)).sum())
    assert 100 < n_nodata < inside.sum()  # lakes and rivers in central Wuhan
    assert counts.sum() == pytest.approx(people(vals[inside]).sum(), rel=1e-9)
    assert notes == [
        (
            f"pop_65_f_wuhan.tif: {n_nodata:,} pixels inside the study area are nodata (-3.4e+38); they count as no people "
            f"({n_nodata / inside.sum():.1%} of the area's {int(inside.sum()):,} pixels)"
        )
    ]


# --------------------------------------------------------------------------- 2. rasters that are not population grids


def test_rgb_picture_is_refused(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (3, 10, 10))
    path = write(tmp_path / "photo.tif", rgb, dtype="uint8", photometric="RGB")
    with pytest.raises(errors.InputError, match=r"photo\.tif: the raster has 3 bands \(red, green, blue\); a population raster has one band.*picture"):
        rasters.raster_points(path, FOOTPRINT)


def test_jpeg_in_geotiff_photo_is_refused(tmp_path):
    rgb = np.random.default_rng(1).integers(0, 256, (3, 16, 16))
    path = write(tmp_path / "jpeg.tif", rgb, dtype="uint8", compress="JPEG", photometric="YCBCR")
    with pytest.raises(errors.InputError, match=r"jpeg\.tif: the raster has 3 bands.*picture"):
        population.demand_from_rasters(FOOTPRINT, population=path)


def test_png_picture_is_refused(tmp_path):
    rgb = np.random.default_rng(2).integers(0, 256, (3, 10, 10))
    path = write(tmp_path / "map.png", rgb, dtype="uint8", driver="PNG")
    with pytest.raises(errors.InputError, match=r"map\.png: the raster has 3 bands"):
        rasters.raster_points(path, FOOTPRINT)


def test_single_band_pictures_are_refused(tmp_path):
    gray = np.random.default_rng(3).integers(0, 256, (16, 16))
    jpeg = write(tmp_path / "gray_jpeg.tif", gray, dtype="uint8", compress="JPEG")
    with pytest.raises(errors.InputError, match=r"gray_jpeg\.tif: the raster is JPEG-compressed.*COMPRESS=DEFLATE"):
        rasters.raster_points(jpeg, FOOTPRINT)
    pal = write(tmp_path / "palette.tif", gray[:10, :10], dtype="uint8")
    with rasterio.open(pal, "r+") as dst:
        dst.write_colormap(1, {i: (i, 255 - i, 0, 255) for i in range(256)})
    with pytest.raises(errors.InputError, match=r"palette\.tif: band 1 is a colour palette.*-colorinterp_1 gray"):
        rasters.raster_points(pal, FOOTPRINT)


def test_multiband_age_sex_stack_is_refused_with_the_split_command(tmp_path):
    stack = np.random.default_rng(4).uniform(0, 5, (4, 10, 10))
    path = write(tmp_path / "age_sex.tif", stack)
    with pytest.raises(errors.InputError, match=r"age_sex\.tif: the raster has 4 bands.*one band of people per pixel.*gdal_translate -b 3 age_sex\.tif"):
        population.demand_from_rasters(FOOTPRINT, population=None, older=[path])


# --------------------------------------------------------------------------- 3. truncated and corrupt files


@pytest.mark.shared
def test_truncated_worldpop_raster_is_refused(wuhan_f, tmp_path):
    cut = tmp_path / "pop_65_f_cut.tif"
    data = wuhan_f.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    central = shapely.box(114.2, 30.5, 114.4, 30.65)  # rows 854-1034 of 1668: in the missing half
    with pytest.raises(errors.InputError, match=r"pop_65_f_cut\.tif: the raster cannot be read .*truncated or corrupt.*download or export it again"):
        rasters.raster_points(cut, central)
    with pytest.raises(errors.InputError, match=re.escape("pop_65_f_cut.tif")):
        population.demand_from_rasters(central, population=None, older=[wuhan_f, cut])


@pytest.mark.parametrize("content", [b"\x00" * 10, bytes(range(256)) * 40, b"II*\x00" + bytes(200)], ids=["zeros", "garbage", "tiff-header"])
def test_garbage_with_a_tif_name_is_refused(tmp_path, content):
    path = tmp_path / "garbage.tif"
    path.write_bytes(content)
    with pytest.raises(errors.InputError, match=r"garbage\.tif: not a readable raster.*download the file again"):
        rasters.raster_points(path, FOOTPRINT)


# --------------------------------------------------------------------------- 4. older people within the total


@pytest.fixture(scope="module")
def wuhan_total(wuhan_f, wuhan_m, tmp_path_factory) -> Path:
    """Female + male 65-69 summed into one raster on the same grid: the 'total' of the two bands."""
    with rasterio.open(wuhan_f) as f, rasterio.open(wuhan_m) as m:
        a, b, profile = f.read(1, masked=True), m.read(1, masked=True), f.profile
    total = (a.astype(np.float64) + b.astype(np.float64)).filled(profile["nodata"]).astype("float32")
    path = tmp_path_factory.mktemp("total") / "pop_65_total.tif"
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(total, 1)
    return path


@pytest.mark.shared
def test_older_bands_within_their_total_are_accepted(wuhan_total, wuhan_f, wuhan_m):
    d = population.demand_from_rasters(WUHAN_SMALL, population=wuhan_total, older=[wuhan_f, wuhan_m])
    assert d.total_older == pytest.approx(d.total, rel=1e-6)  # the same people, pixel by pixel
    assert not any("more older people than people" in n for n in d.notes)


@pytest.mark.shared
def test_swapped_total_and_older_rasters_are_refused(wuhan_total, wuhan_f):
    with pytest.raises(errors.InputError) as info:
        population.demand_from_rasters(WUHAN_SMALL, population=wuhan_f, older=[wuhan_total])
    msg = str(info.value)
    t_f = rasters.raster_points(wuhan_f, WUHAN_SMALL)[2].sum()
    t_all = rasters.raster_points(wuhan_total, WUHAN_SMALL)[2].sum()
    assert f"older-age raster pop_65_total.tif holds {t_all:,.0f} people" in msg
    assert f"more than the {t_f:,.0f} of the total-population raster pop_65_f_wuhan.tif" in msg
    assert "probably swapped" in msg


def test_older_bands_together_above_the_total_are_refused(tmp_path):
    total = write(tmp_path / "total.tif", np.full((10, 10), 10.0))
    bands = [write(tmp_path / f"age{k}.tif", np.full((10, 10), 4.0)) for k in range(3)]  # 12 older people per 10
    with pytest.raises(errors.InputError, match=r"older-age rasters age0\.tif \(400\) \+ age1\.tif \(400\) \+ age2\.tif \(400\) hold 1,200 .* 1,000 .*together exceed"):
        population.demand_from_rasters(FOOTPRINT, population=total, older=bands)


def test_older_above_total_pixel_by_pixel(tmp_path):
    rng = np.random.default_rng(5)
    tot = rng.uniform(10, 20, (10, 10))
    total = write(tmp_path / "total.tif", tot, dtype="float64")
    few = 0.2 * tot
    few[0, 0], few[0, 1] = tot[0, 0] + 3.0, tot[0, 1] + 2.0  # two pixels: noted
    d = population.demand_from_rasters(FOOTPRINT, population=total, older=[write(tmp_path / "few.tif", few, dtype="float64")])
    assert d.total_older == pytest.approx(few.sum(), rel=1e-12)
    assert any(n.startswith("few.tif (older) and total.tif (total): on 2 of the 100 pixels with older people there are more older") for n in d.notes)
    shuffled = rng.permutation((0.5 * tot).ravel()).reshape(10, 10)  # half the total, but in the wrong places
    shuffled[tot < 15] = 0.9 * tot.max()
    shuffled *= 0.8 * tot.sum() / shuffled.sum()
    path = write(tmp_path / "shuffled.tif", shuffled, dtype="float64")
    with pytest.raises(errors.InputError, match=r"shuffled\.tif \(older\) and total\.tif \(total\): on \d+ of the 100 pixels with older people.*do not describe the same people"):
        population.demand_from_rasters(FOOTPRINT, population=total, older=[path])


def test_same_raster_twice_is_refused(tmp_path):
    path = write(tmp_path / "pop.tif", np.ones((10, 10)))
    with pytest.raises(errors.InputError, match=r"pop\.tif: the same raster is given twice"):
        population.demand_from_rasters(FOOTPRINT, population=path, older=[path])


# --------------------------------------------------------------------------- 5. estimate assumptions


@pytest.mark.parametrize(
    ("field", "value", "unit"),
    [
        ("total", -1000.0, "people living in the study area"),
        ("total", float("nan"), "people living in the study area"),
        ("total", float("inf"), "people living in the study area"),
        ("total", 0, "people living in the study area"),
        ("total", "1000", "people living in the study area"),
        ("total", True, "people living in the study area"),
        ("older_share", 1.5, "older people per person"),
        ("older_share", -0.1, "older people per person"),
        ("older_share", float("nan"), "older people per person"),
        ("floor_area_per_person_m2", 0.0, "m² of housing floor area per person"),
        ("floor_area_per_person_m2", float("inf"), "m² of housing floor area per person"),
        ("default_levels", 0.0, "floors"),
        ("default_levels", 1e6, "floors"),
        ("street_people_per_km", -500.0, "residents per km"),
        ("street_people_per_km", float("nan"), "residents per km"),
    ],
)
def test_estimate_assumptions_are_checked(field, value, unit):
    with pytest.raises(errors.InputError, match=rf"population estimate: {field}.* must be a finite number of {unit}.*got {value!r}"):
        population.EstimateAssumptions(**{field: value})


def test_plausible_estimate_assumptions_are_accepted():
    a = population.EstimateAssumptions(total=850_000, older_share=0.0, floor_area_per_person_m2=33.5, default_levels=18, street_people_per_km=1200)
    assert a.total == 850_000
    assert population.EstimateAssumptions(older_share=1.0).older_share == 1.0


@pytest.mark.parametrize("value", ["-1000", "nan"])
def test_cli_population_total_is_refused(hangzhou_pbf, tmp_path, capsys, value):
    try:  # refused by EstimateAssumptions (exit code 2), or already by the argument parser (SystemExit 2)
        code = cli.main(["-q", "run", "--osm", str(hangzhou_pbf), "--population-total", value, "--out", str(tmp_path / "o")])
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    assert "--population-total" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_older_share_arguments_are_checked(tmp_path):
    path = write(tmp_path / "pop.tif", np.ones((10, 10)))
    with pytest.raises(errors.InputError, match="a fraction"):
        population.demand_from_rasters(FOOTPRINT, population=path, older_share=18.7)
    frame = gpd.GeoDataFrame({"zone_id": ["a"], "zone_name": ["a"], "pop": [100.0], "older": [np.nan]}, geometry=[FOOTPRINT], crs=4326)
    with pytest.raises(errors.InputError, match="a fraction"):
        population.demand_from_zones(frame, FOOTPRINT, older_share=float("nan"))


# --------------------------------------------------------------------------- 6. overlapping population zones


def _sliver_boxes(width_m: float) -> list[shapely.Polygon]:
    """Two zones splitting INNER at 120.145 E, the first reaching ``width_m`` into the second."""
    d = width_m / (M_PER_DEG * np.cos(np.radians(30.265)))
    return [shapely.box(120.12, 30.24, 120.145 + d, 30.29), shapely.box(120.145, 30.24, 120.17, 30.29)]


def test_streets_and_communities_mixed_are_refused(tmp_path):
    west, east = _sliver_boxes(0)
    community = shapely.box(120.125, 30.25, 120.135, 30.26)  # inside the first street
    frame = gpd.GeoDataFrame(
        {"code": ["330106001", "330106002", "330106001001"], "name": ["北山街道", "西溪街道", "保俶社区"], "常住人口": [30000, 25000, 4000]},
        geometry=[west, east, community], crs=4326,
    )
    frame.to_file(tmp_path / "mixed.geojson")
    with pytest.raises(errors.InputError) as info:
        zones.zones_from_file(tmp_path / "mixed.geojson")
    msg = str(info.value)
    assert msg.startswith("zones mixed.geojson: zone 330106001 北山街道 (row 1) and zone 330106001001 保俶社区 (row 3) overlap by 1.0")
    assert "100% of the smaller" in msg and "counted twice" in msg and "街道" in msg and "社区" in msg


def test_zone_without_a_count_may_overlap(tmp_path):
    west, east = _sliver_boxes(0)
    lake = shapely.box(120.125, 30.25, 120.135, 30.26)  # inside zone a, without a count
    frame = gpd.GeoDataFrame({"name": ["a", "b", "lake"], "pop": [1000, 2000, None]}, geometry=[west, east, lake], crs=4326)
    frame.to_file(tmp_path / "z.gpkg")
    got, rejects, notes = zones.zones_from_file(tmp_path / "z.gpkg")
    assert list(rejects["action"]) == ["rejected", "no_count"] and list(rejects["source_row"]) == [3, 3]
    assert not any("overlap" in n for n in notes)
    assert population.demand_from_zones(got, INNER, cell_m=250).total == pytest.approx(3000, rel=1e-12)


def test_zone_slivers_are_noted_and_nobody_counts_twice(tmp_path):
    polys = _sliver_boxes(3.0)  # a 3 m x 5.5 km strip in both zones: digitising noise
    gpd.GeoDataFrame({"name": ["甲", "乙"], "pop": [1000, 2000]}, geometry=polys, crs=4326).to_file(tmp_path / "sliver.geojson")
    frame, _, notes = zones.zones_from_file(tmp_path / "sliver.geojson")
    assert len(notes) == 1 and notes[0].startswith("zones sliver.geojson: 1 sliver where polygons overlap")
    assert "the largest 16,6" in notes[0] and "belongs to the polygon earlier in the file" in notes[0]
    g = frame.geometry.to_numpy()
    assert shapely.area(shapely.intersection(g[0], g[1])) < 1e-12  # the sliver is the first zone's
    assert shapely.area(g[0]) == pytest.approx(shapely.area(polys[0]), rel=1e-12)
    d = population.demand_from_zones(frame, INNER, cell_m=100)
    assert d.total == pytest.approx(3000, rel=1e-12)
    in_second = shapely.contains_xy(g[1], d.lon, d.lat)
    assert d.pop[in_second].sum() == pytest.approx(2000, rel=1e-9)
    assert not shapely.contains_xy(shapely.intersection(*polys), d.lon, d.lat)[in_second].any()


def test_block_drawn_twice_is_refused_whatever_its_share(tmp_path):
    # two 10 km zones; a ~400 m block of the second is also drawn in the first: 0.2% of either, but no digitising noise
    block = shapely.box(120.1, 30.05, 120.104, 30.054)
    polys = [shapely.union(shapely.box(120.0, 30.0, 120.1, 30.1), block), shapely.box(120.1, 30.0, 120.2, 30.1)]
    gpd.GeoDataFrame({"name": ["甲", "乙"], "pop": [50_000, 60_000]}, geometry=polys, crs=4326).to_file(tmp_path / "twice.geojson")
    with pytest.raises(errors.InputError, match=r"zones twice\.geojson: zone zone1 甲 \(row 1\) and zone zone2 乙 \(row 2\) overlap by 0\.1[5-7] km², 0\.1[5-7]% of the smaller"):
        zones.zones_from_file(tmp_path / "twice.geojson")


def test_hand_made_overlapping_zone_frame_is_refused():
    frame = gpd.GeoDataFrame(
        {"zone_id": ["a", "b"], "zone_name": ["A", "B"], "pop": [1000.0, 500.0], "older": [np.nan, np.nan], "source_row": [1, 2]},
        geometry=[shapely.box(120.12, 30.24, 120.16, 30.28), shapely.box(120.15, 30.24, 120.17, 30.28)], crs=4326,
    )
    with pytest.raises(errors.InputError, match=r"zones census\.csv: zone a A \(row 1\) and zone b B \(row 2\) overlap by [\d.]+ km², 50% of the smaller"):
        population.demand_from_zones(frame, INNER, source="census.csv")


# --------------------------------------------------------------------------- 7. overlapping districts


@pytest.fixture(scope="module")
def cities_and_districts(shared_data, tmp_path_factory) -> Path:
    """Zhejiang's 11 cities and Hangzhou's 13 districts in one DataV-style file: two levels mixed."""
    src = shared_data / "zhejiang_admin_boundaries_datav"
    cities, hz = gpd.read_file(src / "330000_full.json"), gpd.read_file(src / "330100_full.json")
    mixed = pd.concat([cities[["adcode", "name", "geometry"]], hz[["adcode", "name", "geometry"]]], ignore_index=True)
    path = tmp_path_factory.mktemp("mixed") / "cities_and_districts.geojson"
    mixed.to_file(path)
    mixed.assign(常住人口=100_000).to_file(path.with_name("zones_mixed.geojson"))
    return path


@pytest.mark.shared
def test_datav_cities_and_districts_mixed_are_refused(cities_and_districts):
    with pytest.raises(errors.InputError, match=r"districts cities_and_districts\.geojson: district 330100 杭州市 \(feature 1\) and district 3301\d\d \S+ \(feature \d+\) overlap by [\d,.]+ km², 100% of the smaller \(12 more pairs overlap\).*one district only"):
        zones.districts_from_file(cities_and_districts, crs="gcj02")
    with pytest.raises(errors.InputError, match=r"zones zones_mixed\.geojson: zone 330100 杭州市 \(row 1\) and zone 3301\d\d .*counted twice"):
        zones.zones_from_file(cities_and_districts.with_name("zones_mixed.geojson"), crs="gcj02")


@pytest.mark.shared
def test_datav_districts_are_a_partition(shared_data):
    frame, notes = zones.districts_from_file(shared_data / "zhejiang_admin_boundaries_datav" / "330100_full.json", crs="gcj02")
    assert len(frame) == 13 and not any("sliver" in n for n in notes)


def test_district_of_points_refuses_nested_districts():
    districts = gpd.GeoDataFrame(
        {"district_id": ["330100", "330106"], "district_name": ["杭州市", "西湖区"]},
        geometry=[shapely.box(119, 29, 121, 31), shapely.box(120.0, 30.1, 120.2, 30.3)], crs=4326,
    )
    with pytest.raises(errors.InputError, match=r"districts: district 330100 杭州市 \(row 1\) and district 330106 西湖区 \(row 2\) overlap .*100% of the smaller"):
        districts_stage.district_of_points(districts, np.array([120.1]), np.array([30.2]))


def test_district_slivers_and_borders_go_to_the_lower_row(tmp_path):
    polys = _sliver_boxes(3.0)
    gpd.GeoDataFrame({"name": ["甲", "乙"]}, geometry=polys, crs=4326).to_file(tmp_path / "d.geojson")
    frame, notes = zones.districts_from_file(tmp_path / "d.geojson")
    assert any(n.startswith("districts d.geojson: 1 sliver where polygons overlap") for n in notes)
    in_sliver = shapely.get_coordinates(shapely.point_on_surface(shapely.intersection(*polys)))[0]
    on_border = (120.145, 30.26)
    lon, lat = np.array([in_sliver[0], on_border[0], 120.16]), np.array([in_sliver[1], on_border[1], 30.26])
    assert list(districts_stage.district_of_points(frame, lon, lat)) == [0, 0, 1]
    # the raw (overlapping) polygons in either order: the lower row gets both shared points, and every district keeps people
    raw = gpd.GeoDataFrame({"district_id": ["1", "2"], "district_name": ["甲", "乙"]}, geometry=polys, crs=4326)
    assert list(districts_stage.district_of_points(raw, lon, lat)) == [0, 0, 1]
    assert list(districts_stage.district_of_points(raw.iloc[::-1].reset_index(drop=True), lon, lat)) == [0, 0, 0]


# --------------------------------------------------------------------------- 8. property: totals or a clear refusal

_POSITIVE = st.floats(0.0, 1e4)
_INVALID = st.sampled_from([np.nan, -np.inf, -9999.0, -1e-9, -3.5, 0.0, 5e-324])
_VALUES = st.one_of(_POSITIVE, _POSITIVE, _POSITIVE, _INVALID, _INVALID)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.integers(1, 8).flatmap(lambda h: st.integers(1, 8).flatmap(lambda w: st.lists(st.lists(_VALUES, min_size=w, max_size=w), min_size=h, max_size=h))),
    poison=st.sampled_from([None, None, None, np.inf, 3.4e38]),  # at one random pixel: refused when inside the area
    where=st.integers(0, 63),
    nodata=st.sampled_from([None, -9999.0]),
    dtype=st.sampled_from(["float32", "float64"]),
    box=st.tuples(st.floats(-0.3, 0.8), st.floats(-0.3, 0.8), st.floats(0.3, 1.5), st.floats(0.3, 1.5)),
)
def test_property_totals_or_a_clear_refusal(data, poison, where, nodata, dtype, box):
    """Random rasters of NaN, inf, negative, nodata and finite pixels: the exact total of the positive pixels inside, or an InputError."""
    data = np.array(data, dtype=np.float64)
    if poison is not None:
        data.flat[where % data.size] = poison
    h, w = data.shape
    x0, y0 = WEST + box[0] * w * RES, NORTH - (box[1] + box[3]) * h * RES
    area = shapely.box(x0, y0, x0 + box[2] * w * RES, y0 + box[3] * h * RES)
    tmp = Path(tempfile.mkdtemp())
    try:
        path = write(tmp / "r.tif", data, nodata=nodata, dtype=dtype)
        vals, nodata_px, inside = centres_inside(path, area)
        expected = people(vals[inside]).sum()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", errors.DataQualityWarning)  # areas partly off the raster
                d = population.demand_from_rasters(area, population=path)
        except errors.InputError as exc:
            event(f"refused: {type(exc).__name__}")
            assert "r.tif" in str(exc)  # noqa: PT017 - a property test: a refusal is one valid outcome, and it must name the file
            # refused only for a reason: +inf or a value no place reaches, no one inside, (nearly) all broken, varied negatives
            v, declared = vals[inside], nodata_px[inside]
            with np.errstate(invalid="ignore"):
                absurd = (v == np.inf) | (v > 1e30)
                negative = np.isfinite(v) & (v < -1e-6)
            broken = (~np.isfinite(v) & ~declared) | negative
            n, numbers = int(inside.sum()), int(np.isfinite(v).sum())
            varied = negative.sum() >= 10 and negative.sum() > 0.05 * numbers and v[negative].min() != v[negative].max()
            assert absurd.any() or expected == 0 or (n >= 100 and broken.sum() >= 0.99 * n) or varied
            return
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    event("accepted")
    assert d.total == pytest.approx(expected, rel=1e-9, abs=1e-300)
    assert np.isfinite(d.pop).all() and (d.pop > 0).all()
