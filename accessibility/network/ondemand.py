"""A mode's edge index when a run needs it: the whole network's, or the streets around a few places.

Indexing a 1M-node network's streets (projecting 5M coordinates, building
1.5M lines and their tree) takes ~2 s on two cores. A cold run needs it to
join a million residents to the streets, and builds it in the background
while it reads the facilities and the population. A rerun takes the residents'
positions and most facilities' access points from the cache
(:mod:`accessibility.run.reuse`); a planner's few new sites need only the
streets around them, which :meth:`EdgeIndex.near
<accessibility.network.snapping.EdgeIndex.near>` indexes in milliseconds and
which give the very access points the whole index would.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Executor, Future

import numpy as np
import shapely

from . import graph as network_mod
from . import snapping

__all__ = ["EdgeIndexOnDemand"]

log = logging.getLogger(__name__)


class EdgeIndexOnDemand:
    """The whole network's :class:`~accessibility.network.snapping.EdgeIndex`, built on ``background`` when first needed (:meth:`start`, :meth:`whole`).

    Until it is built, :meth:`access_points` and :meth:`snap_points` for a few
    places answer from an index of the streets around them.

    Parameters
    ----------
    net
        The network.
    background
        Where the whole index is built; ``None``: in the calling thread.
    """

    def __init__(self, net: network_mod.Network, background: Executor | None = None):
        self.net = net
        self._background = background
        self._future: Future[snapping.EdgeIndex] | None = None
        self._edge_bounds: np.ndarray | None = None
        self._lock = threading.Lock()
        self.local_queries = 0  # answered around their places (for the tests and the logs)

    @property
    def used(self) -> str:
        """What has answered so far: ``"whole"`` (the whole network's index), ``"near"`` (only indexes around places) or ``"none"``."""
        return "whole" if self._future is not None else "near" if self.local_queries else "none"

    def start(self) -> None:
        """Build the whole index in the background now (a run that will snap many places)."""
        with self._lock:
            if self._future is None:
                try:
                    if self._background is not None:
                        self._future = self._background.submit(snapping.EdgeIndex, self.net)
                        return
                except RuntimeError:  # the run's background pool is shut down (its results are being written): built here
                    pass
                self._future = Future()
                self._future.set_result(snapping.EdgeIndex(self.net))

    def whole(self) -> snapping.EdgeIndex:
        """The whole network's index (waited for, or built now)."""
        self.start()
        assert self._future is not None
        return self._future.result()

    def _near(self, geoms: np.ndarray, reach_m: float) -> snapping.EdgeIndex | None:
        """An index around ``geoms`` (WGS-84), unless the whole one is at hand or they are spread wide."""
        if self._future is not None and self._future.done():
            return None
        if self._edge_bounds is None:
            self._edge_bounds = self.net.edge_coords().bounds()
        return snapping.EdgeIndex.near(self.net, geoms, reach_m=reach_m, edge_bounds=self._edge_bounds)

    def access_points(self, geoms: np.ndarray, *, reach_m: float = 30.0, entrances: np.ndarray | None = None) -> tuple[np.ndarray, snapping.Snapped]:
        """:meth:`EdgeIndex.access_points <accessibility.network.snapping.EdgeIndex.access_points>`."""
        geoms = np.asarray(geoms, dtype=object)
        if not len(geoms):  # every place's access points are known (a rerun): no index at all
            return snapping.EdgeIndex.no_access_points()
        local = self._near(geoms, reach_m)
        if local is not None:
            try:
                found = local.access_points(geoms, reach_m=reach_m, entrances=entrances)
            except snapping.NotCovered as exc:
                log.debug("%s; the whole network's index answers", exc)
            else:
                self.local_queries += 1
                return found
        return self.whole().access_points(geoms, reach_m=reach_m, entrances=entrances)

    def snap_points(self, lon: np.ndarray, lat: np.ndarray, *, xy: tuple[np.ndarray, np.ndarray] | None = None) -> snapping.Snapped:
        """:meth:`EdgeIndex.snap_points <accessibility.network.snapping.EdgeIndex.snap_points>`."""
        lon, lat = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
        if not len(lon):
            return snapping.Snapped.empty()
        local = self._near(shapely.points(lon, lat), 0.0)
        if local is not None:
            try:
                found = local.snap_points(lon, lat, xy=xy)
            except snapping.NotCovered as exc:
                log.debug("%s; the whole network's index answers", exc)
            else:
                self.local_queries += 1
                return found
        return self.whole().snap_points(lon, lat, xy=xy)
