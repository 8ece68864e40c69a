"""The streets of a run when they do not come from its OSM file.

:func:`networks_from` takes what a user hands :func:`accessibility.run` as
``network=``: a road line layer (:mod:`.lines`), an osmnx/networkx graph
(:mod:`.nxgraph`) or a ready :class:`~accessibility.network.graph.Network`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import errors
from . import lines, nxgraph
from .graph import Network

__all__ = ["networks_from"]


def networks_from(network: Any, modes: Sequence[str]) -> dict[str, Network]:
    """The networks of ``modes`` from a road line layer, a networkx graph or a Network.

    Parameters
    ----------
    network
        A road line layer (a file, a GeoDataFrame or a
        :class:`~accessibility.readers.roads.RoadLayerInput`: read once and
        built for every mode), a networkx graph (built for every mode by
        :func:`~accessibility.network.nxgraph.graph_from_networkx`), or a
        :class:`Network`, which is one mode's.
    modes
        The modes the goals travel by.

    Returns
    -------
    dict
        Mode id -> network.

    Raises
    ------
    InputError
        A :class:`Network` of one mode when the goals also use others.
    """
    if isinstance(network, Network):
        other = sorted(set(modes) - {network.mode.id})
        if other:
            raise errors.InputError(
                f"the network given is a {network.mode.id} network, but the goals also travel by {other}; "
                "give a road layer or a networkx graph instead (each mode is built from it), or check only the goals of that mode (--goal)"
            )
        return {network.mode.id: network}
    import networkx as nx  # here: only runs given a network pay for importing it

    if isinstance(network, nx.Graph):
        return {m: nxgraph.graph_from_networkx(network, mode=m) for m in modes}
    return lines.graphs_from_lines(network, modes=modes)
