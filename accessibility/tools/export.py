"""A finished run's street network as an osmnx graph, with each node's distance to every service.

``run_to_networkx(run_dir)`` gives a ``networkx.MultiDiGraph`` in osmnx's form
(:func:`accessibility.network.nxgraph.to_networkx`) whose nodes carry, per service,
the network distance in metres to the nearest facility (``<service>_dist_m``) and
that facility's id (``<service>_facility``), as :meth:`RunResult.node_table
<accessibility.run.result.RunResult.node_table>` computes them. An osmnx user can
then colour ``ox.plot_graph`` by a service's distance or route with ``ox.shortest_path``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import errors
from ..network import nxgraph
from ..run.read import as_result
from ..run.result import RunResult

__all__ = ["run_to_networkx"]


def run_to_networkx(run: RunResult | str | Path, *, mode: str = "walk") -> Any:
    """The run's street network of ``mode`` as an osmnx-compatible ``MultiDiGraph`` with per-node service distances.

    Parameters
    ----------
    run
        A :class:`~accessibility.run.result.RunResult` or its run folder.
    mode
        The travel mode whose network is exported (``"walk"`` by default).

    Returns
    -------
    networkx.MultiDiGraph
        Nodes keyed by OSM id with ``x``, ``y``, ``street_count`` and, per service
        (and per tier set a goal of the mode uses), ``<set>_dist_m`` (metres along
        the network, ``inf`` where no facility is reached) and ``<set>_facility``
        (the nearest facility's id, ``None`` where none is reached); edges as
        :func:`~accessibility.network.nxgraph.to_networkx` writes them.

    Raises
    ------
    InputError
        When the run has no network for ``mode``.
    RunDirectoryError
        When ``run`` is a folder that is not a complete run.
    """
    result = as_result(run)
    if mode not in result.modes:
        raise errors.InputError(f"the run has no '{mode}' network; its modes are {sorted(result.modes)}")
    net = result.modes[mode].net
    values = result.node_table(mode).drop(columns=["osmid", "lon", "lat"])
    values.index = net.nodes.index  # node_table has one row per network node, in order
    return nxgraph.to_networkx(net, node_values=values)
