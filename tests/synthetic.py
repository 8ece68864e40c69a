"""Small synthetic OSM files written by the tests: a street grid near Hangzhou with named facilities.

The grid is hand-computable (``n`` x ``n`` junctions, ``spacing_m`` apart); every
text a user or an OSM editor controls (facility names and operators) can be set,
so the tests can put hostile text in each of them.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

LON0, LAT0 = 120.150, 30.250
DEG_LAT = 1 / 111_320.0  # degrees per metre of latitude


def _deg_lon(lat: float) -> float:
    import math

    return 1 / (111_320.0 * math.cos(math.radians(lat)))


def grid_osm(
    path: Path,
    *,
    n: int = 6,
    spacing_m: float = 150.0,
    names: dict[str, str] | None = None,
    operator: str = "",
    facilities: bool = True,
    buildings: bool = True,
) -> Path:
    """Write an ``.osm`` XML street grid with buildings and one facility of each shipped service.

    Parameters
    ----------
    path
        File to write.
    n
        Junctions per side.
    spacing_m
        Distance between neighbouring junctions.
    names
        Facility name per service (``park``, ``elderly_care``, ``preschool``,
        ``public_health``, ``sports_fitness``); default plain names.
    operator
        ``operator`` tag of every facility.
    facilities, buildings
        Whether to add them.
    """
    names = {"park": "Grid Park", "elderly_care": "Grid Care Home", "preschool": "Grid Kindergarten",
             "public_health": "Grid Clinic", "sports_fitness": "Grid Sports Centre", **(names or {})}
    dlon, dlat = spacing_m * _deg_lon(LAT0), spacing_m * DEG_LAT
    nodes: list[tuple[int, float, float, dict[str, str]]] = []
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    nid = 1

    def node(lon: float, lat: float, tags: dict[str, str] | None = None) -> int:
        nonlocal nid
        nodes.append((nid, lon, lat, tags or {}))
        nid += 1
        return nid - 1

    grid = [[node(LON0 + i * dlon, LAT0 + j * dlat) for i in range(n)] for j in range(n)]
    wid = 1
    for j in range(n):
        ways.append((wid, grid[j], {"highway": "residential", "name": f"Row {j}"}))
        wid += 1
    for i in range(n):
        ways.append((wid, [grid[j][i] for j in range(n)], {"highway": "residential", "name": f"Column {i}"}))
        wid += 1

    def square(cx: float, cy: float, half_m: float, tags: dict[str, str]) -> None:
        nonlocal wid
        hx, hy = half_m * _deg_lon(LAT0), half_m * DEG_LAT
        ring = [node(cx - hx, cy - hy), node(cx + hx, cy - hy), node(cx + hx, cy + hy), node(cx - hx, cy + hy)]
        ways.append((wid, ring + ring[:1], tags))
        wid += 1

    if buildings:
        for j in range(n - 1):
            for i in range(n - 1):
                cx, cy = LON0 + (i + 0.5) * dlon, LAT0 + (j + 0.5) * dlat
                square(cx, cy, spacing_m * 0.2, {"building": "apartments", "building:levels": "6"})
    if facilities:
        op = {"operator": operator} if operator else {}
        cell = lambda i, j: (LON0 + (i + 0.5) * dlon, LAT0 + (j + 0.25) * dlat)  # noqa: E731 - a tiny local helper
        node(*cell(0, 0), {"amenity": "social_facility", "social_facility": "nursing_home", "name": names["elderly_care"], **op})
        node(*cell(1, 1), {"amenity": "kindergarten", "name": names["preschool"], **op})
        node(*cell(2, 2), {"amenity": "clinic", "name": names["public_health"], **op})
        node(*cell(3, 1), {"leisure": "sports_centre", "name": names["sports_fitness"], **op})
        square(*cell(1, 3), spacing_m * 0.15, {"leisure": "park", "name": names["park"], **op})

    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="accessibility tests">']
    for i, lon, lat, tags in nodes:
        body = "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
        lines.append(f'<node id="{i}" version="1" lat="{lat:.7f}" lon="{lon:.7f}">{body}</node>' if body else f'<node id="{i}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for i, refs, tags in ways:
        body = "".join(f'<nd ref="{r}"/>' for r in refs) + "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
        lines.append(f'<way id="{i}" version="1">{body}</way>')
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def grid_bounds(*, n: int = 6, spacing_m: float = 150.0) -> tuple[float, float, float, float]:
    """(west, south, east, north) of :func:`grid_osm`'s junctions."""
    return LON0, LAT0, LON0 + (n - 1) * spacing_m * _deg_lon(LAT0), LAT0 + (n - 1) * spacing_m * DEG_LAT


def grid_arrays(k: int) -> tuple[list[float], list[float], list[int], list[int]]:
    """A ``k`` x ``k`` grid of junctions 0.001° apart: node lon, lat and the edges' ``u``, ``v`` (for ``graph_from_arrays``)."""
    lon = [120.0 + 0.001 * (a // k) for a in range(k * k)]
    lat = [30.0 + 0.001 * (a % k) for a in range(k * k)]
    u, v = [], []
    for i in range(k):
        for j in range(k):
            a = i * k + j
            if j + 1 < k:
                u.append(a)
                v.append(a + 1)
            if i + 1 < k:
                u.append(a)
                v.append(a + k)
    return lon, lat, u, v
