"""Road-layer attributes as OSM tags: road classes to ``highway``, one-way, speed, bridge, tunnel, layer, name.

Used by :mod:`accessibility.readers.roads`. Values are decided once per distinct
value of a column (``pandas.factorize``), never row by row, and every value a
reader does not understand is counted in a note with examples, not dropped
silently.

Road classes (:data:`DEFAULT_CLASS_MAP`)
----------------------------------------
The OSM ``highway`` values map to themselves (Geofabrik's ``fclass``, an
OSM export's ``highway`` column). Geofabrik's own values: ``track_grade1``
to ``track_grade5`` -> ``track``; ``unknown`` (a ``highway`` value Geofabrik
does not know) -> ``road``, OSM's "class unknown", which walk and drive use.

Chinese classes, from the urban road classes of GB/T 51328-2018 / CJJ 37 and
the highway grades of JTG B01, following OpenStreetMap's China tagging
practice:

==========================================  ==========================
class values                                ``highway``
==========================================  ==========================
高速公路, 高速                               motorway
快速路, 城市快速路                           trunk
匝道                                         trunk_link (expressway ramps)
主干路, 主干道, 城市主干路                   primary
次干路, 次干道, 城市次干路                   secondary
支路, 城市支路                               tertiary (public streets of the grid;
                                             GB/T 51328 20-40 km/h, like ``tertiary``)
街坊路, 小区路, 小区道路, 居住区道路          residential
内部道路, 专用道路, 专用公路                  service
步行街                                       pedestrian
步行道, 人行道, 步道, 人行步道                footway
绿道                                         path (shared walking and cycling)
自行车道, 非机动车道                          cycleway
台阶, 梯道                                   steps
国道 / 省道 / 县道 / 乡道 / 村道              trunk / primary / secondary / tertiary / unclassified
一级公路 / 二级公路 / 三级公路 / 四级公路     trunk / primary / secondary / tertiary
等外公路, 乡村道路, 农村道路                  unclassified
机耕路, 机耕道                               track
==========================================  ==========================

plus the English ``expressway`` -> trunk, ``arterial`` -> primary,
``collector`` -> secondary. A ``class_map`` given by the user is applied on
top (its entries win). Values are matched after NFKC normalisation,
stripping and lower-casing (``Primary`` is ``primary``, full-width text is
half-width). Values not in the map, and rows without a class, become
``unclassified`` (a street the layer drew is kept for walking and driving
at the recipe's default speed: leaving it out would cut neighbourhoods off,
which biases coverage down more than an unknown class biases it up), or,
with ``unmapped_class=None``, keep their own text as ``highway``, which no
recipe lists, so they are left out of every network. Either way a note
names the values and their row counts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from . import tabletext

__all__ = [
    "CLASS_COLUMNS",
    "DEFAULT_CLASS_MAP",
    "OPTIONAL_COLUMNS",
    "OSM_HIGHWAY",
    "class_key",
    "examples",
    "highway_values",
    "level_values",
    "oneway_values",
    "speed_values",
    "tag_dicts",
    "text_values",
    "yes_values",
]  # fmt: skip

#: ``highway`` values a class may map to (those of the recipes in ``networks/`` and OSM's other common ones)
OSM_HIGHWAY = (
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link",
    "tertiary", "tertiary_link", "unclassified", "residential", "living_street", "service", "pedestrian", "footway",
    "path", "steps", "track", "road", "cycleway", "bridleway", "corridor", "elevator", "busway", "bus_guideway",
    "platform", "construction", "proposed", "raceway", "escape",
)  # fmt: skip

_CHINESE_CLASSES = {
    "motorway": ("高速公路", "高速"),
    "trunk": ("快速路", "城市快速路", "国道", "一级公路", "expressway"),
    "trunk_link": ("匝道",),
    "primary": ("主干路", "主干道", "城市主干路", "省道", "二级公路", "arterial"),
    "secondary": ("次干路", "次干道", "城市次干路", "县道", "三级公路", "collector"),
    "tertiary": ("支路", "城市支路", "乡道", "四级公路"),
    "unclassified": ("村道", "等外公路", "乡村道路", "农村道路"),
    "residential": ("街坊路", "小区路", "小区道路", "居住区道路"),
    "service": ("内部道路", "专用道路", "专用公路"),
    "pedestrian": ("步行街",),
    "footway": ("步行道", "人行道", "步道", "人行步道"),
    "path": ("绿道",),
    "cycleway": ("自行车道", "非机动车道"),
    "steps": ("台阶", "梯道"),
    "track": ("机耕路", "机耕道"),
}

#: class value -> OSM ``highway`` (see the module docstring for the choices)
DEFAULT_CLASS_MAP: dict[str, str] = {
    **{h: h for h in OSM_HIGHWAY},
    **{f"track_grade{i}": "track" for i in range(1, 6)},
    "unknown": "road",
    **{value: highway for highway, values in _CHINESE_CLASSES.items() for value in values},
}

#: column names the class is looked for under, in this order (matched after normalising: case, spaces, ``_``)
CLASS_COLUMNS = ("fclass", "highway", "class", "roadclass", "道路等级", "等级", "道路等级名称", "道路类别", "道路分类", "道路类型", "dldj", "kind", "type", "类型")

#: the other columns, by role: looked for under these names when not named
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("osm_id", "osmid"),
    "name": ("name", "名称", "道路名称", "路名", "道路名", "name_zh", "name_cn", "dlmc"),
    "oneway": ("oneway", "one_way", "单行", "单向", "是否单行", "单行线"),
    "speed": ("maxspeed", "max_speed", "speed", "speed_kmh", "限速", "设计速度", "设计车速", "设计时速"),
    "bridge": ("bridge", "桥梁", "是否桥梁", "桥"),
    "tunnel": ("tunnel", "隧道", "是否隧道"),
    "layer": ("layer", "z_level", "zlevel", "层级"),
}

_YES = frozenset({"t", "yes", "y", "true", "1", "是"})
_NO = frozenset({"", "f", "no", "n", "false", "0", "否", "无"})
_ONEWAY = {
    **dict.fromkeys(("yes", "y", "true", "1", "单向", "单行", "是", "正向"), "yes"),
    **dict.fromkeys(("-1", "reverse", "backward", "反向", "逆向"), "-1"),
    **dict.fromkeys(("", "no", "n", "false", "0", "双向", "双行", "否"), None),
}
_GEOFABRIK_ONEWAY = {"b": None, "f": "yes", "t": "-1"}
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:km/h|kmh|kph|公里/小时|千米/小时|km)?\s*$")
_SPEED_RANGE_KMH = (1.0, 200.0)


def class_key(value: object) -> str:
    """A class value as it is matched: NFKC, stripped, lower case (``1.0`` reads as ``1``)."""
    return str(tabletext.cell_text(pd.Series([value], dtype=object)).iloc[0]).lower()


def text_values(values: pd.Series, *, nfkc: bool = True, lower: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The distinct texts of a column and each row's position among them; a missing value is ``""``.

    Returns
    -------
    codes, texts
        ``texts[codes]`` is every row's text (``codes`` is -1 for missing
        values, which picks the ``""`` appended last).
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = tabletext.cell_text(pd.Series(np.asarray(uniques, dtype=object), dtype=object), nfkc=nfkc)
    if lower:
        texts = texts.str.lower()
    return np.asarray(codes, np.int64), np.append(texts.to_numpy(dtype=object), "")


def examples(counts: Mapping[str, int], k: int = 6) -> str:
    """``'景观路' (3), 'x' (1)`` for the notes: the values with the most rows first."""
    items = sorted(counts.items(), key=lambda kv: -kv[1])
    shown = ", ".join(f"{v!r} ({n})" for v, n in items[:k])
    return shown + (f" and {len(items) - k} more values" if len(items) > k else "")


def _counts(codes: np.ndarray, texts: np.ndarray, bad: np.ndarray) -> dict[str, int]:
    """Rows per distinct text, for the texts flagged ``bad``."""
    n = np.bincount(codes % len(texts), minlength=len(texts))
    return {str(texts[i]): int(n[i]) for i in np.flatnonzero(bad & (n > 0))}


def highway_values(values: pd.Series, class_map: Mapping[str, str], *, unmapped: str | None) -> tuple[np.ndarray, dict[str, int]]:
    """Each row's ``highway`` through ``class_map``, and the rows per value the map does not hold.

    Parameters
    ----------
    values
        The class column.
    class_map
        Keys as :func:`class_key` reads them.
    unmapped
        ``highway`` of rows whose class is missing or not in the map; ``None``:
        their own text (no recipe lists it, so they are left out).
    """
    codes, texts = text_values(values, lower=True)
    mapped = np.array([class_map.get(t) for t in texts], dtype=object)
    missing = np.array([m is None for m in mapped])
    fill = texts if unmapped is None else np.full(len(texts), unmapped, dtype=object)
    highway = np.where(missing, fill, mapped)
    return highway[codes], _counts(codes, texts, missing)


def oneway_values(values: pd.Series, *, geofabrik_schema: bool = False) -> tuple[np.ndarray, dict[str, int], bool]:
    """OSM ``oneway`` per row (``"yes"``, ``"-1"`` or None) and the values not understood.

    Geofabrik's B/F/T (both, forward, backward: ``T`` is *not* "true") is
    used for a Geofabrik layer (``geofabrik_schema``: its class column is
    ``fclass``) or when the column holds a ``B``; otherwise T/F read as
    true/false. Returns the values, the counts of values not understood, and
    whether the Geofabrik reading was used.
    """
    codes, texts = text_values(values, lower=True)
    geofabrik = geofabrik_schema or "b" in set(texts)
    table = {**_ONEWAY, **(_GEOFABRIK_ONEWAY if geofabrik else {"t": "yes", "f": None})}
    known = np.array([t in table for t in texts])
    out = np.array([table.get(t) for t in texts], dtype=object)
    return out[codes], _counts(codes, texts, ~known), geofabrik


def yes_values(values: pd.Series) -> np.ndarray:
    """``bridge``/``tunnel`` per row: ``"yes"`` for T/yes/1/是, None for F/no/0/否/empty, other text as given (``viaduct``)."""
    codes, texts = text_values(values, lower=True)
    out = np.array([("yes" if t in _YES else None if t in _NO else t) for t in texts], dtype=object)
    return out[codes]


def level_values(values: pd.Series) -> tuple[np.ndarray, dict[str, int]]:
    """``layer`` per row as an integer (0 when missing), and the values that are not whole numbers."""
    codes, texts = text_values(values)
    num = pd.to_numeric(pd.Series(texts, dtype=object), errors="coerce").to_numpy(np.float64)
    ok = np.isfinite(num) & (num == np.round(num)) & (np.abs(num) < 100)
    bad = ~ok & (texts != "")
    return np.where(ok, num, 0).astype(np.int64)[codes], _counts(codes, texts, bad)


def speed_values(values: pd.Series) -> tuple[np.ndarray, dict[str, int]]:
    """``maxspeed`` in km/h per row (NaN for none; 0 is none, as in Geofabrik), and the values not read as a speed."""
    codes, texts = text_values(values, lower=True)
    num = pd.to_numeric(pd.Series(texts, dtype="string").str.extract(_NUMBER, expand=False), errors="coerce").to_numpy(np.float64)
    lo, hi = _SPEED_RANGE_KMH
    ok = np.isfinite(num) & (num >= lo) & (num <= hi)
    bad = ~ok & (texts != "") & ~(num == 0)
    return np.where(ok, num, np.nan)[codes], _counts(codes, texts, bad)


def tag_dicts(columns: Mapping[str, np.ndarray], source_row: np.ndarray) -> list[dict[str, str]]:
    """One tag dict per row: the non-empty tags of ``columns`` plus ``source_row``.

    Rows with the same tags share the dict they are copied from, so only the
    ``source_row`` entry is added per row.
    """
    keys = list(columns)
    frame = pd.DataFrame({k: pd.Series(columns[k], dtype=object).fillna("") for k in keys})
    codes = frame.groupby(keys, sort=False, dropna=False).ngroup().to_numpy() if keys else np.zeros(len(source_row), np.int64)
    first = np.unique(codes, return_index=True)[1]
    values = frame.to_numpy(dtype=object)[first]
    bases = [{k: str(v) for k, v in zip(keys, row, strict=True) if v != ""} for row in values.tolist()]
    return [{**bases[c], "source_row": str(r)} for c, r in zip(codes.tolist(), source_row.tolist(), strict=True)]
