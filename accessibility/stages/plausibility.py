"""Plausibility of a population: impossible densities, and the street-length fallback's rate.

Compounds drawn as one building outline, the cause of the worst densities
seen, are handled where the estimate is made
(:mod:`accessibility.stages.compounds`). What is left is checked here:
:func:`density_outliers` lists the hexagons above
:data:`IMPLAUSIBLE_DENSITY_PER_KM2` (and the densest ones) with the OSM ids
of the buildings behind their people, and :func:`siting_weights` keeps them
from steering new sites.

**Impossible densities.** :data:`IMPLAUSIBLE_DENSITY_PER_KM2` is 100,000
people/km² for an H3 resolution-9 cell (~0.1 km², streets included). The
densest districts on Earth hold 40,000-60,000/km² (Manila 43,000: 1.85 M on
42.9 km², 2020 census; Kwun Tong, Hong Kong ~57,000), the densest
neighbourhoods ~130,000 (Mong Kok); Kowloon Walled City's ~1.3 M/km² was
0.026 km² of 12-storey blocks without streets. A mainland cell at the
standards' highest plot ratio (3.0) and 30-40 m² per person holds
75,000-100,000/km² before its streets are counted.

**People per km of residential street** (the fallback without buildings):
:data:`STREET_PEOPLE_PER_KM` 8,000, measured 3,200-11,600 (about ±50%,
:data:`STREET_CALIBRATION`): census counts over OSM street length in Xi'an
(the roads-only case the fallback is for; 8,800-11,500 by district), the
building estimate over street length in Hangzhou and Beijing (3,200-4,700,
lower bounds: their buildings are incompletely mapped). The former 500 gave
a sixth to a twentieth of the people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..core.notes import Note

__all__ = [
    "ALL_STREETS_SHARE",
    "IMPLAUSIBLE_DENSITY_PER_KM2",
    "STREET_CALIBRATION",
    "STREET_PEOPLE_PER_KM",
    "STREET_PEOPLE_PER_KM_RANGE",
    "STREET_UNCERTAINTY",
    "DensityOutliers",
    "SitingWeights",
    "density_outliers",
    "osm_ref",
    "siting_weights",
    "street_fallback_note",
]

#: People per km² above which an H3 resolution-9 cell is implausible anywhere in mainland China (module docstring).
IMPLAUSIBLE_DENSITY_PER_KM2 = 100_000.0

#: Residents per km of residential street (``residential``/``living_street``), the fallback without buildings.
STREET_PEOPLE_PER_KM = 8_000.0
#: Range of the measurements behind it (:data:`STREET_CALIBRATION`).
STREET_PEOPLE_PER_KM_RANGE = (3_200.0, 11_600.0)
#: Relative uncertainty of a street-length estimate over a district (the measured range around the default).
STREET_UNCERTAINTY = 0.5
#: Without any residential street every walkable street counts, at this share of the rate: residential
#: streets are 28% of the street length of central Xi'an (OSM 2017), 12% of Haidian's walk network, 6% of Hangzhou's
#: (so within a factor of 5).
ALL_STREETS_SHARE = 0.25
#: Where :data:`STREET_PEOPLE_PER_KM` comes from: (place, people per km of residential street, basis).
STREET_CALIBRATION: tuple[tuple[str, float, str], ...] = (
    ("Xi'an 新城区", 8_825, "2020 census 602,628 / 68.3 km residential+living_street (OSM 2017, Geofabrik); DataV district outline"),
    ("Xi'an 碑林区", 9_601, "2020 census 756,840 / 78.8 km"),
    ("Xi'an 莲湖区", 11_539, "2020 census 1,019,101 / 88.3 km"),
    ("Xi'an, three central districts", 10_104, "2,378,569 people / 235.4 km; 500 per km gave 117,700"),
    ("Hangzhou West Lake (OSM 2015)", 4_718, (
        "building estimate / residential km of the walk network over the 53 H3 cells with both; "
        "bootstrap 90% 3,900-5,800; cells (10-90%) 600-24,000; a lower bound: buildings are incompletely mapped"
    )),
    ("Beijing Haidian (OSM 2017)", 3_235, "the same over 24 cells; bootstrap 90% 2,500-4,200; cells 1,000-8,700; campus buildings not counted as homes"),
)

def osm_ref(source_id: npt.ArrayLike) -> np.ndarray:
    """OSM references (``"way/162514248"``, ``"relation/45"``; ``""`` for none) of ``Demand.source_id`` values.

    Parameters
    ----------
    source_id
        Way ids, relation ids negated, 0 for none.

    Returns
    -------
    numpy.ndarray
        One string per id (object array).
    """
    ids = np.asarray(source_id, np.int64)
    out = np.full(len(ids), "", dtype=object)
    way, rel = ids > 0, ids < 0
    out[way] = ["way/" + str(v) for v in ids[way].tolist()]
    out[rel] = ["relation/" + str(-v) for v in ids[rel].tolist()]
    return out


@dataclass(frozen=True)
class DensityOutliers:
    """Hexagons denser than people live, and the worst ones, with the OSM features behind them.

    Attributes
    ----------
    table
        One row per listed hexagon, densest first: ``h3``, ``pop``,
        ``area_km2``, ``density_per_km2``, ``implausible`` (above the
        threshold), ``excess_pop`` (people above the threshold),
        ``top_source`` (the OSM feature holding most of its people, e.g.
        ``"way/162514248"``), ``top_source_pop`` and ``sources`` (the
        largest few, ``"way/162514248: 10,823"``).
    threshold_per_km2
        The density above which a hexagon is implausible.
    notes
        A warning naming the implausible hexagons and features (empty when none).
    """

    table: pd.DataFrame
    threshold_per_km2: float
    notes: list[Note]

    @property
    def implausible(self) -> pd.DataFrame:
        """The rows above the threshold."""
        return self.table[self.table["implausible"].to_numpy(bool)]


def _positions(hexes: pd.DataFrame, point_hex: npt.ArrayLike) -> np.ndarray:
    """Row of ``hexes`` of every point, from row positions or ``h3`` labels (-1 where unknown)."""
    arr = np.asarray(point_hex)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    return np.asarray(pd.Index(hexes["h3"].astype(str)).get_indexer(pd.Index(np.asarray(point_hex, dtype=object).astype(str))), np.int64)


def density_outliers(
    hexes: pd.DataFrame,
    point_hex: npt.ArrayLike,
    pop: np.ndarray,
    source_id: np.ndarray | None = None,
    *,
    threshold_per_km2: float = IMPLAUSIBLE_DENSITY_PER_KM2,
    top: int = 10,
) -> DensityOutliers:
    """Hexagons above ``threshold_per_km2``, and the ``top`` densest, with the OSM ids of their people.

    Parameters
    ----------
    hexes
        Hexagons with ``h3``, ``pop``, ``area_km2`` and ``density_per_km2``
        (``RunResult.hexes``).
    point_hex
        Hexagon of every demand point: row positions in ``hexes`` (the
        pipeline's ``hex_of_point``) or ``h3`` labels (``point_costs["h3"]``).
    pop
        People of every demand point.
    source_id
        OSM id of every demand point (``Demand.source_id``; ways positive,
        relations negated, 0 none); ``None`` lists no sources.
    threshold_per_km2
        Density above which a hexagon is implausible.
    top
        How many of the densest hexagons to list besides the implausible ones.

    Returns
    -------
    DensityOutliers
    """
    density = hexes["density_per_km2"].to_numpy(np.float64)
    area = hexes["area_km2"].to_numpy(np.float64)
    over = density > threshold_per_km2
    order = np.argsort(-density, kind="stable")
    rows = order[: max(int(top), int(over.sum()))]
    rows = rows[density[rows] > 0]
    table = pd.DataFrame({
        "h3": hexes["h3"].to_numpy()[rows],
        "pop": hexes["pop"].to_numpy(np.float64)[rows],
        "area_km2": area[rows],
        "density_per_km2": density[rows],
        "implausible": over[rows],
        "excess_pop": np.maximum(density[rows] - threshold_per_km2, 0) * area[rows],
        "top_source": "",
        "top_source_pop": 0.0,
        "sources": "",
    })
    pos = _positions(hexes, point_hex)
    if source_id is not None and len(rows):
        listed = np.full(len(hexes), -1, np.int64)
        listed[rows] = np.arange(len(rows))
        at = listed[np.where(pos >= 0, pos, 0)]
        at[pos < 0] = -1
        sel = np.flatnonzero((at >= 0) & (np.asarray(source_id) != 0))
        if len(sel):
            g = pd.DataFrame({"row": at[sel], "src": np.asarray(source_id, np.int64)[sel], "pop": pop[sel]}).groupby(["row", "src"], sort=False)["pop"].sum()
            g = g.reset_index().sort_values(["row", "pop"], ascending=[True, False])
            g["ref"] = osm_ref(g["src"].to_numpy())
            best = g.drop_duplicates("row")
            table.loc[best["row"].to_numpy(), "top_source"] = best["ref"].to_numpy()
            table.loc[best["row"].to_numpy(), "top_source_pop"] = best["pop"].to_numpy()
            g["text"] = [f"{r}: {p:,.0f}" for r, p in zip(g["ref"].tolist(), g["pop"].tolist(), strict=True)]
            listing = g.groupby("row", sort=False).head(3).groupby("row")["text"].agg(", ".join)
            table.loc[listing.index.to_numpy(), "sources"] = listing.to_numpy()
    notes = []
    bad = table[table["implausible"]]
    if len(bad):
        cells = "; ".join(
            f"{h} {d:,.0f}/km²" + (f" ({s})" if s else "") for h, d, s in zip(bad["h3"].head(5), bad["density_per_km2"].head(5), bad["sources"].head(5), strict=True)
        )
        ids = [s for s in bad["top_source"].tolist() if s]
        if ids:  # OSM buildings behind them
            fix, fix_zh = "check these features' tags (a compound drawn as one building?)", "请检查这些要素的标签（是否把整个小区画成一栋楼？）"
        else:  # a street estimate or a raster
            fix = "give a population raster (--population) or census counts per district (--district-population); a raster's pixels must count people, not people per km²"
            fix_zh = "请提供人口栅格（--population）或分区普查人口（--district-population）；栅格像元应为人数而非每平方公里人数"
        msg = (
            f"{len(bad)} hexagons hold more than {threshold_per_km2:,.0f} people/km², beyond what any mainland city reaches in an H3 cell "
            f"({float(bad['excess_pop'].sum()):,.0f} people above that): {cells}; {fix}"
        )
        zh = f"{len(bad)}个六边形人口密度超过每平方公里{threshold_per_km2:,.0f}人，超出城市实际可能：{cells}；{fix_zh}"
        notes.append(Note(msg, code="population.implausible_density", severity="warning", message_zh=zh, context={"hexes": bad["h3"].tolist(), "osm": ids}))
    return DensityOutliers(table.reset_index(drop=True), float(threshold_per_km2), notes)


@dataclass(frozen=True)
class SitingWeights:
    """Factor for every demand point's weight when choosing new sites, and why.

    Attributes
    ----------
    factor
        1 for plausible hexagons; below 1 (``"cap"``) or 0 (``"exclude"``)
        for people in hexagons above the threshold.
    hexes
        The capped or excluded hexagons.
    note
        What was done (``None`` when nothing was).
    """

    factor: np.ndarray
    hexes: list[str]
    note: Note | None


def siting_weights(
    hexes: pd.DataFrame, point_hex: npt.ArrayLike, *, threshold_per_km2: float = IMPLAUSIBLE_DENSITY_PER_KM2, how: str = "cap"
) -> SitingWeights:
    """Weights that keep implausibly dense hexagons from steering new sites.

    Parameters
    ----------
    hexes
        Hexagons with ``h3``, ``density_per_km2``.
    point_hex
        Hexagon of every demand point (row positions or ``h3`` labels).
    threshold_per_km2
        Density above which a hexagon is implausible.
    how
        ``"cap"``: its people count as if it held ``threshold_per_km2``;
        ``"exclude"``: they do not count.

    Returns
    -------
    SitingWeights
        Multiply the people (or older people) of each point by ``factor``.
    """
    if how not in ("cap", "exclude"):
        raise ValueError(f"how must be 'cap' or 'exclude', got {how!r}")
    density = hexes["density_per_km2"].to_numpy(np.float64)
    over = density > threshold_per_km2
    per_hex = np.where(over, 0.0 if how == "exclude" else threshold_per_km2 / np.maximum(density, 1e-300), 1.0)
    pos = _positions(hexes, point_hex)
    factor = np.where(pos >= 0, per_hex[np.maximum(pos, 0)], 1.0) if len(per_hex) else np.ones(len(pos))
    labels = hexes["h3"].to_numpy()[over].tolist()
    if not labels:
        return SitingWeights(factor, [], None)
    verb = f"count as if at {threshold_per_km2:,.0f}/km²" if how == "cap" else "are left out"
    msg = f"siting: residents of {len(labels)} implausibly dense hexagons (over {threshold_per_km2:,.0f} people/km²) {verb}: {', '.join(labels[:5])}"
    zh_verb = f"按每平方公里{threshold_per_km2:,.0f}人计" if how == "cap" else "不计入"
    zh = f"选址：{len(labels)}个人口密度不合理（每平方公里超过{threshold_per_km2:,.0f}人）的六边形中的居民{zh_verb}"
    return SitingWeights(factor, labels, Note(msg, code="siting.density_capped", severity="warning", message_zh=zh, context={"hexes": labels, "how": how}))


def street_fallback_note(people_per_km: float, *, all_streets: bool = False) -> Note:
    """The ``population.street_fallback`` warning of an estimate from street length.

    Parameters
    ----------
    people_per_km
        The rate used (per km of the streets counted).
    all_streets
        Whether every walkable street was counted (no residential streets mapped).

    Returns
    -------
    Note
        Its message says "estimated from street length (±50%)"; its context
        holds the rate, the uncertainty and the measured range.
    """
    lo, hi = STREET_PEOPLE_PER_KM_RANGE
    pm = "within a factor of 5" if all_streets else f"±{STREET_UNCERTAINTY:.0%}"
    streets = "every walkable street (no residential streets mapped)" if all_streets else "residential street"
    msg = (
        f"population ESTIMATED from street length ({pm}): {people_per_km:,.0f} residents per km of {streets}, with no raster and no "
        f"mapped residential buildings (measured {lo:,.0f}-{hi:,.0f} per km of residential street in Xi'an, Hangzhou and Beijing); "
        "every number built on it is rough"
    )
    zh = f"人口按道路长度估算（{'误差可达5倍' if all_streets else f'±{STREET_UNCERTAINTY:.0%}'}）：每公里道路{people_per_km:,.0f}人（无人口栅格和住宅建筑数据），据此得出的数字都很粗略"
    ctx = {"people_per_km": people_per_km, "uncertainty": STREET_UNCERTAINTY, "uncertainty_text": pm, "measured_per_km": [lo, hi], "all_streets": all_streets}
    return Note(msg, code="population.street_fallback", severity="warning", message_zh=zh, context=ctx)
