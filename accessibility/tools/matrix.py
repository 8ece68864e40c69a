"""Origin-destination cost matrix on a finished run, like ArcGIS's OD cost matrix.

Every origin and destination is snapped to the run's network exactly as
:mod:`~accessibility.tools.query` snaps its points (the nearest edge, the walk
to it counted, the along-edge offsets to both ends of the edge, one-way rules
kept). One multi-source ``scipy.sparse.csgraph.dijkstra(indices=..., limit=...)``
from the origins' edge ends (in chunks, so memory stays bounded) gives the
network cost to every node; the destinations' costs are then gathered with
numpy, taking the cheaper end of each edge on both sides. Two points on the
same piece of street go straight along it.

Destinations are the run's facilities (every access point of a polygon
counts, as in the run) or points. Pairs farther than ``max_dist_m`` are
omitted; points that cannot be snapped (no coordinates, far outside the
network) and points that reach nothing are listed in
``frame.attrs["unrouted"]``, not dropped silently.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse import csgraph

from .. import errors
from ..network import distances, snapping
from ..readers import areas, facility_files
from ..run.read import as_result
from ..run.result import ModeState, RunResult
from . import query

__all__ = ["OD_COLUMNS", "PointFile", "od_matrix", "unrouted_table", "write_matrix"]

log = logging.getLogger(__name__)

#: the columns of the matrix (names follow when the points have them)
OD_COLUMNS = ("origin_id", "destination_id", "dist_m", "time_s")
#: dense Dijkstra rows of one chunk: chunk x nodes float64 stays near 160 MB
_CELLS_PER_CHUNK = 20_000_000


@dataclass(frozen=True)
class PointFile:
    """A table of points (CSV/TXT/XLSX) and how to read it: the reader of ``accessibility query``.

    Attributes
    ----------
    path
        The table (CSV/TXT in UTF-8, GBK or UTF-16, or XLSX; see :func:`~accessibility.tools.query.read_points`).
    crs
        Coordinate system of its lon/lat: ``wgs84`` (default), ``gcj02`` (AMap/Gaode,
        Tencent), ``bd09`` (Baidu), ``cgcs2000`` or a geographic EPSG code.
    lon_col, lat_col, id_col, name_col
        Default: found by name (lon/lng/经度, lat/纬度, id/编号, name/名称).
    sheet, encoding
        Excel sheet; text encoding (default: detected).
    """

    path: str | Path
    crs: str = "wgs84"
    lon_col: str | None = None
    lat_col: str | None = None
    id_col: str | None = None
    name_col: str | None = None
    sheet: str | int | None = None
    encoding: str | None = None


PointSource: TypeAlias = str | Path | PointFile | pd.DataFrame


@dataclass
class _Points:
    """Points of one side of the matrix: ids, names, WGS-84 positions and why a row is not usable."""

    ids: np.ndarray
    names: np.ndarray | None
    lon: np.ndarray
    lat: np.ndarray
    status: np.ndarray  # "ok", or the reason the row is not routed

    @property
    def usable(self) -> np.ndarray:
        return self.status == "ok"


@dataclass
class _Ends:
    """Where points join a graph: per entry the point, its node and the cost between them (primary unit and metres)."""

    point: np.ndarray
    node: np.ndarray
    cost: np.ndarray
    length: np.ndarray


def od_matrix(
    run: RunResult | str | Path,
    *,
    origins: PointSource,
    destinations: PointSource = "facilities",
    mode: str = "walk",
    max_dist_m: float | None = None,
    service: str | None = None,
) -> pd.DataFrame:
    """Network distance and time from every origin to every destination.

    >>> od = od_matrix("runs/hz", origins="communities.csv", destinations="facilities", service="elderly_care", max_dist_m=2000)  # doctest: +SKIP

    Parameters
    ----------
    run
        A run, or the folder ``accessibility run`` wrote.
    origins
        Points: a table file (or :class:`PointFile` for its CRS and columns),
        or a DataFrame with lon/lat columns (WGS-84) or a GeoDataFrame.
    destinations
        ``"facilities"`` (the run's usable facilities) or points as for ``origins``.
    mode
        Travel mode of the run (``walk``; ``bike``/``drive`` when the run has them).
    max_dist_m
        Omit pairs farther than this along the network (on a time-weighted
        mode: pairs whose fastest route is longer).
    service
        With ``destinations="facilities"``: only this service's facilities.

    Returns
    -------
    DataFrame
        One row per reachable pair within ``max_dist_m``: ``origin_id``,
        ``destination_id``, ``dist_m``, ``time_s`` (at the mode's speed),
        plus ``origin_name``/``destination_name`` when the points have names,
        sorted by origin and distance. ``attrs["unrouted"]`` lists (records
        ``side``, ``id``, ``name``, ``reason``) the points not snapped or
        reaching nothing; ``attrs["notes"]`` says how the points were read.

    Raises
    ------
    InputError
        An unknown mode or service, a bad ``max_dist_m``, or a points file
        that cannot be read (the message names the file and the fix).
    """
    result = as_result(run)
    if mode not in result.modes:
        raise errors.InputError(f"the run has no {mode!r} network; its modes are {sorted(result.modes)}")
    if max_dist_m is not None and (isinstance(max_dist_m, bool) or not math.isfinite(float(max_dist_m)) or max_dist_m <= 0):
        raise errors.InputError(f"max_dist_m is a distance in metres above 0; got {max_dist_m!r}")
    state = result.modes[mode]
    notes: list[str] = []
    org = _read(origins, what="origins", notes=notes)
    facilities = isinstance(destinations, str) and destinations == "facilities"
    if service is not None and not facilities:
        raise errors.InputError("service= (--service) chooses among the run's facilities; it needs destinations='facilities' (--to facilities)")
    dst = _facilities(result, state, service) if facilities else _read(destinations, what="destinations", notes=notes)
    graphs = _graphs(state)
    max_snap_m = float(result.manifest.get("options", {}).get("max_snap_m", 300.0))
    o_ends, o_join = _snap(state, org, graphs, notes, side="origins", leaving=True, max_snap_m=max_snap_m)
    if facilities:
        pairs = _costs(graphs, o_ends, _facility_ends(graphs[0], result, dst), max_dist_m=max_dist_m)
    else:
        d_ends, d_join = _snap(state, dst, graphs, notes, side="destinations", leaving=False, max_snap_m=max_snap_m)
        pairs = _with_direct(_costs(graphs, o_ends, d_ends, max_dist_m=max_dist_m), graphs, o_join, d_join, max_dist_m=max_dist_m)
    frame = _frame(pairs, org, dst, speed_m_s=state.speed_m_s if graphs[0].weight == "length" else None)
    frame.attrs["unrouted"] = _unrouted(org, dst, pairs, max_dist_m)
    frame.attrs["notes"] = notes
    log.info("OD matrix: %d origins x %d destinations -> %d pairs", int(org.usable.sum()), int(dst.usable.sum()), len(frame))
    return frame


def unrouted_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The points of an :func:`od_matrix` result that were not routed or reached nothing, as a table."""
    return pd.DataFrame(frame.attrs.get("unrouted") or [], columns=["side", "id", "name", "reason"])


# --------------------------------------------------------------------------- reading the points


def _read(source: Any, *, what: str, notes: list[str]) -> _Points:
    """Points from a table file, a :class:`PointFile`, a DataFrame (WGS-84 lon/lat) or a GeoDataFrame."""
    import geopandas as gpd

    if isinstance(source, gpd.GeoDataFrame):
        return _from_geoframe(source, what)
    if isinstance(source, pd.DataFrame):
        lon_c, lat_c = query.find_lon_lat_columns(source, source=f"the {what} table")
        lon = pd.to_numeric(source[lon_c], errors="coerce").to_numpy(np.float64)
        lat = pd.to_numeric(source[lat_c], errors="coerce").to_numpy(np.float64)
        ids, names = _ids_names(source, None, None, Path(f"<{what} table>"), default=source.index.to_numpy())
        return _Points(ids, names, lon, lat, _range_status(lon, lat))
    if not isinstance(source, (str, Path, PointFile)):
        raise errors.InputError(f"{what}: give a CSV/XLSX file, a PointFile, or a DataFrame with lon/lat columns; got {type(source).__name__}")
    spec = source if isinstance(source, PointFile) else PointFile(source)
    path = Path(spec.path)
    try:
        frame, lon, lat, status = query.read_points(path, lon_col=spec.lon_col, lat_col=spec.lat_col, what=what, sheet=spec.sheet, encoding=spec.encoding)
    except errors.AccessibilityError as exc:  # name the options of this command (--from-lon-col / --to-lon-col)
        side = "--from" if what == "origins" else "--to"
        raise type(exc)(str(exc).replace("--lon-col", f"{side}-lon-col").replace("--lat-col", f"{side}-lat-col")) from None
    notes += frame.attrs.get("notes", [])
    declared = areas.parse_crs(spec.crs)
    if declared.kind not in ("wgs84", "cgcs2000"):
        ok = np.isfinite(lon) & np.isfinite(lat)
        lon[ok], lat[ok] = areas.lonlat_to_wgs84(lon[ok], lat[ok], declared)
        notes.append(f"{path.name}: coordinates converted from {declared.label} to WGS-84")
    status = np.where(pd.Series(status, dtype=object).str.startswith("ok").to_numpy(bool), "ok", status).astype(object)
    status[(status == "ok") & ~(np.isfinite(lon) & np.isfinite(lat))] = f"coordinates cannot be transformed from {declared.label}"
    ids, names = _ids_names(frame, spec.id_col, spec.name_col, path, default=frame.index.to_numpy())
    return _Points(ids, names, lon, lat, status)


def _from_geoframe(frame: Any, what: str) -> _Points:
    """Points of a GeoDataFrame (any CRS; polygons by a point on their surface)."""
    lon, lat, empty = query.geometry_lonlat(frame)
    ids, names = _ids_names(pd.DataFrame(frame.drop(columns=frame.geometry.name)), None, None, Path(f"<{what} GeoDataFrame>"), default=frame.index.to_numpy())
    status = _range_status(lon, lat)
    status[empty] = "no geometry"
    return _Points(ids, names, lon, lat, status)


def _range_status(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    status = np.full(len(lon), "ok", dtype=object)
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(lon) & np.isfinite(lat)) | (np.abs(lon) > 180) | (np.abs(lat) > 90)
    status[bad] = "invalid coordinates (missing, not numbers, or out of range)"
    return status


def _ids_names(frame: pd.DataFrame, id_col: str | None, name_col: str | None, path: Path, *, default: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Ids (an id column, else the row numbers a person sees) and names (a name column, if any)."""
    cols = [str(c) for c in frame.columns]
    id_c = facility_files.pick_column(cols, id_col, facility_files.ID_NAMES, what="id", path=path)
    name_c = facility_files.pick_column(cols, name_col, facility_files.NAME_NAMES, what="name", path=path)
    ids = frame[id_c].astype(str).str.strip().to_numpy(dtype=object) if id_c else np.asarray(default).astype(object)
    if id_c:
        ids = np.where(pd.isna(frame[id_c]).to_numpy() | (ids == ""), np.asarray(default).astype(str), ids).astype(object)
    names = frame[name_c].fillna("").astype(str).to_numpy(dtype=object) if name_c else None
    return ids, names


def _facilities(result: RunResult, state: ModeState, service: str | None) -> _Points:
    """The run's usable facilities (of one service) as destinations."""
    fac = result.facilities
    if service is not None and service not in result.services:
        raise errors.InputError(f"unknown service {service!r}; this run has {sorted(result.services)}")
    mask = result.facility_mask(service) if service is not None else fac["status"].to_numpy() == "used"
    status = np.where(mask, "ok", "not used").astype(object)
    reached = np.zeros(len(fac), bool)
    reached[state.access.facility] = True
    status[mask & ~reached] = "no access point on this network"
    ids = fac["facility_id"].astype(str).to_numpy(dtype=object)
    names = fac["name"].fillna("").astype(str).to_numpy(dtype=object) if "name" in fac else None
    keep = np.flatnonzero(mask)
    return _Points(ids[keep], None if names is None else names[keep], np.full(len(keep), np.nan), np.full(len(keep), np.nan), status[keep])


# --------------------------------------------------------------------------- joining the network


@dataclass
class _Joined:
    """Snapped points: their rows, edge, position, walk to the street and the graph node at their edge's ``u`` side."""

    rows: np.ndarray
    edge: np.ndarray
    t: np.ndarray
    snap_dist_m: np.ndarray
    left: np.ndarray


def _graphs(state: ModeState) -> tuple[distances.AccessGraph, distances.AccessGraph]:
    """The access graph the matrix minimises on (the mode's weight), and its metres twin."""
    weight = "time" if state.recipe.weight == "time" else "length"
    return state.graphs[weight], state.graphs["length"]


def _snap(
    state: ModeState, pts: _Points, graphs: tuple[distances.AccessGraph, distances.AccessGraph], notes: list[str], *, side: str, leaving: bool, max_snap_m: float
) -> tuple[_Ends, _Joined]:
    """Snap the usable points; their two edge ends with the cost point -> end (``leaving``) or end -> point."""
    rows = np.flatnonzero(pts.usable)
    snapped = state.index.snap_points(pts.lon[rows], pts.lat[rows])
    outside = snapped.snap_dist_m > query.OUTSIDE_M
    pts.status[rows[outside]] = [
        f"outside the run's area ({d / 1000:.1f} km from the nearest street); check the coordinates and the lon/lat order" for d in snapped.snap_dist_m[outside]
    ]
    far = (snapped.snap_dist_m > max_snap_m) & ~outside
    if far.any():
        notes.append(f"{int(far.sum())} {side} are more than {max_snap_m:g} m from a street; their trips include that walk")
    keep = ~outside
    rows = rows[keep]
    snapped = snapping.Snapped(snapped.edge[keep], snapped.t[keep], snapped.snap_dist_m[keep])
    (l_node, l_cost, r_node, r_cost, snap), (_, l_len, _, r_len, snap_len) = (_edge_ends(g, snapped, leaving=leaving) for g in graphs)
    cat = np.concatenate
    ends = _Ends(cat([rows, rows]), cat([l_node, r_node]), cat([l_cost + snap, r_cost + snap]), cat([l_len + snap_len, r_len + snap_len]))
    return ends, _Joined(rows, snapped.edge, snapped.t, snapped.snap_dist_m, l_node)


def _edge_ends(graph: distances.AccessGraph, snapped: snapping.Snapped, *, leaving: bool) -> tuple[np.ndarray, ...]:
    """The nodes at both ends of each point's piece of edge and the cost to (``leaving``) or from them.

    :func:`~accessibility.network.distances.point_neighbours` gives the trip
    point -> node; arriving at a point runs the edge the other way, so its
    one-way rules swap.
    """
    if leaving:
        return distances.point_neighbours(graph, snapped, role="start")
    left, _, right, _, snap = distances.point_neighbours(graph, snapped, role="street")
    edges = graph.net.edges
    e, t = snapped.edge, snapped.t
    fw, bw = edges["forward"].to_numpy(bool)[e], edges["backward"].to_numpy(bool)[e]
    n, ap_t = graph.n_base, np.r_[graph.ap_t, 0.0]  # split node n + i sits at ap_t[i] along its edge
    t_left = np.where(left >= n, ap_t[np.clip(left - n, 0, len(ap_t) - 1)], 0.0)
    t_right = np.where(right >= n, ap_t[np.clip(right - n, 0, len(ap_t) - 1)], 1.0)
    d_left, d_right = np.maximum(t - t_left, 0.0), np.maximum(t_right - t, 0.0)
    back = graph.edge_cost if graph.edge_cost_back is None else graph.edge_cost_back
    # from the left node the point is reached walking the edge forward (u -> v), from the right backward
    from_left = np.where(fw | (d_left <= 0), d_left * graph.edge_cost[e], np.inf)
    from_right = np.where(bw | (d_right <= 0), d_right * back[e], np.inf)
    return graph.role_nodes(left, e, "end"), from_left, graph.role_nodes(right, e, "end"), from_right, snap


def _facility_ends(graph: distances.AccessGraph, result: RunResult, dst: _Points) -> _Ends:
    """Facilities join the graph at the stub node of each access point (its cost already holds the walk from the street)."""
    row_of = pd.Series(np.arange(len(dst.ids), dtype=np.float64), index=pd.Index(dst.ids))
    fac_ids = result.facilities["facility_id"].astype(str).to_numpy()[graph.ap_facility]
    point = row_of.reindex(fac_ids).to_numpy()
    ok = np.isfinite(point)
    ok[ok] = dst.usable[point[ok].astype(np.int64)]
    zero = np.zeros(int(ok.sum()))
    return _Ends(point[ok].astype(np.int64), graph.stub_node[ok], zero, zero.copy())


# --------------------------------------------------------------------------- the searches


def _forward(graph: distances.AccessGraph) -> sp.csr_matrix:
    """The graph in travel direction (the run stores it reversed, for searches from facilities)."""
    return graph.reverse_csr.transpose().tocsr()


def _groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order that sorts ``keys``, and where each run of equal keys starts in that order."""
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    return order, np.flatnonzero(np.r_[True, k[1:] != k[:-1]]) if len(k) else np.array([], np.int64)


def _costs(graphs: tuple[distances.AccessGraph, distances.AccessGraph], o: _Ends, d: _Ends, *, max_dist_m: float | None) -> pd.DataFrame:
    """Cheapest cost of every (origin, destination) pair through the network, in chunks of origins.

    Per chunk: one multi-source Dijkstra from the origins' edge ends, the
    destinations' ends gathered from its rows, the cheaper end kept on both sides.
    """
    main, metres = graphs
    timed = main.weight == "time"
    fwd = _forward(main)
    arc_len = _ArcLengths(_forward(metres)) if timed else None
    limit = np.inf if max_dist_m is None else (max_dist_m / _slowest_m_s(main) if timed else float(max_dist_m))
    d_order, d_starts = _groups(d.point)
    d_point, d_node, d_cost, d_len = d.point[d_order], d.node[d_order], d.cost[d_order], d.length[d_order]
    o_order, o_starts = _groups(o.point)
    o_point, o_node, o_cost, o_len = o.point[o_order], o.node[o_order], o.cost[o_order], o.length[o_order]
    chunk = max(1, _CELLS_PER_CHUNK // (2 * max(main.n_nodes, len(d_node), 1)))
    frames = []
    bounds = np.r_[o_starts, len(o_point)]
    for lo in range(0, len(o_starts) if len(d_starts) else 0, chunk):  # one search per chunk of origins (memory bound), not per origin
        a, b = bounds[lo], bounds[min(lo + chunk, len(o_starts))]
        sources, src_row = np.unique(o_node[a:b], return_inverse=True)
        out = csgraph.dijkstra(fwd, directed=True, indices=sources, limit=limit, return_predecessors=timed)
        dist = out[0] if timed else out
        lengths = arc_len.along_tree(out[1]) if arc_len is not None else dist
        best, best_len = _cheapest(dist[:, d_node] + d_cost, lengths[:, d_node] + d_len, d_starts, axis=1)  # sources x destinations
        cost, length = _cheapest(o_cost[a:b, None] + best[src_row], o_len[a:b, None] + best_len[src_row], o_starts[lo : lo + chunk] - a, axis=0)
        oi, di = np.nonzero(np.isfinite(cost))
        frames.append(pd.DataFrame({"o": o_point[a:b][o_starts[lo : lo + chunk] - a][oi], "d": d_point[d_starts][di], "cost": cost[oi, di], "dist_m": length[oi, di]}))
    pairs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"o": np.array([], np.int64), "d": np.array([], np.int64), "cost": [], "dist_m": []})
    keep = np.isfinite(pairs["cost"].to_numpy()) & ((pairs["dist_m"].to_numpy() <= max_dist_m) if max_dist_m is not None else True)
    return pairs[keep].reset_index(drop=True)


def _cheapest(cost: np.ndarray, length: np.ndarray, starts: np.ndarray, *, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """The cheapest entry of each group of rows (``axis=0``) or columns (``axis=1``), and its length (ties: the shorter)."""
    best = np.minimum.reduceat(cost, starts, axis=axis)
    sizes = np.diff(np.r_[starts, cost.shape[axis]])
    spread = np.repeat(best, sizes, axis=axis)
    return best, np.minimum.reduceat(np.where(cost <= spread, length, np.inf), starts, axis=axis)


def _slowest_m_s(graph: distances.AccessGraph) -> float:
    """The slowest speed of a time-weighted graph (to bound a time search by a distance)."""
    length = graph.net.edges["length_m"].to_numpy(np.float64)
    ok = graph.edge_cost > 0
    speeds = length[ok] / graph.edge_cost[ok]
    return float(min(speeds.min() if len(speeds) else graph.snap_speed_m_s, graph.snap_speed_m_s))


class _ArcLengths:
    """Metres of the arcs of a graph, looked up by (from, to): to measure a fastest route's length."""

    def __init__(self, fwd: sp.csr_matrix) -> None:
        fwd = fwd.copy()
        fwd.sort_indices()
        self.n = n = fwd.shape[0]
        self.key = np.repeat(np.arange(n, dtype=np.int64), np.diff(fwd.indptr)) * n + fwd.indices.astype(np.int64)
        self.value = np.r_[fwd.data.astype(np.float64), 0.0]

    def along_tree(self, pred: np.ndarray) -> np.ndarray:
        """Length from each row's source to every node along its shortest-path tree (``pred`` as csgraph returns it).

        Pointer jumping: each round adds the length of the ancestor's path and
        jumps to the ancestor's ancestor, so log2(depth) vectorised rounds
        replace a walk up the tree per node.
        """
        rows = np.arange(pred.shape[0])[:, None]
        cols = np.arange(pred.shape[1])[None, :]
        anc = pred.astype(np.int64)
        pos = np.minimum(np.searchsorted(self.key, np.maximum(anc, 0) * self.n + cols), len(self.key))
        acc = np.where(anc >= 0, self.value[pos], 0.0)
        while (anc >= 0).any():
            up = np.maximum(anc, 0)
            acc = acc + np.where(anc >= 0, acc[rows, up], 0.0)
            anc = np.where(anc >= 0, anc[rows, up], -1)
        return acc


def _with_direct(pairs: pd.DataFrame, graphs: tuple[distances.AccessGraph, distances.AccessGraph], o: _Joined, d: _Joined, *, max_dist_m: float | None) -> pd.DataFrame:
    """Trips between two points on the same piece of street go straight along it (the network search would turn at a node)."""
    main, metres = graphs
    a = pd.DataFrame({"o": o.rows, "edge": o.edge, "left": o.left, "t_o": o.t, "snap_o": o.snap_dist_m})
    b = pd.DataFrame({"d": d.rows, "edge": d.edge, "left": d.left, "t_d": d.t, "snap_d": d.snap_dist_m})
    same = a.merge(b, on=["edge", "left"])
    if same.empty:
        return pairs
    e = same["edge"].to_numpy()
    dt = same["t_d"].to_numpy() - same["t_o"].to_numpy()
    edges = main.net.edges
    ok = np.where(dt >= 0, edges["forward"].to_numpy(bool)[e] | (dt == 0), edges["backward"].to_numpy(bool)[e])
    snap = same["snap_o"].to_numpy() + same["snap_d"].to_numpy()
    dist = snap + np.abs(dt) * metres.edge_cost[e]
    cost = dist if main.weight == "length" else snap / main.snap_speed_m_s + np.abs(dt) * main.edge_cost[e]
    direct = pd.DataFrame({"o": same["o"].to_numpy(), "d": same["d"].to_numpy(), "cost": np.where(ok, cost, np.inf), "dist_m": np.where(ok, dist, np.inf)})
    direct = direct[np.isfinite(direct["cost"].to_numpy()) & ((direct["dist_m"].to_numpy() <= max_dist_m) if max_dist_m is not None else True)]
    both = pd.concat([pairs, direct], ignore_index=True).sort_values(["o", "d", "cost", "dist_m"], kind="stable")
    return both.drop_duplicates(["o", "d"], keep="first").reset_index(drop=True)


# --------------------------------------------------------------------------- the table


def _frame(pairs: pd.DataFrame, org: _Points, dst: _Points, *, speed_m_s: float | None) -> pd.DataFrame:
    """The long table: ids (and names), metres and seconds, by origin then distance."""
    pairs = pairs.sort_values(["o", "dist_m", "d"], kind="stable")
    o, d = pairs["o"].to_numpy(np.int64), pairs["d"].to_numpy(np.int64)
    dist = pairs["dist_m"].to_numpy(np.float64)
    time = dist / speed_m_s if speed_m_s else pairs["cost"].to_numpy(np.float64)
    data: dict[str, Any] = {"origin_id": org.ids[o], "destination_id": dst.ids[d], "dist_m": dist, "time_s": time}
    if org.names is not None:
        data["origin_name"] = org.names[o]
    if dst.names is not None:
        data["destination_name"] = dst.names[d]
    return pd.DataFrame(data)


def _unrouted(org: _Points, dst: _Points, pairs: pd.DataFrame, max_dist_m: float | None) -> list[dict]:
    """Points not snapped, and points that reach (or are reached by) nothing."""
    within = f" within {max_dist_m:g} m" if max_dist_m is not None else ""
    out = []
    for side, pts, col, none in (("origin", org, "o", f"reaches no destination{within}"), ("destination", dst, "d", f"reached from no origin{within}")):
        routed = np.zeros(len(pts.ids), bool)
        routed[pairs[col].to_numpy(np.int64)] = True
        reason = np.where(pts.usable & ~routed, none, pts.status)
        rows = np.flatnonzero(~pts.usable | ~routed)
        names = pts.names if pts.names is not None else np.full(len(pts.ids), "", dtype=object)
        out += [{"side": side, "id": pts.ids[i], "name": names[i], "reason": reason[i]} for i in rows.tolist()]  # the listed rows only
    return out


def write_matrix(frame: pd.DataFrame, out: str | Path) -> list[Path]:
    """Write an :func:`od_matrix` result: ``.parquet``, or ``.csv`` (UTF-8 with BOM, formula-safe), atomically.

    The points not routed are written beside it as ``<name>_unrouted.csv`` when there are any.

    Returns
    -------
    list of Path
        The files written.
    """
    from ..core import fileio

    out = Path(out)
    kind = out.suffix.lower()
    if kind not in (".parquet", ".csv"):
        raise errors.InputError(f"--out {out}: write the matrix as .parquet or .csv")
    table = frame.copy()
    table.attrs = {}
    with fileio.atomic_path(out) as tmp:
        if kind == ".parquet":
            table.to_parquet(tmp, index=False)
        else:
            fileio.spreadsheet_safe(table.round({"dist_m": 1, "time_s": 1})).to_csv(tmp, index=False, encoding="utf-8-sig")
    paths = [out]
    missing = unrouted_table(frame)
    if len(missing):
        side = out.with_name(f"{out.stem}_unrouted.csv")
        with fileio.atomic_path(side) as tmp:
            fileio.spreadsheet_safe(missing).to_csv(tmp, index=False, encoding="utf-8-sig")
        paths.append(side)
    return paths
