"""Walls, water and rail: what a walk to the street cannot cross, and the compounds walls enclose.

Three rules of issue 18 read the same OSM features:

* **No joining across a barrier.** The straight walk from a resident, a
  facility or a query point to its street must not cross a wall, fence,
  hedge, retaining or city wall (``barrier=*``), water (``natural=water``
  and river areas, ``waterway=river|canal|riverbank``) or a railway
  (``railway=rail`` not on a bridge or in a tunnel) or a road pedestrians may
  not use (a ground-level motorway or ``foot=no`` way, from the network's
  build: :func:`~accessibility.network.graph.graph_from_ways`). The points whose
  nearest street lies across one join the nearest street they can reach
  without crossing, within the run's snapping limit
  (:meth:`~accessibility.network.snapping.EdgeIndex.snap_points`).
* **Walled compounds.** A ``landuse=residential`` area or an amenity's
  grounds (school, hospital, campus...) whose outline runs along walls or
  fences for at least :data:`WALLED_SHARE` of its length, or which is itself
  tagged ``barrier=wall|fence``, is a compound: its internal minor ways become
  private (walked only at a trip's start or end, :mod:`.private`).
* **Locked gates.** A gate (``barrier=gate|lift_gate|entrance|...``)
  tagged ``access=no|private`` is not passable: the street piece through it
  is cut.

Everything is shapely 2 vectorised work on STRtrees in the network's metric
CRS; the result is a new :class:`~accessibility.network.graph.Network`
carrying its barrier lines (``Network.barriers``) and facts for the network
quality report (``Network.info["quality"]``).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from ..core import parallel
from ..readers import osm
from . import graph as network_mod

__all__ = [
    "BARRIER_KEYS",
    "GATE_VALUES",
    "WALLED_SHARE",
    "WALL_VALUES",
    "BarrierOutcome",
    "FeatureRules",
    "apply_barriers",
    "barrier_lines",
    "barrier_outcome",
    "entrance_points",
    "feature_rules",
    "walled_compounds",
    "with_outcome",
]

log = logging.getLogger(__name__)

#: OSM keys whose features the rules read (added to the run's feature keys).
BARRIER_KEYS = ("barrier", "entrance", "natural", "waterway", "railway", "landuse", "amenity")
WALL_VALUES = ("wall", "fence", "hedge", "retaining_wall", "city_wall")
GATE_VALUES = ("gate", "lift_gate", "entrance", "swing_gate", "sliding_gate", "turnstile", "kissing_gate")
_WATERWAYS = ("river", "canal", "riverbank")
_MAJOR = ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link")
#: share of an outline running along walls or fences that makes an area a walled compound.
#: Mapped walls follow the outline with gaps at gates and where a building forms the wall;
#: half the length separates a walled compound from a landuse area with a fence on one side.
WALLED_SHARE = 0.5
_ALONG_M = 3.0  # a wall within this distance of an outline runs along it
_ON_STREET_M = 1.0  # a gate within this distance of a street is on it
_SIDEWALK_M = 25.0  # a street tagged sidewalk=separate whose sidewalk ways lie this near has them mapped


def _kind(tags: dict[str, str]) -> str | None:
    """The barrier kind of a feature's tags, or ``None``."""
    if tags.get("barrier") in WALL_VALUES:
        return "wall"
    if tags.get("tunnel") not in (None, "no") or tags.get("bridge") not in (None, "no"):
        return None  # water in a culvert, a railway on a viaduct: walked over or under
    if tags.get("natural") == "water" or tags.get("waterway") in _WATERWAYS:
        return "water"
    if tags.get("railway") == "rail":
        return "rail"
    return None


def barrier_lines(features: pd.DataFrame, *, tags: osm.TagSets | None = None) -> gpd.GeoDataFrame:
    """The lines a walk to the street cannot cross (WGS-84): walls, water outlines and rivers, railways.

    Parameters
    ----------
    features
        OSM features (``FeatureTable.frame``: ``osm_type``, ``osm_id``, ``tags``, ``geometry``).
    tags
        Their distinct tag sets, when already numbered.

    Returns
    -------
    geopandas.GeoDataFrame
        ``kind`` (``wall``, ``water``, ``rail``), ``osm_type``, ``osm_id`` and a line geometry;
        areas give their outlines.
    """
    kinds = (tags or osm.TagSets.of(features["tags"].tolist())).each(_kind)
    keep = np.flatnonzero(kinds != None)  # noqa: E711 (elementwise)
    geoms = np.asarray(features["geometry"].to_numpy()[keep], dtype=object)
    areas = np.isin(shapely.get_type_id(geoms), [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])
    geoms = np.where(areas, shapely.boundary(geoms), geoms)
    lines = np.isin(shapely.get_type_id(geoms), [shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING, shapely.GeometryType.LINEARRING])
    keep, geoms = keep[lines], geoms[lines]
    return gpd.GeoDataFrame(
        {"kind": kinds[keep].astype(str), "osm_type": features["osm_type"].to_numpy()[keep], "osm_id": features["osm_id"].to_numpy(np.int64)[keep]},
        geometry=geoms, crs="EPSG:4326",
    )


def walled_compounds(features: pd.DataFrame, walls: np.ndarray, to_metric: pyproj.Transformer, *, tags: osm.TagSets | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Residential areas and amenity grounds enclosed by walls or fences, as metric polygons.

    ``walls`` are the wall and fence lines (WGS-84). Returns the polygons and their rows in ``features``.
    """
    tags = tags or osm.TagSets.of(features["tags"].tolist())
    candidate = tags.each(lambda t: t.get("landuse") == "residential" or "amenity" in t or (t.get("barrier") in ("wall", "fence") and t.get("area") != "no"), bool)
    self_walled = tags.each(lambda t: t.get("barrier") in ("wall", "fence"), bool)
    geoms = features["geometry"].to_numpy()
    area = candidate & np.isin(shapely.get_type_id(geoms), [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])
    # only areas with a wall near their outline are measured (a city's landuse areas are many, its walls few)
    near = np.zeros(len(features), dtype=bool)
    if len(walls):
        rows_area = np.flatnonzero(area)
        # a wall along an outline meets the area's box (the tolerance in metres follows)
        hit, _ = shapely.STRtree(np.asarray(walls, dtype=object)).query(shapely.envelope(geoms[rows_area]), predicate="intersects")
        near[rows_area[hit]] = True
    rows = np.flatnonzero(area & (near | self_walled))
    if not len(rows):
        return np.array([], dtype=object), rows
    def metric(g: np.ndarray) -> np.ndarray:
        return shapely.transform(np.asarray(g, dtype=object), lambda xy: np.column_stack(to_metric.transform(xy[:, 0], xy[:, 1])))

    polys, walls_metric = metric(geoms[rows]), metric(walls)
    outline = shapely.boundary(polys)
    perimeter = shapely.length(outline)
    covered: np.ndarray = np.zeros(len(rows))
    if len(walls_metric):
        pi, wi = shapely.STRtree(walls_metric).query(outline, predicate="dwithin", distance=_ALONG_M)
        along = shapely.length(shapely.intersection(walls_metric[wi], shapely.buffer(outline[pi], _ALONG_M)))
        covered = np.bincount(pi, weights=along, minlength=len(rows))
    with np.errstate(invalid="ignore", divide="ignore"):
        walled = self_walled[rows] | (covered / np.maximum(perimeter, 1e-9) >= WALLED_SHARE)
    return polys[walled], rows[walled]


def _gates(features: pd.DataFrame, tags: osm.TagSets | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Gate nodes (points, WGS-84) and whether each is locked (``access=no|private``)."""
    if not len(features):
        return np.array([], dtype=object), np.zeros(0, bool)
    tags = tags or osm.TagSets.of(features["tags"].tolist())
    gate = (features["osm_type"].to_numpy() == "node") & tags.each(lambda t: t.get("barrier") in GATE_VALUES or "entrance" in t, bool)
    locked = tags.each(lambda t: t.get("access") in ("no", "private"), bool)[gate]
    return features["geometry"].to_numpy()[gate], locked


def entrance_points(features: pd.DataFrame, *, rules: FeatureRules | None = None) -> np.ndarray:
    """Passable gates and ``entrance=*`` nodes (WGS-84 points): where areas are entered (:mod:`.entrances`); ``rules``: the features' :func:`feature_rules`, if read."""
    gates, locked = (rules.gates, rules.locked) if rules is not None else _gates(features)
    return np.asarray(gates[~locked], dtype=object)


@dataclass(frozen=True)
class BarrierOutcome:
    """What the rules decided for one walking network: enough to apply them again without the features (:func:`with_outcome`).

    A rerun on the same streets and features takes it from the cache
    (:mod:`accessibility.run.derived`) instead of loading every feature to test again.

    Attributes
    ----------
    private
        Per edge of the network the rules ran on: private after them.
    kept_edges
        The rows of its edges kept (``None``: every edge); locked gates cut some, and the pieces they detach go.
    kept_nodes
        Mask over its nodes kept (``None``: every node).
    lines
        The barrier lines (:attr:`Network.barriers <accessibility.network.graph.Network.barriers>`).
    quality
        The network quality report's facts (``info["quality"]``).
    """

    private: np.ndarray
    kept_edges: np.ndarray | None
    kept_nodes: np.ndarray | None
    lines: gpd.GeoDataFrame
    quality: dict

    def fits(self, net: network_mod.Network) -> bool:
        """Whether it was decided for a network of ``net``'s size (a cache entry of other streets is not applied)."""
        return len(self.private) == net.n_edges and (self.kept_nodes is None or len(self.kept_nodes) == net.n_nodes)


def apply_barriers(net: network_mod.Network, features: pd.DataFrame) -> network_mod.Network:
    """The walking network with walled compounds' ways private, locked gates cut and barrier lines attached.

    Parameters
    ----------
    net
        A walking network (its private ways from tags are kept private).
    features
        OSM features read with :data:`BARRIER_KEYS` among their keys.

    Returns
    -------
    Network
        A new network: ``edges["private"]`` also true on the minor ways inside
        walled compounds, the edges through locked gates removed (and the
        pieces this detaches dropped, as :func:`~accessibility.network.graph.keep_largest_component`
        does), ``barriers`` the barrier lines, and ``info["quality"]`` the facts
        of the network quality report (``info`` is the input network's own dict).
    """
    return with_outcome(net, barrier_outcome(net, features))


def with_outcome(net: network_mod.Network, outcome: BarrierOutcome) -> network_mod.Network:
    """``net`` with the rules' ``outcome`` (:func:`barrier_outcome` of the same network) applied: what :func:`apply_barriers` returns."""
    nodes, coords, kept = net.nodes, net.lines, outcome.kept_edges
    # pandas copies on write: a shallow copy (or the rows taken) gets its own private column, the input's is left as it was
    edges = net.edge_table.copy(deep=False) if kept is None else net.edge_table.iloc[kept].reset_index(drop=True)
    edges["private"] = outcome.private if kept is None else outcome.private[kept]
    if kept is not None:
        coords = None if coords is None else coords.take(kept)
    if outcome.kept_nodes is not None:
        new_index = np.cumsum(outcome.kept_nodes) - 1
        edges["u"] = new_index[edges["u"].to_numpy()]
        edges["v"] = new_index[edges["v"].to_numpy()]
        nodes = nodes[outcome.kept_nodes].reset_index(drop=True)
    # the same info dict: the cache's background writer records its outcome there after this returns
    out = network_mod.Network(nodes=nodes, edges=edges, mode=net.mode, info=net.info, barriers=outcome.lines, lines=coords)
    out.info["quality"] = dict(outcome.quality)  # the run adds its snapping facts to its own copy
    return out


@dataclass(frozen=True)
class FeatureRules:
    """What the rules read from the features alone, before any network: their tag sets, the barrier lines, the gates (:func:`feature_rules`)."""

    tags: osm.TagSets
    lines: gpd.GeoDataFrame  # :func:`barrier_lines`
    gates: np.ndarray  # gate nodes (WGS-84 points)
    locked: np.ndarray  # per gate: access=no|private


def feature_rules(features: pd.DataFrame) -> FeatureRules:
    """:class:`FeatureRules` of OSM features (``FeatureTable.frame``): read while the networks are built (:func:`barrier_outcome` then needs the network only)."""
    tags = osm.TagSets.of(features["tags"].tolist())
    gates, locked = _gates(features, tags)
    return FeatureRules(tags=tags, lines=barrier_lines(features, tags=tags), gates=gates, locked=locked)


def barrier_outcome(net: network_mod.Network, features: pd.DataFrame, *, rules: FeatureRules | None = None) -> BarrierOutcome:
    """What the rules decide for ``net`` from the ``features`` (:func:`apply_barriers` applies it); ``rules``: their :func:`feature_rules`, if read already."""
    to_metric = pyproj.Transformer.from_crs("EPSG:4326", net.metric_crs, always_xy=True)
    rules = rules or feature_rules(features)
    tags, lines = rules.tags, rules.lines
    if net.barriers is not None and len(net.barriers):  # roads a pedestrian may not use, from the network's build
        lines = gpd.GeoDataFrame(pd.concat([lines, net.barriers], ignore_index=True), geometry="geometry", crs="EPSG:4326")
    _, compound_rows = walled_compounds(features, lines.geometry.to_numpy()[lines["kind"].to_numpy() == "wall"], to_metric, tags=tags)
    edges = net.edge_table
    # the tests below run in longitude/latitude on the edges as they are (projecting a million
    # street lines again would cost seconds), and only on the edges whose boxes come near a
    # compound or a gate: a network from the cache has its coordinates, not its lines
    boxes = net.edge_coords().bounds()
    tagged = network_mod.edge_private(net)
    inside = np.zeros(len(edges), dtype=bool)
    if len(compound_rows):
        compounds = features["geometry"].to_numpy()[compound_rows]
        near = np.flatnonzero(network_mod.BoxGrid(shapely.bounds(compounds), (0.0, 0.0)).meets(boxes))  # a midpoint inside is inside the box
        mid = shapely.line_interpolate_point(net.edge_geometry(near), 0.5, normalized=True)
        ei, _ = shapely.STRtree(compounds).query(mid, predicate="within")
        inside[near[ei]] = True
        inside &= ~np.isin(edges["highway"].to_numpy(), _MAJOR)
    private = tagged | inside
    gates, locked = rules.gates, rules.locked
    on_street = np.zeros(len(gates), dtype=bool)
    touches_private = touches_public = np.zeros(len(gates), dtype=bool)
    cut = np.zeros(len(edges), dtype=bool)
    if len(gates):
        lat0 = float(np.nanmedian(net.nodes["lat"].to_numpy())) if net.n_nodes else 0.0
        near_deg = _ON_STREET_M / (111_320.0 * max(np.cos(np.radians(lat0)), 0.1))
        # the streets whose boxes come near a gate, against the gates, in chunks on all cores (shapely releases the GIL)
        near = np.flatnonzero(network_mod.BoxGrid(shapely.bounds(gates), (near_deg, near_deg)).meets(boxes))
        tree = shapely.STRtree(gates)
        ei, gi = parallel.query_chunks(lambda part: tree.query(part, predicate="dwithin", distance=near_deg), net.edge_geometry(near), min_chunk=100_000)
        ei = near[ei]
        on_street[gi] = True
        cut[ei[locked[gi]]] = True
        touches_private = np.bincount(gi[private[ei]], minlength=len(gates)) > 0
        touches_public = np.bincount(gi[~private[ei]], minlength=len(gates)) > 0
    quality = _street_facts(net, edges)
    quality |= {
        "private_ways_tagged_km": round(float(edges["length_m"].to_numpy()[tagged].sum()) / 1000, 3),
        "walled_compounds": len(compound_rows),
        "compound_ways_made_private": int((inside & ~tagged).sum()),
        "private_share_of_length": round(float(edges["length_m"].to_numpy()[private].sum() / max(edges["length_m"].sum(), 1e-9)), 4),
        "gates_on_streets": int(on_street.sum()),
        "gates_on_private_ways": int(touches_private.sum()),
        "gates_locked": int((on_street & locked).sum()),
        # the gates the walk passes into and out of compounds: passable, joining a private way to a public one
        "gates_into_compounds": int((touches_private & touches_public & ~locked).sum()),
        "edges_cut_at_locked_gates": int(cut.sum()),
        "barrier_lines": {k: int(v) for k, v in lines["kind"].value_counts().sort_index().items()},
    }
    log.info("walking network: %d tagged private ways, %d walled compounds, %d locked gates", int(tagged.sum()), len(compound_rows), quality["gates_locked"])
    outcome = BarrierOutcome(private=private, kept_edges=None, kept_nodes=None, lines=lines, quality=quality)
    if not cut.any():
        return outcome
    # the pieces the cut detaches go, as keep_largest_component drops them (the build's own facts stay the network's)
    trimmed = with_outcome(net, dataclasses.replace(outcome, kept_edges=np.flatnonzero(~cut), quality={}))
    keep_node, keep_edge, _, _ = network_mod.largest_component_masks(trimmed)
    quality["nodes_detached_by_locked_gates"] = int((~keep_node).sum())
    return dataclasses.replace(outcome, kept_edges=np.flatnonzero(~cut)[keep_edge], kept_nodes=keep_node)


def _street_facts(net: network_mod.Network, edges: pd.DataFrame) -> dict:
    """Dead ends, pieces dropped and streets whose separately mapped sidewalks are missing."""
    u, v = edges["u"].to_numpy(np.int64), edges["v"].to_numpy(np.int64)
    degree = np.bincount(np.r_[u, v], minlength=net.n_nodes)
    facts: dict = {
        "dead_ends": int((degree == 1).sum()),
        "dead_end_share": round(float((degree == 1).sum() / max(net.n_nodes, 1)), 4),
        "pieces_dropped": max(int(net.info.get("components", 1)) - 1, 0),
        "km_dropped": float(net.info.get("km_dropped", 0.0)),
    }
    code = edges["sidewalk"].to_numpy(np.int8) if "sidewalk" in edges.columns else np.zeros(len(edges), np.int8)
    separate = np.flatnonzero(code == network_mod.SIDEWALK_SEPARATE)
    missing = separate
    sidewalk_rows = np.flatnonzero(code == network_mod.SIDEWALK_WAY)
    if len(separate) and len(sidewalk_rows):
        lat0 = float(np.nanmedian(net.nodes["lat"].to_numpy()))
        near_deg = _SIDEWALK_M / (111_320.0 * max(np.cos(np.radians(lat0)), 0.1))
        found, _ = shapely.STRtree(net.edge_geometry(sidewalk_rows)).query(net.edge_geometry(separate), predicate="dwithin", distance=near_deg)
        missing = np.setdiff1d(separate, separate[found])
    facts["sidewalk_separate_streets"] = len(separate)
    facts["sidewalk_separate_unmapped"] = len(missing)
    facts["sidewalk_separate_unmapped_km"] = round(float(edges["length_m"].to_numpy()[missing].sum()) / 1000, 3)
    return facts
