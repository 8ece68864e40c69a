"""Building footprints as numbers (accessibility.readers.footprints) against shapely polygons."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from accessibility.readers import footprints, osm
from accessibility.stages import population


def _rings_from_polygons(polys: list[shapely.Polygon]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    coords = [np.asarray(p.exterior.coords) for p in polys]
    xy = np.concatenate(coords)
    return xy[:, 0], xy[:, 1], np.array([len(c) for c in coords])


def test_square_by_hand():
    # a 0.001° square at the equator: ~111.3 m x ~110.6 m; centre in the middle
    lon, lat, counts = _rings_from_polygons([shapely.box(120.0, 0.0, 120.001, 0.001)])
    area, cx, cy = footprints.ring_stats(lon, lat, counts)
    assert cx[0] == pytest.approx(120.0005, abs=1e-12) and cy[0] == pytest.approx(0.0005, abs=1e-12)
    assert area[0] == pytest.approx(111.319 * 110.574, rel=2e-3)


def test_area_equals_projected_area_in_utm():
    # an L-shaped building in Hangzhou: its ellipsoidal area is UTM 51N's over the projection's areal scale
    l_shape = shapely.Polygon([(120.15, 30.25), (120.1506, 30.25), (120.1506, 30.2502), (120.1502, 30.2502), (120.1502, 30.2506), (120.15, 30.2506)])
    area, cx, cy = footprints.ring_stats(*_rings_from_polygons([l_shape]))
    to_utm = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32651", always_xy=True)
    utm = shapely.transform(l_shape, lambda xy: np.column_stack(to_utm.transform(xy[:, 0], xy[:, 1])))
    # UTM's areal scale there (~1.001, 2.85° from the central meridian) is the only difference
    scale = pyproj.Proj("EPSG:32651").get_factors(cx[0], cy[0]).areal_scale
    assert area[0] * scale == pytest.approx(utm.area, rel=1e-6)
    centroid = l_shape.centroid
    assert (cx[0], cy[0]) == pytest.approx((centroid.x, centroid.y), abs=1e-12)


def test_polygon_area_equals_geodesic_area():
    """Facility areas (parks up to ~10 km, holes, multipolygons) against pyproj's ellipsoidal geodesic area."""
    geod = pyproj.Geod(ellps="WGS84")
    park = shapely.Polygon(shapely.box(120.10, 30.20, 120.20, 30.29).exterior.coords, [shapely.box(120.12, 30.22, 120.15, 30.24).exterior.coords])
    north = shapely.MultiPolygon([shapely.box(126.6, 45.7, 126.61, 45.71), shapely.box(126.62, 45.7, 126.625, 45.72)])
    sliver = shapely.Polygon([(120.0, 30.0), (120.0003, 30.0), (120.0003, 30.00001), (120.0, 30.0)])
    got = footprints.polygon_area_m2(np.array([park, north, sliver, shapely.Point(120, 30)], dtype=object))
    def geodesic(ring) -> float:
        return abs(geod.geometry_area_perimeter(shapely.Polygon(ring))[0])

    want = [geodesic(park.exterior) - geodesic(park.interiors[0]), sum(geodesic(p.exterior) for p in north.geoms), geodesic(sliver.exterior)]
    np.testing.assert_allclose(got[:3], want, rtol=5e-5)
    assert got[3] == 0.0 and len(footprints.polygon_area_m2(np.array([], dtype=object))) == 0


def test_degenerate_and_bad_input():
    flat = shapely.LineString([(1, 1), (2, 2), (3, 3), (1, 1)])
    area, cx, cy = footprints.ring_stats(*_rings_from_polygons([shapely.Polygon(flat.coords)]))
    assert area[0] == 0 and (cx[0], cy[0]) == pytest.approx((1.75, 1.75))  # mean of the 4 points
    with pytest.raises(ValueError, match="at least 4 points"):
        footprints.ring_stats(np.zeros(3), np.zeros(3), np.array([3]))
    empty = footprints.ring_stats(np.zeros(0), np.zeros(0), np.zeros(0, np.int64))
    assert all(len(a) == 0 for a in empty)


@st.composite
def _polygons(draw):
    """Star-shaped (so valid) rings of 3-12 corners around points near Hangzhou, either orientation."""
    out = []
    for _ in range(draw(st.integers(1, 6))):
        n = draw(st.integers(3, 12))
        cx = draw(st.floats(119.0, 122.0))
        cy = draw(st.floats(27.0, 31.0))
        angles = np.sort(np.array(draw(st.lists(st.floats(0, 2 * np.pi, exclude_max=True), min_size=n, max_size=n, unique=True))))
        radii = np.array(draw(st.lists(st.floats(1e-5, 1e-3), min_size=n, max_size=n)))
        ring = np.column_stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)])
        poly = shapely.Polygon(ring[::-1] if draw(st.booleans()) else ring)
        if poly.is_valid and poly.area > 1e-14:
            out.append(poly)
    return out


@settings(max_examples=60, deadline=None)
@given(_polygons())
def test_ring_stats_equal_shapely_area_and_centroid(polys):
    if not polys:
        return
    area, cx, cy = footprints.ring_stats(*_rings_from_polygons(polys))
    want_deg2 = shapely.area(np.array(polys))
    centroids = shapely.centroid(np.array(polys))
    np.testing.assert_allclose(area, want_deg2 * footprints.m2_per_square_degree(cy), rtol=1e-9)
    np.testing.assert_allclose(cx, shapely.get_x(centroids), atol=1e-11)
    np.testing.assert_allclose(cy, shapely.get_y(centroids), atol=1e-11)


@pytest.mark.shared
@pytest.mark.parametrize("fixture", ["hangzhou_pbf", "beijing_bz2"])
def test_reader_footprints_equal_polygons_of_the_same_ways(fixture, request):
    path = request.getfixturevalue(fixture)
    keys = ("amenity", "building", "landuse")
    polygons = osm.read_features(path, keys).frame
    split = osm.read_features(path, keys, footprint_keys=("building",))
    plain = split.footprints
    assert len(plain) > 400
    # nothing lost or doubled: the footprints plus the remaining rows are the features read as polygons
    ids = set(zip(split.frame["osm_type"], split.frame["osm_id"], strict=True)) | {("way", i) for i in plain.osm_id.tolist()}
    assert len(split) == len(polygons) and ids == set(zip(polygons["osm_type"], polygons["osm_id"], strict=True))
    # every footprint is a plain building way (no amenity, no landuse); those with other keys stay polygons
    assert all("building" in t and "amenity" not in t and "landuse" not in t for t in plain.tags)
    assert split.frame["tags"].map(lambda t: "building" in t).any()
    by_id = polygons[polygons["osm_type"] == "way"].set_index("osm_id")
    geoms = by_id.loc[plain.osm_id, "geometry"].to_numpy()
    assert (shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON).all()
    assert by_id.loc[plain.osm_id, "tags"].tolist() == plain.tags
    np.testing.assert_allclose(plain.area_m2, shapely.area(geoms) * footprints.m2_per_square_degree(plain.lat), rtol=1e-9)
    centre = shapely.centroid(geoms)
    np.testing.assert_allclose(plain.lon, shapely.get_x(centre), atol=1e-9)
    np.testing.assert_allclose(plain.lat, shapely.get_y(centre), atol=1e-9)


@pytest.mark.shared
def test_population_estimate_is_the_same_from_footprints_and_polygons(hangzhou_pbf):
    keys = ("amenity", "shop", "office", "leisure", "building", "landuse")
    area = shapely.box(119.0, 29.0, 121.0, 31.0)
    a = population.demand_from_buildings(osm.read_features(hangzhou_pbf, keys), area, population.EstimateAssumptions())
    b = population.demand_from_buildings(osm.read_features(hangzhou_pbf, keys, footprint_keys=("building",)), area, population.EstimateAssumptions())
    assert len(b.pop) == len(a.pop) > 1000
    # the same areas, scaled to metres at the centroid's latitude instead of the surface point's
    assert b.total == pytest.approx(a.total, rel=1e-5)
    assert np.sort(b.pop) == pytest.approx(np.sort(a.pop), rel=1e-5)  # tan(30°) x 100 m / 6,371 km
    # the residents of each building stand at its centroid instead of a point on its surface: metres apart
    scale = np.array([96_000.0, 111_000.0])  # metres per degree at 30°N
    gap, _ = cKDTree(np.column_stack([a.lon, a.lat]) * scale).query(np.column_stack([b.lon, b.lat]) * scale)
    assert np.median(gap) < 10 and gap.max() < 150
