"""What a walker profile (:class:`~accessibility.config.Walker`) makes of each street edge, both ways.

A walker's cost of an edge is in *flat-equivalent metres at the walker's own
speed*: the metres a walker would cover on the flat, at that speed, in the time
the edge takes them::

    cost = length_m * slope_factor(direction) * (steps_factor on highway=steps)
           + crossing_delay_s * speed_m_s   (on a crossing of a major road)

so the time is ``cost / speed_m_s`` and a time goal's threshold stays
``max_time_s * speed_m_s``: the shortest-path searches and the verdicts work
in metres as before, on per-direction costs
(:func:`~accessibility.network.distances.build_access_graph` ``costs=``).

Slope factors come from a DEM (:func:`slope_columns`, columns ``slope_fw`` and
``slope_bw`` of the edges, Tobler's function in
:mod:`~accessibility.network.slope`); without them the walk is on the flat.

A crossing pays its delay once: a crossing way shares a node with the road it
crosses, so it is split there into two edges; the delay is paid on the edge
walked *towards* the road (arriving at a node of a trunk, primary or secondary
road), not again on the edge leaving it. A crossing of a dual carriageway
(two roads, two nodes) pays twice, once per carriageway: two waits at the lights.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

from .. import config
from ..readers.elevation import Dem
from . import graph as network_mod
from . import slope

__all__ = ["MAJOR_HIGHWAYS", "crossing_arrivals", "crossing_edges", "slope_columns", "walker_costs"]

log = logging.getLogger(__name__)

#: roads whose crossings make a walker wait (their ``_link`` ramps too)
MAJOR_HIGHWAYS = ("trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link")

#: the least sampling step of slopes, metres: shorter steps add the DEM's noise, which only slows walkers
MIN_SLOPE_SAMPLE_M = 10.0


def _major_node(net: network_mod.Network) -> np.ndarray:
    """Per node: an end of a major road edge (:data:`MAJOR_HIGHWAYS`)."""
    edges = net.edge_table
    major = np.isin(edges["highway"].to_numpy(dtype=object), MAJOR_HIGHWAYS)
    at = np.zeros(net.n_nodes, dtype=bool)
    at[edges["u"].to_numpy(np.int64)[major]] = True
    at[edges["v"].to_numpy(np.int64)[major]] = True
    return at


def _crossing_way(net: network_mod.Network) -> np.ndarray:
    edges = net.edge_table
    if "sidewalk" not in edges.columns:  # networks from road layers or graphs: no crossings known
        return np.zeros(len(edges), dtype=bool)
    return edges["sidewalk"].to_numpy(np.int8) == network_mod.CROSSING_WAY


def crossing_edges(net: network_mod.Network) -> np.ndarray:
    """Edges of crossing ways that touch a major road (a node that ends a trunk, primary or secondary edge).

    Parameters
    ----------
    net
        A walking network (its edges' ``sidewalk`` column holds
        :data:`~accessibility.network.graph.CROSSING_WAY` for crossing ways).

    Returns
    -------
    numpy.ndarray
        Boolean per edge.
    """
    fw, bw = crossing_arrivals(net)
    return fw | bw


def crossing_arrivals(net: network_mod.Network) -> tuple[np.ndarray, np.ndarray]:
    """Per edge of a crossing way: whether walking it forward (u→v) or backward (v→u) arrives at a major road.

    These are where a walker waits (once per road crossed; see the module's notes).

    Returns
    -------
    forward, backward
        Boolean per edge: ``v`` (forward) or ``u`` (backward) is a node of a major road.
    """
    crossing = _crossing_way(net)
    major = _major_node(net)
    edges = net.edge_table
    return crossing & major[edges["v"].to_numpy(np.int64)], crossing & major[edges["u"].to_numpy(np.int64)]


def slope_columns(net: network_mod.Network, dem: Dem | None) -> network_mod.Network:
    """The network with the edges' slope time factors ``slope_fw`` (u→v) and ``slope_bw`` (v→u) from a DEM.

    Sampled every ``max(10 m, the DEM's pixel)`` (shorter steps add noise, not detail).
    Without a DEM both columns are 1.0. The share of street length without
    elevation (outside the DEM, nodata) is recorded in ``net.info["elevation"]``.

    Parameters
    ----------
    net
        A walking network.
    dem
        Ground heights (:func:`~accessibility.readers.elevation.read_dem`), or ``None``.

    Returns
    -------
    Network
        A new network (the edges copied) with the two float columns.
    """
    if dem is not None:
        net.edges  # noqa: B018 - the slopes are sampled along the lines: built now, and copied with the table
    edges = net.edge_table.copy()
    n = len(edges)
    info = dict(net.info)
    if dem is None:
        edges["slope_fw"] = np.ones(n)
        edges["slope_bw"] = np.ones(n)
        info["elevation"] = {"dem": None}
        return dataclasses.replace(net, edges=edges, info=info)
    sample_m = max(MIN_SLOPE_SAMPLE_M, float(dem.pixel_size_m))
    factors = slope.edge_slope_factors(edges.geometry.to_numpy(), dem, sample_m=sample_m, metric_crs=net.metric_crs)
    edges["slope_fw"] = factors.forward
    edges["slope_bw"] = factors.backward
    length = edges["length_m"].to_numpy(np.float64)
    total = float(length.sum())
    missing = float((length * factors.missing_share).sum() / total) if total > 0 else 0.0
    info["elevation"] = {
        "dem": dem.path.name, "sample_m": sample_m, "share_length_without_elevation": round(missing, 4),
        "edges_without_elevation": factors.n_without_elevation, "edges_partial_elevation": factors.n_partial_elevation,
    }
    log.info("slope factors on %d edges from %s; %.1f%% of street length without elevation", n, dem.path.name, 100 * missing)
    return dataclasses.replace(net, edges=edges, info=info)


def walker_costs(net: network_mod.Network, walker: config.Walker) -> tuple[np.ndarray, np.ndarray]:
    """Per edge, a walker's cost of walking it forward (u→v) and backward (v→u), in flat-equivalent metres at the walker's speed.

    ``length_m * slope factor of the direction * (steps_factor on highway=steps)``, plus
    ``crossing_delay_s * speed_m_s`` where the direction arrives at a major road along a
    crossing way (:func:`crossing_arrivals`). Slopes count when the profile asks for
    them and the network has the columns of :func:`slope_columns`.

    Parameters
    ----------
    net
        A walking network.
    walker
        The profile.

    Returns
    -------
    forward, backward
        float64 per edge; time = cost / ``walker.speed_m_s``.
    """
    edges = net.edge_table
    length = edges["length_m"].to_numpy(np.float64)
    if walker.slope and "slope_fw" in edges.columns and "slope_bw" in edges.columns:
        f_fw, f_bw = edges["slope_fw"].to_numpy(np.float64), edges["slope_bw"].to_numpy(np.float64)
    else:
        f_fw = f_bw = np.ones(len(edges))
    highway = edges["highway"].to_numpy(dtype=object)
    f_fw = slope.apply_steps_penalty(f_fw, highway, steps_factor=walker.steps_factor)
    f_bw = slope.apply_steps_penalty(f_bw, highway, steps_factor=walker.steps_factor)
    fw, bw = length * f_fw, length * f_bw
    if walker.crossing_delay_s > 0:
        wait_m = walker.crossing_delay_s * walker.speed_m_s
        at_fw, at_bw = crossing_arrivals(net)
        fw, bw = fw + wait_m * at_fw, bw + wait_m * at_bw
    return fw, bw
