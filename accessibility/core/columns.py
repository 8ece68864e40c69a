"""The names of every output column, in one place.

Outputs (hexes, node tables, point queries, goal tables) never spell column
names inline; they call :func:`name`, so a rename happens here once.
"""

from __future__ import annotations

__all__ = ["KINDS", "name"]

#: kind -> format of the column name; ``{}`` is a service id, set name or goal id.
KINDS: dict[str, str] = {
    # per service (or facility set, e.g. "elderly_care[care_home]")
    "dist_m": "{}_dist_m",  # network distance to the nearest facility, metres
    "time_s": "{}_time_s",  # travel time to the nearest facility, seconds (internal tables)
    "time_min": "{}_time_min",  # travel time in minutes (user-facing outputs)
    "facility": "{}_facility",  # id of the nearest facility
    "straight_m": "{}_straight_m",  # straight-line distance to the nearest facility
    "mean_time_min": "{}_mean_time_min",  # population-weighted mean time in a hex
    # per goal
    "covered_pop": "{}_covered_pop",
    "uncovered_pop": "{}_uncovered_pop",
    "eligible_pop": "{}_eligible_pop",
    "share": "{}_share",
    "covered_straight_pop": "{}_covered_straight_pop",
    "covered": "{}_covered",  # per demand point: whether the goal covers it
}


def name(kind: str, key: str) -> str:
    """Column name of ``kind`` for a service, facility set or goal ``key``.

    >>> name("dist_m", "park")
    'park_dist_m'
    """
    try:
        return KINDS[kind].format(key)
    except KeyError:
        raise KeyError(f"unknown column kind {kind!r}; known kinds: {sorted(KINDS)}") from None
