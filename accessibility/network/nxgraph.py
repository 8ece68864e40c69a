"""Street networks from and to networkx / osmnx graphs.

:func:`graph_from_networkx` turns an osmnx ``MultiDiGraph`` (or a plain networkx
graph whose nodes carry ``x``/``y``) into a :class:`~accessibility.network.graph.Network`;
:func:`to_networkx` does the reverse, with per-node values (distances to services)
attached, so an osmnx user can ``ox.plot_graph`` or ``ox.shortest_path`` with it;
:func:`graph_from_place` downloads a place through osmnx.

osmnx lists both directions of a two-way street as two edges. A ``Network`` holds
one edge per street with ``forward``/``backward`` flags (as built from OSM files),
so snapping finds the street once and takes both directions: the two arcs are
folded into one edge, and of parallel streets between two nodes the shortest is
kept in each direction (a shortest path never uses the others).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .. import config, errors
from ..coords.geodesy import haversine_m
from .graph import Network, keep_largest_component

__all__ = ["graph_from_networkx", "graph_from_place", "to_networkx"]

log = logging.getLogger(__name__)

_WGS84 = pyproj.CRS.from_epsg(4326)
#: two arcs between the same nodes are one two-way street when their lengths agree this closely
#: (osmnx sums a simplified edge's segments in each direction's order: the sums differ in the last digits)
_SAME_RTOL = 1e-9
_SAME_ATOL_M = 1e-6
_MISSING: tuple[str, ...] = ()
_NODE_COLUMNS = ("x", "y", "street_count")


def graph_from_networkx(G: Any, *, mode: str | config.ModeRecipe = "walk", largest_component: bool = True) -> Network:
    """Build a :class:`~accessibility.network.graph.Network` from an osmnx or networkx graph.

    Accepted: an osmnx ``MultiDiGraph`` (from ``ox.graph_from_place``,
    ``ox.graph_from_xml``..., simplified or not, also after ``ox.project_graph``)
    and plain networkx ``Graph``/``DiGraph``/``MultiGraph``/``MultiDiGraph`` whose
    nodes carry ``x`` (longitude) and ``y`` (latitude).

    Rules:

    * Coordinates: ``G.graph["crs"]`` says their CRS (a projected graph is
      projected back to WGS-84, edge geometries too); without it they must be
      WGS-84 longitude/latitude.
    * Directions: for modes whose recipe ignores one-way streets (walking) every
      edge is usable both ways. For the others (bike, drive) a directed graph's
      arcs are the allowed directions, as the graph's builder decided them (osmnx's
      one-way rules, not the recipe's). An undirected graph's edges are two-way.
    * Two arcs ``u->v`` and ``v->u`` of the same length become one two-way edge;
      of parallel edges the shortest in each direction is kept.
    * Ways: when edges carry ``highway`` (osmnx graphs do), the recipe's way filter
      is applied: an edge is kept when all its ``highway`` values (a list after
      osmnx merged ways) are in the recipe's ``include_highway``, and its
      ``exclude_tags``/``allow_tags`` rules are applied to the tags present as edge
      attributes (osmnx keeps ``access``, ``service``, ``area`` by default; add
      ``foot``, ``bicycle``... to ``ox.settings.useful_tags_way`` to have them
      applied too). On an edge osmnx merged from several ways a tag value excludes
      the whole edge when any of its ways has it, unless an allow tag value is
      present; build the graph with ``simplify=False`` for the exact per-way rules.
      Edges without ``highway`` in such a graph (buildings, rivers of a whole OSM
      file) are dropped. Without any ``highway`` every edge is kept.
    * ``length`` (metres) is used as given; edges without it get the great-circle
      length of their geometry. Edges without ``geometry`` are straight lines.
    * Node ids become ``osmid`` when they are integers (osmnx's OSM ids);
      otherwise the nodes are numbered in the graph's order.

    Parameters
    ----------
    G
        The networkx graph.
    mode
        Mode id (``"walk"``, ``"bike"``, ``"drive"``), recipe path or
        :class:`~accessibility.config.ModeRecipe`.
    largest_component
        Keep only the largest connected part (default).

    Returns
    -------
    Network
        The mode's street graph; ``info`` gives the graph's size
        (``graph_nodes``, ``graph_edges``), the edges left out by the recipe or
        as self-loops (``edges_filtered_out``) and the arcs folded into others
        (``arcs_folded``: reverse twins and longer parallel edges).

    Raises
    ------
    InputError
        When ``G`` is not a networkx graph, is empty, has nodes without
        coordinates, negative lengths, or no edge usable for the mode.
    """
    recipe = mode if isinstance(mode, config.ModeRecipe) else config.load_mode(mode)
    labels, lon, lat, transformer = _nodes(G)
    u, v, attrs = _edge_table(G, labels, recipe)
    n_edges_in = len(u)
    keep = _usable(attrs, recipe) & (u != v)  # self-loops never shorten a path
    if not keep.any():
        raise errors.InputError(
            f"none of the graph's {n_edges_in} edges is usable for mode '{recipe.id}' (recipe {recipe.source}): "
            "their 'highway' values are not in its include_highway, or they are self-loops; pick another mode or pass the street graph"
        )
    u, v, attrs = u[keep], v[keep], attrs[keep].reset_index(drop=True)
    geoms = _geometries(attrs["geometry"].to_numpy(object), u, v, lon, lat, transformer)
    length = _lengths(attrs["length"], geoms, u, v, labels)
    directed = bool(G.is_directed()) and recipe.oneway
    pick, forward, backward, length = _fold(u, v, length, _flag(attrs["reversed"]), len(labels), directed=directed)
    net = _network(labels, lon, lat, u[pick], v[pick], length, forward, backward, geoms[pick], attrs.iloc[pick], recipe)
    net.info.update(graph_nodes=len(labels), graph_edges=n_edges_in, edges_filtered_out=int((~keep).sum()), arcs_folded=int(len(u) - len(pick)))
    if largest_component:
        net = keep_largest_component(net)
    log.info("network %s from networkx: %d nodes, %d edges, %.1f km", recipe.id, net.n_nodes, len(net.edges), net.edges["length_m"].sum() / 1000)
    return net


def _nodes(G: Any) -> tuple[list, np.ndarray, np.ndarray, pyproj.Transformer | None]:
    """Node labels and WGS-84 coordinates; the transformer used when the graph was projected."""
    if not all(hasattr(G, a) for a in ("nodes", "edges", "is_directed", "graph")):
        raise errors.InputError(f"expected a networkx graph (an osmnx MultiDiGraph, or a Graph with x/y node attributes), got {type(G).__name__}")
    data = list(G.nodes(data=True))
    if not data:
        raise errors.InputError("the networkx graph has no nodes; build it from a place or file with streets (e.g. ox.graph_from_place)")
    labels = [n for n, _ in data]
    try:
        x = np.array([d.get("x", np.nan) for _, d in data], dtype=np.float64)
        y = np.array([d.get("y", np.nan) for _, d in data], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise errors.InputError(f"the graph's node attributes 'x' and 'y' must be numbers (longitude, latitude): {exc}") from exc
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        node = labels[int(np.flatnonzero(bad)[0])]
        raise errors.InputError(
            f"{int(bad.sum())} of the graph's {len(labels)} nodes have no coordinates, e.g. node {node!r}; "
            "every node needs 'x' (longitude) and 'y' (latitude) attributes, as osmnx graphs have"
        )
    lon, lat, transformer = _to_wgs84(G.graph.get("crs"), x, y)
    return labels, lon, lat, transformer


def _to_wgs84(crs: Any, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, pyproj.Transformer | None]:
    transformer = None
    if crs is not None:
        try:
            src = pyproj.CRS.from_user_input(crs)
        except pyproj.exceptions.CRSError as exc:
            raise errors.InputError(f"the graph's crs {crs!r} (G.graph['crs']) is not a coordinate reference system pyproj knows: {exc}") from exc
        if not src.equals(_WGS84, ignore_axis_order=True):
            transformer = pyproj.Transformer.from_crs(src, _WGS84, always_xy=True)
            x, y = (np.asarray(a, np.float64) for a in transformer.transform(x, y))
    if not (np.all(np.abs(x) <= 180) and np.all(np.abs(y) <= 90)):
        i = int(np.flatnonzero((np.abs(x) > 180) | (np.abs(y) > 90))[0])
        raise errors.InputError(
            f"node coordinates are not longitude/latitude (e.g. x={x[i]:g}, y={y[i]:g}) and the graph names no CRS; "
            "set G.graph['crs'] (osmnx's project_graph does) or pass an unprojected graph"
        )
    return x, y, transformer


def _edge_table(G: Any, labels: list, recipe: config.ModeRecipe) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Edge ends (node positions) and the attributes the rules need: one pass over the graph's edges."""
    keys = ["length", "geometry", "highway", "name", "osmid", "reversed"]
    keys += sorted({k for k, _ in recipe.exclude_tags + recipe.allow_tags + recipe.private_tags} - set(keys))
    ends_u, ends_v, data = [], [], []
    for a, b, d in G.edges(data=True):  # networkx stores a dict per edge: one Python pass is unavoidable
        ends_u.append(a)
        ends_v.append(b)
        data.append(d)
    if not data:
        raise errors.InputError(f"the networkx graph has {len(labels)} nodes but no edges, so there is no street to route on")
    position = pd.Index(labels, tupleize_cols=False)
    u = position.get_indexer(pd.Index(ends_u, tupleize_cols=False)).astype(np.int64)
    v = position.get_indexer(pd.Index(ends_v, tupleize_cols=False)).astype(np.int64)
    return u, v, pd.DataFrame.from_records(data, columns=keys)


def _values(column: pd.Series) -> list[tuple[str, ...]]:
    """Each cell as a tuple of strings: osmnx keeps a list where it merged ways with different values."""
    out: list[tuple[str, ...]] = [_MISSING] * len(column)
    present = column.notna().to_numpy()  # a list is present
    for i, cell in zip(np.flatnonzero(present).tolist(), column[present].tolist(), strict=True):
        if type(cell) is str:  # the common case: one OSM value
            out[i] = (cell,) if cell else _MISSING
        elif isinstance(cell, (list, tuple, set)):
            out[i] = tuple(sorted({str(c) for c in cell if not _blank(c)}))
        else:
            out[i] = (str(cell),)
    return out


def _blank(value: object) -> bool:
    """None, NaN (pandas' missing value) and the empty string mean "no value"."""
    return value is None or (isinstance(value, float) and np.isnan(value)) or value == ""


def _per_value(values: list[tuple[str, ...]], test: Callable[[tuple[str, ...]], bool]) -> np.ndarray:
    """``test`` evaluated once per distinct value, spread to every edge."""
    table = {value: test(value) for value in set(values)}
    return np.fromiter((table[value] for value in values), dtype=bool, count=len(values))


def _usable(attrs: pd.DataFrame, recipe: config.ModeRecipe) -> np.ndarray:
    """The recipe's way filter, on the tags present as edge attributes (all edges when there is no ``highway``)."""
    highway = _values(attrs["highway"])
    if not any(highway):
        return np.ones(len(attrs), dtype=bool)
    include = set(recipe.include_highway)
    use = _per_value(highway, lambda hw: bool(hw) and set(hw) <= include)

    dropped = use & _matches(attrs, recipe.exclude_tags) & ~_matches(attrs, recipe.allow_tags)
    return use & ~dropped


def _matches(attrs: pd.DataFrame, rules: tuple[tuple[str, tuple[str, ...]], ...]) -> np.ndarray:
    """Per edge: any of ``rules`` (key, accepted values) matches its attributes."""
    hit = np.zeros(len(attrs), dtype=bool)
    for key, accepted in rules:
        hit |= _per_value(_values(attrs[key]), functools.partial(_tag_matches, accepted))
    return hit


def _tag_matches(accepted: tuple[str, ...], values: tuple[str, ...]) -> bool:
    return bool(values) and ("*" in accepted or any(x in accepted for x in values))


def _flag(column: pd.Series) -> np.ndarray:
    """osmnx's ``reversed``: True where the arc runs against the OSM way (all of its parts, after merging)."""
    return np.fromiter((_true(c) or (isinstance(c, list) and bool(c) and all(_true(x) for x in c)) for c in column.tolist()), dtype=bool, count=len(column))


def _true(value: object) -> bool:
    return isinstance(value, (bool, np.bool_)) and bool(value)


def _geometries(geoms: np.ndarray, u: np.ndarray, v: np.ndarray, lon: np.ndarray, lat: np.ndarray, transformer: pyproj.Transformer | None) -> np.ndarray:
    """WGS-84 LineStrings oriented u -> v; straight lines where the graph has none."""
    geoms = geoms.copy()
    geoms[pd.isna(geoms)] = None
    is_line = shapely.get_type_id(geoms) == shapely.GeometryType.LINESTRING
    geoms[~is_line] = None
    if transformer is not None and is_line.any():
        geoms[is_line] = shapely.transform(geoms[is_line], lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))
    straight = np.flatnonzero(~is_line)
    if len(straight):
        su, sv = u[straight], v[straight]
        coords = np.column_stack([np.stack([lon[su], lon[sv]], 1).ravel(), np.stack([lat[su], lat[sv]], 1).ravel()])
        geoms[straight] = shapely.linestrings(coords, indices=np.repeat(np.arange(len(straight)), 2))
    # a plain graph's geometry may be drawn v -> u: turn it round when it starts nearer to v
    start = shapely.get_coordinates(shapely.get_point(geoms, 0))
    to_u = (start[:, 0] - lon[u]) ** 2 + (start[:, 1] - lat[u]) ** 2
    to_v = (start[:, 0] - lon[v]) ** 2 + (start[:, 1] - lat[v]) ** 2
    flip = to_v < to_u
    geoms[flip] = shapely.reverse(geoms[flip])
    return geoms


def _lengths(column: pd.Series, geoms: np.ndarray, u: np.ndarray, v: np.ndarray, labels: list) -> np.ndarray:
    """Edge lengths in metres: the graph's ``length``, else the great-circle length of the geometry."""
    length = pd.to_numeric(column, errors="coerce").to_numpy(np.float64, copy=True)
    given = column.notna().to_numpy()
    bad = given & ~(np.isfinite(length) & (length >= 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        value = column.iloc[i]
        shown = repr(value) if isinstance(value, str) else str(value)
        raise errors.InputError(
            f"{int(bad.sum())} edges have a 'length' that is not a length in metres, e.g. edge {labels[u[i]]!r} -> {labels[v[i]]!r}: "
            f"{shown}; fix or delete the attribute (the length of the geometry is used then)"
        )
    missing = np.flatnonzero(~given)
    if len(missing):
        coords, idx = shapely.get_coordinates(geoms[missing], return_index=True)
        same = idx[1:] == idx[:-1]
        seg = haversine_m(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
        length[missing] = np.bincount(idx[1:][same], weights=seg[same], minlength=len(missing))
    return length


def _fold(
    u: np.ndarray, v: np.ndarray, length: np.ndarray, reversed_: np.ndarray, n: int, *, directed: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One edge per street: which arcs to keep, their forward/backward flags and lengths.

    Per node pair {a, b} the shortest arc a -> b and the shortest b -> a are found
    (vectorised: sort by pair, then cost). When they are equally long they are one
    two-way street: one edge, drawn as the arc that follows its OSM way (not
    ``reversed``). Otherwise each direction keeps its own one-way edge, so no
    distance changes. Undirected arcs count for both directions.
    """
    a, b = np.minimum(u, v), np.maximum(u, v)
    key = a * np.int64(n) + b
    along = u == a
    cost_ab = np.where(along | (not directed), length, np.inf)
    cost_ba = np.where(~along | (not directed), length, np.inf)
    order_ab = np.lexsort((reversed_, cost_ab, key))
    order_ba = np.lexsort((reversed_, cost_ba, key))
    sorted_key = key[order_ab]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    rep_ab, rep_ba = order_ab[starts], order_ba[starts]  # both orders sort the same keys first: the same group starts
    len_ab, len_ba = cost_ab[rep_ab], cost_ba[rep_ba]
    both = np.isfinite(len_ab) & np.isfinite(len_ba) & np.isclose(len_ab, len_ba, rtol=_SAME_RTOL, atol=_SAME_ATOL_M)
    take_ba = reversed_[rep_ab] & ~reversed_[rep_ba]
    rep = np.where(take_ba, rep_ba, rep_ab)[both]
    only_ab = ~both & np.isfinite(len_ab)
    only_ba = ~both & np.isfinite(len_ba)
    pick = np.concatenate([rep, rep_ab[only_ab], rep_ba[only_ba]])
    one_way = np.zeros(int(only_ab.sum() + only_ba.sum()), dtype=bool)
    backward = np.concatenate([np.ones(len(rep), dtype=bool), one_way])
    lengths = np.concatenate([np.minimum(len_ab, len_ba)[both], len_ab[only_ab], len_ba[only_ba]])
    return pick, np.ones(len(pick), dtype=bool), backward, lengths


def _joined(values: list[tuple[str, ...]]) -> np.ndarray:
    """One string per edge: several values joined with ';' as OSM writes them."""
    return np.array([";".join(v) for v in values], dtype=object)


def _way_ids(column: pd.Series) -> np.ndarray:
    """OSM way id per edge (the smallest of a merged edge's ways), -1 where unknown."""
    kind = column.map(type).to_numpy(object)
    number = pd.to_numeric(column.mask(kind == bool), errors="coerce")  # noqa: E721 - lists (and text) read as NaN
    out = number.fillna(-1).to_numpy(np.int64, copy=True)
    merged = np.flatnonzero(kind == list)  # noqa: E721
    for i, cell in zip(merged.tolist(), column.iloc[merged].tolist(), strict=True):
        ids = [c for c in cell if isinstance(c, (int, np.integer)) and not isinstance(c, bool)]
        out[i] = min(ids) if ids else -1
    return out


def _network(
    labels: list,
    lon: np.ndarray,
    lat: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    length: np.ndarray,
    forward: np.ndarray,
    backward: np.ndarray,
    geoms: np.ndarray,
    attrs: pd.DataFrame,
    recipe: config.ModeRecipe,
) -> Network:
    """The network of the kept edges; nodes without an edge left out, numbered in the graph's order."""
    used = np.zeros(len(labels), dtype=bool)
    used[u] = used[v] = True
    node_of = np.cumsum(used) - 1
    integer_ids = all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in labels)
    osmid = np.asarray(labels, dtype=np.int64) if integer_ids else np.arange(len(labels), dtype=np.int64)
    highway = _joined(_values(attrs["highway"]))
    speeds = {hw: min((recipe.speed_for(h) for h in hw.split(";")), default=recipe.speed_m_s) for hw in set(highway)}
    speed = np.array([speeds[h] for h in highway], dtype=np.float64) if recipe.weight == "time" else np.full(len(u), recipe.speed_m_s)
    edges = gpd.GeoDataFrame(
        {
            "u": node_of[u],
            "v": node_of[v],
            "length_m": length,
            "forward": forward,
            "backward": backward,
            "highway": highway,
            "name": _joined(_values(attrs["name"])),
            "osm_way_id": _way_ids(attrs["osmid"]),
            "speed_m_s": speed,
            # private ways (access=private...) walked only at a trip's start or end, as from OSM (network.private)
            "private": _matches(attrs, recipe.private_tags) & ~_matches(attrs, recipe.allow_tags),
        },
        geometry=geoms,
        crs="EPSG:4326",
    )
    nodes = pd.DataFrame({"osmid": osmid[used], "lon": lon[used], "lat": lat[used]})
    info: dict[str, Any] = {"source": "networkx", "mode": recipe.id}
    if not integer_ids:
        info["node_ids"] = "positions in the graph's node order (its node labels are not integers)"
    return Network(nodes=nodes, edges=edges, mode=recipe, info=info)


def to_networkx(net: Network, *, node_values: pd.DataFrame | None = None) -> Any:
    """The network as an osmnx-compatible ``networkx.MultiDiGraph``.

    Graph attributes ``crs="EPSG:4326"`` and ``simplified=True``; nodes keyed by
    ``osmid`` with ``x``, ``y`` (WGS-84) and ``street_count``; one arc per allowed
    direction of each edge (a two-way street is two arcs, as osmnx lists it) with
    ``length`` (metres), ``geometry`` (a LineString drawn from the arc's start to
    its end), ``highway``, ``name`` (left out where unknown), ``oneway``,
    ``reversed`` (the arc runs against the edge's OSM way), ``osmid`` (the way),
    ``speed_kph`` and ``travel_time`` (seconds, at the mode's speeds).
    :func:`graph_from_networkx` reads it back to the same distances.

    Parameters
    ----------
    net
        The street network.
    node_values
        Optional per-node columns, one row per node of ``net.nodes`` (same index),
        added as node attributes (e.g. :meth:`RunResult.node_table
        <accessibility.run.result.RunResult.node_table>`'s distances).

    Returns
    -------
    networkx.MultiDiGraph
        Usable with ``ox.plot_graph``, ``ox.shortest_path``, ``ox.graph_to_gdfs``.

    Raises
    ------
    InputError
        When ``node_values`` does not match the nodes or reuses ``x``, ``y`` or ``street_count``.
    """
    try:
        import networkx as nx
    except ImportError as exc:  # pragma: no cover - networkx comes with osmnx and the test extra
        raise errors.AccessibilityError("to_networkx needs networkx: pip install networkx (or pip install 'accessibility[online]')") from exc
    n = net.n_nodes
    u, v = net.edges["u"].to_numpy(np.int64), net.edges["v"].to_numpy(np.int64)
    nodes = pd.DataFrame(
        {"x": net.nodes["lon"].to_numpy(), "y": net.nodes["lat"].to_numpy(), "street_count": np.bincount(u, minlength=n) + np.bincount(v, minlength=n)},
        index=net.nodes.index,
    )
    if node_values is not None:
        nodes = pd.concat([nodes, _checked_values(node_values, net)], axis=1)
    ids = net.nodes["osmid"].to_numpy(np.int64)
    G = nx.MultiDiGraph(crs="EPSG:4326", simplified=True, created_with="accessibility")
    G.add_nodes_from(zip(ids.tolist(), nodes.to_dict("records"), strict=True))
    for backward in (False, True):
        G.add_edges_from(_arcs(net, ids, backward=backward))
    return G


def _checked_values(values: pd.DataFrame, net: Network) -> pd.DataFrame:
    clash = [c for c in values.columns if c in _NODE_COLUMNS]
    if clash:
        raise errors.InputError(f"node_values may not replace the node attributes {clash}; rename those columns")
    if len(values) != net.n_nodes or not values.index.equals(net.nodes.index):
        raise errors.InputError(
            f"node_values has {len(values)} rows indexed {values.index[:3].tolist()}...; it needs one row per network node "
            f"({net.n_nodes}), indexed like net.nodes (e.g. RunResult.node_table(mode) for the same mode)"
        )
    values = values.copy()
    for col in values.columns:  # text columns (facility ids): a missing value is None, as networkx users expect
        if not pd.api.types.is_numeric_dtype(values[col]):
            values[col] = values[col].astype(object).where(values[col].notna(), None)
    return values


def _arcs(net: Network, ids: np.ndarray, *, backward: bool) -> list[tuple[int, int, dict]]:
    """The (from, to, attributes) arcs of one direction of the edges that allow it."""
    e = net.edges
    mask = e["backward" if backward else "forward"].to_numpy(bool)
    sub = e[mask]
    geoms = sub.geometry.to_numpy()
    speed = sub["speed_m_s"].to_numpy(np.float64)
    attrs = pd.DataFrame(
        {
            "osmid": sub["osm_way_id"].to_numpy(np.int64),
            "length": sub["length_m"].to_numpy(np.float64),
            "oneway": ~(sub["forward"].to_numpy(bool) & sub["backward"].to_numpy(bool)),
            "reversed": backward,
            "speed_kph": speed * 3.6,
            "travel_time": sub["length_m"].to_numpy(np.float64) / speed,
            "geometry": shapely.reverse(geoms) if backward else geoms,
        }
    )
    attrs["highway"] = sub["highway"].to_numpy(object)
    attrs["name"] = sub["name"].to_numpy(object)
    records: Sequence[dict] = attrs.to_dict("records")
    for record in records:  # osmnx leaves out the tags a way does not have
        for col in ("highway", "name"):
            if not record[col]:
                del record[col]
    start, end = sub["u"].to_numpy(np.int64), sub["v"].to_numpy(np.int64)
    if backward:
        start, end = end, start
    return list(zip(ids[start].tolist(), ids[end].tolist(), records, strict=True))


def graph_from_place(query: str, *, mode: str | config.ModeRecipe = "walk", largest_component: bool = True) -> Network:
    """Download a place's street network through osmnx (needs internet and ``pip install 'accessibility[online]'``).

    osmnx's network type of the same name (``walk``, ``bike``, ``drive``; ``all``
    for other recipes) is downloaded and simplified, then built with
    :func:`graph_from_networkx`, which applies the recipe's way filter.

    Parameters
    ----------
    query
        A place name osmnx geocodes (e.g. ``"西湖区, 杭州市"``).
    mode
        Mode id, recipe path or :class:`~accessibility.config.ModeRecipe`.
    largest_component
        Keep only the largest connected part (default).

    Returns
    -------
    Network
        The mode's street graph.

    Raises
    ------
    AccessibilityError
        When osmnx is not installed.
    """
    try:
        import osmnx as ox
    except ImportError as exc:
        raise errors.AccessibilityError("graph_from_place needs osmnx: pip install 'accessibility[online]'") from exc
    recipe = mode if isinstance(mode, config.ModeRecipe) else config.load_mode(mode)
    network_type = recipe.id if recipe.id in ("walk", "bike", "drive") else "all"
    G = ox.graph_from_place(query, network_type=network_type, simplify=True)
    net = graph_from_networkx(G, mode=recipe, largest_component=largest_component)
    net.info["source"] = f"osmnx graph_from_place({query!r}, network_type={network_type!r})"
    return net
