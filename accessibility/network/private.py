"""Private ways walked only at a trip's start or end: the layered graph.

A Chinese residential compound (小区), a campus or a hospital's grounds has
its own paths behind a wall and a few gates. A resident inside walks out
through them; a care station inside is reached through them; nobody uses a
compound as a short cut between two public streets. So a trip's edges are
*private\\* public\\* private\\**: it may use private ways at its start and at
its end, never in between. Dropping private ways (the former rule, and most
routing engines' default) strands residents and facilities inside on the
nearest public street, often across a wall; keeping them as ordinary edges
lets every trip cut through every compound.

The rule stays one compiled shortest-path search on a *layered graph*: each
node on a private way gets three roles,

* ``start`` (its own id): private ways only, a trip's first part;
* ``public``: public ways only;
* ``end``: private ways only, a trip's last part;

with free moves start → public → end and start → end at the same node (a
gate, or any node where private and public ways meet). Nodes only on public
ways have one role. There is no move back from public to start, nor from end
to anything, so a path can never go public → private → public. Residents and
other trip origins join at ``start`` when their street is private and at
``public`` otherwise; facilities and destinations at ``end`` or ``public``.
Only the nodes on private ways are copied, so a network without them is
searched exactly as before.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

__all__ = ["Layers", "layered", "roles_of"]


@dataclass(frozen=True)
class Layers:
    """Node roles of a layered graph (see the module docstring).

    ``public[x]`` and ``end[x]`` are the ids of node ``x``'s public and end
    roles (``x`` itself for a node on public ways only); ``x`` is its start role.
    """

    n_base: int  # nodes before layering
    on_private: np.ndarray  # the nodes on private ways, sorted
    public: np.ndarray  # per node before layering
    end: np.ndarray
    src: np.ndarray  # the arcs, as given
    dst: np.ndarray
    private: np.ndarray

    @property
    def n_nodes(self) -> int:
        return self.n_base + 2 * len(self.on_private)

    @property
    def copies(self) -> np.ndarray:
        """For each node after ``n_base``: the node it is a copy of."""
        return np.concatenate([self.on_private, self.on_private])

    def roles(self) -> Layers:
        """The roles only, without the arcs they were found from (which a graph kept for a whole run need not hold)."""
        none = np.zeros(0, np.int64)
        return dataclasses.replace(self, src=none, dst=none, private=np.zeros(0, bool))

    def arcs(self, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The layered graph's arcs (from, to, cost), travel direction.

        Public arcs join public roles; private arcs are laid twice, between
        start roles and between end roles; each node on a private way has free
        moves start → public, public → end and start → end.
        """
        if len(cost) != len(self.src):
            raise ValueError(f"{len(cost)} costs for {len(self.src)} arcs (roles kept without their arcs have none: Layers.roles)")
        if not len(self.on_private):
            return self.src, self.dst, np.asarray(cost, np.float64)
        pub, priv = ~self.private, self.private
        p = self.on_private
        zero = np.zeros(3 * len(p))
        return (
            np.concatenate([self.public[self.src[pub]], self.src[priv], self.end[self.src[priv]], p, self.public[p], p]),
            np.concatenate([self.public[self.dst[pub]], self.dst[priv], self.end[self.dst[priv]], self.public[p], self.end[p], self.end[p]]),
            np.concatenate([cost[pub], cost[priv], cost[priv], zero]),
        )


def layered(src: np.ndarray, dst: np.ndarray, private: np.ndarray, n_nodes: int) -> Layers:
    """The roles of a graph's nodes given its arcs and which arcs are private ways.

    Parameters
    ----------
    src, dst
        Arcs in travel direction, node ids below ``n_nodes``.
    private
        Per arc: a private way (usable only at a trip's start or end).
    n_nodes
        Nodes of the graph before layering.

    Returns
    -------
    Layers
        The roles; :meth:`Layers.arcs` gives the layered arcs.
    """
    private = np.asarray(private, dtype=bool)
    on_private = np.unique(np.concatenate([src[private], dst[private]])) if private.any() else np.array([], np.int64)
    return dataclasses.replace(roles_of(on_private, n_nodes), src=src, dst=dst, private=private)


def roles_of(on_private: np.ndarray, n_nodes: int) -> Layers:
    """The roles of a graph whose nodes ``on_private`` (sorted, unique) lie on private ways, without its arcs (:meth:`Layers.roles`).

    For a graph whose private nodes are known without laying its arcs
    (:func:`~accessibility.network.distances.build_access_graph`): the same
    roles as :func:`layered` of those arcs.
    """
    on_private = np.asarray(on_private, dtype=np.int64)
    public = np.arange(n_nodes, dtype=np.int64)
    end = public.copy()
    public[on_private] = n_nodes + np.arange(len(on_private))
    end[on_private] = n_nodes + len(on_private) + np.arange(len(on_private))
    none = np.zeros(0, np.int64)
    return Layers(n_base=n_nodes, on_private=on_private, public=public, end=end, src=none, dst=none, private=np.zeros(0, bool))
