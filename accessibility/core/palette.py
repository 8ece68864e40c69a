"""The colours every picture of a run uses: the briefing map, its PNG and the QGIS styles of the GeoPackages.

One palette, kept low in the package so the run folder's GeoPackage styles
(:mod:`accessibility.run.gpkgstyle`) and the briefing map
(:mod:`accessibility.briefing.mapthemes`) colour a hexagon, a facility or an
isochrone the same.
"""

from __future__ import annotations

import math

__all__ = [
    "FACILITY_COLORS",
    "GOAL_MET_COLOR",
    "GOAL_NOT_MET_COLORS",
    "MINUTE_BREAKS",
    "MINUTE_COLORS",
    "SUGGESTION_COLOR",
    "UNCOVERED_COLOR",
    "facility_color",
    "minute_color",
]

#: right-closed class edges of the walking-minute themes (15 = the 15-minute circle)
MINUTE_BREAKS = (5.0, 10.0, 15.0, 20.0, 30.0)
#: green (near) to red (far), ColorBrewer RdYlGn; last: not reachable
MINUTE_COLORS = ("#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59", "#d73027", "#7f7f7f")
#: goal status: met, then not met from nearly to hardly (ColorBrewer YlOrRd)
GOAL_MET_COLOR = "#1a9850"
GOAL_NOT_MET_COLORS = ("#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
UNCOVERED_COLOR = "#b2182b"
#: facility marker colours by service (others cycle through SPARE)
FACILITY_COLORS = {
    "elderly_care": "#762a83",
    "preschool": "#e7298a",
    "public_health": "#2166ac",
    "sports_fitness": "#e66101",
    "park": "#1b7837",
}
SPARE_COLORS = ("#35978f", "#8c510a", "#542788", "#01665e", "#c51b7d", "#4d4d4d")
#: markers of suggested new sites (``accessibility suggest``)
SUGGESTION_COLOR = "#d81b60"


def facility_color(service: str, index: int) -> str:
    """Marker colour of a service's facilities (``index``: the service's place among the run's services)."""
    return FACILITY_COLORS.get(service, SPARE_COLORS[index % len(SPARE_COLORS)])


def minute_color(minutes: float) -> str:
    """Colour of the minute class holding ``minutes`` (classes right-closed; not finite: not reachable)."""
    if not math.isfinite(minutes):
        return MINUTE_COLORS[-1]
    return MINUTE_COLORS[sum(minutes > b for b in MINUTE_BREAKS)]
