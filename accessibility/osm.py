"""Read OpenStreetMap files (.osm.pbf, .osm, .osm.bz2, .osm.gz) with pyosmium.

pyosmium (libosmium) reads every OSM file format offline, resolves node
locations and assembles multipolygons in C++; this module only copies what
the later stages need into flat numpy arrays. The per-way Python callback is
the one unavoidable loop of OSM parsing; everything after it is vectorised.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium
import pandas as pd
import shapely

from . import errors

__all__ = ["WayTable", "FeatureTable", "read_highways", "read_features", "check_osm_path", "OSM_SUFFIXES"]

log = logging.getLogger(__name__)

OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".osm.xml", ".xml")


def check_osm_path(path: str | Path) -> Path:
    """Validate an OSM file path; raise an error that says what is wrong."""
    path = Path(path)
    if not path.exists():
        raise errors.InputFileNotFoundError(
            f"OSM file not found: {path}. Pass an existing .osm.pbf/.osm/.osm.bz2 file "
            "(e.g. a Geofabrik extract), or run `accessibility demo` for the embedded example."
        )
    if not path.is_file():
        raise errors.OSMDataError(f"{path} is a folder, not an OSM file")
    name = path.name.lower()
    if not name.endswith(OSM_SUFFIXES):
        raise errors.OSMDataError(
            f"{path}: unrecognised OSM file type; rename it to end in one of {', '.join(OSM_SUFFIXES)}"
        )
    if path.stat().st_size == 0:
        raise errors.OSMDataError(f"{path} is empty; download the extract again")
    return path


def _file(path: Path) -> osmium.io.File:
    name = path.name.lower()
    # libosmium guesses the format from the suffix; ".xml" needs to be spelt out.
    if name.endswith(".xml"):
        return osmium.io.File(str(path), "osm")
    return osmium.io.File(str(path))


@dataclass(frozen=True)
class WayTable:
    """All ``highway=*`` ways of a file as flat arrays.

    ``refs``, ``lon`` and ``lat`` hold every way's node references in order;
    way ``i`` owns ``refs[offsets[i]:offsets[i+1]]``.
    """

    way_id: np.ndarray
    tags: list[dict[str, str]]
    offsets: np.ndarray
    refs: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    missing_nodes: int
    source: Path

    def __len__(self) -> int:
        return len(self.way_id)


def read_highways(path: str | Path) -> WayTable:
    """Read every way tagged ``highway`` with its node locations.

    Parameters
    ----------
    path
        An OSM file in any format libosmium reads.

    Raises
    ------
    OSMDataError
        If the file cannot be parsed or holds no highway.
    """
    path = check_osm_path(path)
    way_ids: list[int] = []
    tags: list[dict[str, str]] = []
    counts: list[int] = []
    refs: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    missing = 0
    try:
        fp = (
            osmium.FileProcessor(_file(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in fp:
            way_tags = None
            n_before = len(refs)
            # A node without a location (cut off at the extract's edge) splits the
            # way into pieces, so no straight line is drawn across the gap.
            for node in [*way.nodes, None]:
                loc = node.location if node is not None else None
                if loc is not None and loc.valid():
                    refs.append(node.ref)
                    lons.append(loc.lon)
                    lats.append(loc.lat)
                    continue
                missing += node is not None
                n = len(refs) - n_before
                if n >= 2:
                    way_tags = way_tags or dict(way.tags)
                    way_ids.append(way.id)
                    tags.append(way_tags)
                    counts.append(n)
                else:
                    del refs[n_before:], lons[n_before:], lats[n_before:]
                n_before = len(refs)
    except RuntimeError as exc:
        raise errors.OSMDataError(f"{path}: cannot read the OSM file ({exc}); is it truncated or not OSM data?") from exc
    if not way_ids:
        raise errors.OSMDataError(
            f"{path}: no highway ways with node locations found; the file holds no road network "
            "(check that it is a complete extract, not a points-only export)"
        )
    if missing:
        log.info("%s: %d way node references have no location (extract cut at its edge); skipped", path, missing)
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return WayTable(
        way_id=np.asarray(way_ids, dtype=np.int64),
        tags=tags,
        offsets=offsets,
        refs=np.asarray(refs, dtype=np.int64),
        lon=np.asarray(lons, dtype=np.float64),
        lat=np.asarray(lats, dtype=np.float64),
        missing_nodes=missing,
        source=path,
    )


@dataclass(frozen=True)
class FeatureTable:
    """OSM features (nodes, ways, areas) carrying any of the requested keys."""

    frame: pd.DataFrame  # osm_type, osm_id, tags, geometry (shapely, WGS-84)

    def __len__(self) -> int:
        return len(self.frame)


def read_features(path: str | Path, keys: tuple[str, ...] | list[str]) -> FeatureTable:
    """Read points, lines and (multi)polygons having any of ``keys``.

    Closed ways and multipolygon relations are assembled into polygons by
    libosmium's area assembler; open ways become lines; nodes points.
    """
    path = check_osm_path(path)
    keys = tuple(dict.fromkeys(keys))
    wkb = osmium.geom.WKBFactory()
    rows_type: list[str] = []
    rows_id: list[int] = []
    rows_tags: list[dict[str, str]] = []
    rows_wkb: list[bytes] = []
    failed = 0
    try:
        fp = osmium.FileProcessor(_file(path)).with_areas(osmium.filter.KeyFilter(*keys)).with_filter(
            osmium.filter.KeyFilter(*keys)
        )
        for obj in fp:
            try:
                if obj.is_node():
                    geom = wkb.create_point(obj)
                    kind = "node"
                elif obj.is_way():
                    if obj.is_closed() and len(obj.nodes) >= 4 and obj.tags.get("area") != "no":
                        continue  # returned again as an area below
                    geom = wkb.create_linestring(obj)
                    kind = "way"
                elif obj.is_area():
                    geom = wkb.create_multipolygon(obj)
                    kind = "way" if obj.from_way() else "relation"
                else:
                    continue
            except RuntimeError:
                failed += 1
                continue
            rows_type.append(kind)
            rows_id.append(obj.orig_id() if obj.is_area() else obj.id)
            rows_tags.append(dict(obj.tags))
            rows_wkb.append(bytes.fromhex(geom) if isinstance(geom, str) else geom)
    except RuntimeError as exc:
        raise errors.OSMDataError(f"{path}: cannot read the OSM file ({exc})") from exc
    if failed:
        log.info("%s: %d features with broken geometry skipped", path, failed)
    geoms = shapely.from_wkb(np.asarray(rows_wkb, dtype=object)) if rows_wkb else np.array([], dtype=object)
    frame = pd.DataFrame(
        {"osm_type": rows_type, "osm_id": np.asarray(rows_id, dtype=np.int64), "tags": rows_tags, "geometry": geoms}
    )
    return FeatureTable(frame=frame)
