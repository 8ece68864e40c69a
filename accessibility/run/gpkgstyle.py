"""QGIS styles inside the run's GeoPackages: every layer opens coloured as the briefing map colours it.

QGIS reads a layer's default style from the GeoPackage's ``layer_styles``
table (the table QGIS itself writes with *Save as default*): one row per
layer holding its QML. The styles are built from the templates in the
top-level ``maps/qgis/`` folder (shipped in the wheel as
``accessibility/_maps/qgis``), one per kind of layer; planners can load a
template by hand too (*Layer Properties › Style › Load Style*). Each template's
first symbol is the look (marker, outline, transparency); this module only
writes the classes, their colours (:mod:`accessibility.core.palette`, the map's
palette) and their labels, in Chinese and English.

``hexes``
    the first goal's covered share: met, then quarter classes below the target.
``facilities_points``, ``facilities_areas`` (``_lines``)
    by service, in the map's facility colours; facilities not used
    (``facilities_rejected_*``) as crosses and dashed outlines.
isochrones (``isochrones.gpkg``)
    by minutes, in the map's minute colours, larger areas drawn first.
suggested sites (``suggestions_<goal>.gpkg``)
    star markers numbered by rank.
``study_area``, ``main_urban_area``, ``districts``
    outlines (districts labelled with their names).

The table is written with :mod:`sqlite3` after GDAL has written the layers,
with a fixed ``update_time``, so a rerun gives an identical file.
"""

from __future__ import annotations

import contextlib
import copy
import re
import sqlite3
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config, errors
from ..core import palette

__all__ = [
    "KINDS",
    "STYLE_DATE",
    "Style",
    "boundary_style",
    "districts_style",
    "facilities_style",
    "fields_named",
    "hexes_style",
    "isochrones_style",
    "qml_dir",
    "read_styles",
    "service_labels",
    "style_for",
    "suggestions_style",
    "write_styles",
]

#: ``update_time`` of every style row (a fixed date keeps reruns byte-identical)
STYLE_DATE = "2000-01-01T00:00:00.000Z"
#: the templates in ``maps/qgis/``, one per kind of layer
KINDS = ("hexes", "facilities_points", "facilities_lines", "facilities_areas", "boundary", "districts", "isochrones", "suggestions")
_PKG = Path(__file__).resolve().parent.parent
_DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
_NS = uuid.UUID("6f1e3c1a-9d0b-4a8e-9a53-0c2d7e4b1f00")  # rule keys are derived from it: the same rules, the same QML
_GREY = "#7f7f7f"


@dataclass(frozen=True)
class Style:
    """The default QGIS style of one layer: its QML and a short description (shown in QGIS' style manager)."""

    qml: str
    description: str


def qml_dir() -> Path:
    """Folder of the QML templates: ``accessibility/_maps/qgis`` in a wheel, ``maps/qgis`` beside the package in a checkout.

    The same rule as :func:`accessibility.config.default_layers_dir` (written out here: that function names one folder).
    """
    for candidate in (_PKG / "_maps" / "qgis", _PKG.parent / "maps" / "qgis"):
        if candidate.is_dir():
            return candidate
    raise errors.ConfigError(f"cannot find the QGIS style templates ('maps/qgis/') next to the package ({_PKG}); reinstall accessibility")


def _template(kind: str) -> ET.Element:
    path = qml_dir() / f"{kind}.qml"
    try:
        return ET.parse(path).getroot()  # noqa: S314 - the package's own template files
    except (OSError, ET.ParseError) as exc:
        raise errors.ConfigError(f"{path}: cannot read this QGIS style template ({exc}); restore it from the package or reinstall accessibility") from None


def _qgis_color(color: str, alpha: int = 255) -> str:
    """``#rrggbb`` as QGIS writes colours: ``r,g,b,a``."""
    h = color.lstrip("#")
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha}"


def _props(layer: ET.Element) -> Iterator[tuple[str, ET.Element, str]]:
    """(key, element, attribute) of every property of a symbol layer: the ``Option`` map (QGIS >= 3.26) and ``prop`` (earlier 3.x)."""
    opts = layer.find("Option")
    for o in opts.findall("Option") if opts is not None else []:
        yield o.get("name", ""), o, "value"
    for p in layer.findall("prop"):
        yield p.get("k", ""), p, "v"


def _get(layer: ET.Element, key: str) -> str | None:
    return next((el.get(attr) for k, el, attr in _props(layer) if k == key), None)


def _set(layer: ET.Element, key: str, value: str) -> None:
    """Set a property in both forms QGIS reads (the ``Option`` map and the older ``prop`` list)."""
    found = False
    for k, el, attr in _props(layer):
        if k == key:
            el.set(attr, value)
            found = True
    if not found:
        opts = layer.find("Option")
        if opts is not None:
            ET.SubElement(opts, "Option", {"type": "QString", "name": key, "value": value})
        ET.SubElement(layer, "prop", {"k": key, "v": value})


def _paint(symbol: ET.Element, color: str, *, rejected: bool = False) -> ET.Element:
    """``symbol`` in ``color``: fill and marker colours keep the template's transparency; an outline drawn
    in the fill's colour in the template follows it. ``rejected``: crosses and dashed outlines."""
    for layer in symbol.iter("layer"):
        cls = layer.get("class")
        if cls == "SimpleLine":
            _set(layer, "line_color", _qgis_color(color))
            if rejected:
                _set(layer, "line_style", "dash")
            continue
        fill = (_get(layer, "color") or "0,0,0,255").split(",")
        outline = (_get(layer, "outline_color") or "").split(",")
        _set(layer, "color", _qgis_color(color, int(fill[3]) if len(fill) > 3 else 255))
        if outline[:3] == fill[:3]:
            _set(layer, "outline_color", _qgis_color(color))
        if rejected and cls == "SimpleMarker":
            _set(layer, "name", "cross2")
            _set(layer, "outline_color", _qgis_color(color))
        elif rejected and cls == "SimpleFill":
            _set(layer, "style", "no")
            _set(layer, "outline_style", "dash")
            _set(layer, "outline_color", _qgis_color(color))
    return symbol


def _symbols(proto: ET.Element, colors: Sequence[str], *, rejected: bool = False) -> ET.Element:
    out = ET.Element("symbols")
    for i, color in enumerate(colors):
        sym = _paint(copy.deepcopy(proto), color, rejected=rejected)
        sym.set("name", str(i))
        out.append(sym)
    return out


def _renderer(kind: str) -> tuple[ET.Element, ET.Element, ET.Element]:
    """The template's root, its (emptied) renderer and its first symbol (the look every class copies)."""
    root = _template(kind)
    renderer = root.find("renderer-v2")
    proto = None if renderer is None else renderer.find("symbols/symbol")
    if renderer is None or proto is None:
        raise errors.ConfigError(f"{qml_dir() / f'{kind}.qml'}: the template has no renderer with a symbol; restore it from the package")
    renderer.clear()
    return root, renderer, proto


def _qml(root: ET.Element) -> str:
    ET.indent(root, space=" ")
    return _DOCTYPE + ET.tostring(root, encoding="unicode") + "\n"


def _single(kind: str, color: str, *, overrides: Mapping[str, str] | None = None) -> ET.Element:
    root, renderer, proto = _renderer(kind)
    renderer.attrib = {"type": "singleSymbol", "forceraster": "0", "symbollevels": "0", "enableorderby": "0", "referencescale": "-1"}
    symbols = _symbols(proto, [color])
    for key, value in (overrides or {}).items():
        for layer in symbols.iter("layer"):
            _set(layer, key, value)
    renderer.append(symbols)
    return root


def _categorized(kind: str, field: str, classes: Sequence[tuple[str, str, str]], *, rejected: bool = False) -> ET.Element:
    """``classes``: (value, label, colour)."""
    root, renderer, proto = _renderer(kind)
    renderer.attrib = {"type": "categorizedSymbol", "attr": field, "forceraster": "0", "symbollevels": "0", "enableorderby": "0", "referencescale": "-1"}
    cats = ET.SubElement(renderer, "categories")
    for i, (value, label, _) in enumerate(classes):
        ET.SubElement(cats, "category", {"render": "true", "symbol": str(i), "value": value, "label": label, "type": "string"})
    renderer.append(_symbols(proto, [c for _, _, c in classes], rejected=rejected))
    source = ET.SubElement(renderer, "source-symbol")
    source.append(_paint(copy.deepcopy(proto), _GREY, rejected=rejected))
    return root


def _rules(kind: str, group: str, rules: Sequence[tuple[str, str, str]], *, order_by: str | None = None, key: str = "") -> ET.Element:
    """A rule-based style: one group labelled ``group`` holding ``rules`` (filter expression, label, colour)."""
    root, renderer, proto = _renderer(kind)
    renderer.attrib = {"type": "RuleRenderer", "forceraster": "0", "symbollevels": "0", "enableorderby": "1" if order_by else "0", "referencescale": "-1"}

    def rule_key(i: int) -> str:
        return "{" + str(uuid.uuid5(_NS, f"{kind}:{key}:{i}")) + "}"

    top = ET.SubElement(ET.SubElement(renderer, "rules", {"key": rule_key(-2)}), "rule", {"key": rule_key(-1), "label": group})
    for i, (expr, label, _) in enumerate(rules):
        ET.SubElement(top, "rule", {"key": rule_key(i), "filter": expr, "symbol": str(i), "label": label})
    renderer.append(_symbols(proto, [c for _, _, c in rules]))
    if order_by:
        ET.SubElement(ET.SubElement(renderer, "orderby"), "orderByClause", {"asc": "0", "nullsFirst": "0"}).text = order_by
    return root


def _pct(share: float) -> str:
    return f"{share * 100:g}%"


def _num(x: float) -> str:
    """A number as a QGIS expression literal (no exponent, no trailing zeros)."""
    return np.format_float_positional(float(x), trim="-")


def _quote(field: str) -> str:
    return '"' + field.replace('"', '""') + '"'


# --------------------------------------------------------------------------- the styles of the run's layers


def hexes_style(goal: Mapping | None, columns: Sequence[str]) -> Style:
    """The hexagons coloured by the covered share of ``goal`` (a ``goals.json`` record), as the briefing map's goal theme.

    Met where the share reaches the goal's first target, else quarter classes
    below it; hexagons with nobody eligible are outlined only. The legend's
    heading is the goal with its main caveat. Without a goal, plain outlines.
    """
    share_col = f"{goal['id']}_share" if goal else ""
    if goal is None or share_col not in columns:
        return Style(_qml(_single("hexes", _GREY, overrides={"style": "no"})), "H3 六边形 / H3 hexagons")
    target = float(goal["targets"][0]["share"]) if goal.get("targets") else 1.0
    share = _quote(share_col)
    edges = sorted((x for x in (0.25, 0.5, 0.75) if x < target), reverse=True)
    uppers, lowers = [target, *edges], [*edges, 0.0]
    rules = [(f"{share} >= {_num(target)}", f"达标 ≥ {_pct(target)} / met", palette.GOAL_MET_COLOR)]
    for lo, hi, color in zip(lowers, uppers, palette.GOAL_NOT_MET_COLORS[-len(uppers):], strict=True):
        expr = f"{share} >= {_num(lo)} AND {share} < {_num(hi)}" if lo > 0 else f"{share} < {_num(hi)}"
        span = f"{_pct(lo)}–{_pct(hi)}" if lo > 0 else f"< {_pct(hi)}"
        rules.append((expr, f"{span} 未达标 / not met", color))
    rules.append((f"{share} IS NULL", "无适用人口 / nobody eligible", _GREY))
    caveat = goal.get("main_caveat") or {}
    note = f"（{caveat['zh']} / {caveat['en']}）" if caveat.get("en") else ""
    if goal.get("status") == "incomplete_data":
        note = f"（数据不完整 / INCOMPLETE DATA{'：' + caveat['en'] if caveat.get('en') else ''}）"
    group = f"{goal.get('name_zh', '')} / {goal.get('name_en', goal['id'])}：覆盖率 / covered share{note}"
    root = _rules("hexes", group, rules, key=goal["id"])
    # nobody eligible: outline only
    last = root.findall("renderer-v2/symbols/symbol")[-1]
    for layer in last.iter("layer"):
        _set(layer, "style", "no")
    return Style(_qml(root), f"{goal['id']}: 覆盖率分级 / covered-share classes")


def service_labels(services: Sequence[str]) -> dict[str, str]:
    """``中文名 / English name`` of each service, from the default service layers (the id where unknown)."""
    try:
        layers = config.load_services()
    except (errors.AccessibilityError, OSError):
        layers = {}
    return {s: (f"{layers[s].name_zh} / {layers[s].name_en}" if s in layers else s) for s in services}


def facilities_style(geometry: str, services: Sequence[str], present: Sequence[str], *, rejected: bool = False) -> Style:
    """Facilities by service, in the map's facility colours (``geometry``: ``points``, ``lines`` or ``areas``).

    ``services`` are the run's services (their order picks the spare colours, as on the map); services
    ``present`` in the layer but not among them are added. ``rejected``: crosses and dashed outlines.
    """
    order = list(dict.fromkeys([*services, *sorted(set(present) - set(services))]))
    labels = service_labels(order)
    suffix = "（未使用 / not used）" if rejected else ""
    classes = [(s, labels[s] + suffix, palette.facility_color(s, i)) for i, s in enumerate(order)]
    what = "未使用的设施 / facilities not used" if rejected else "设施 / facilities"
    return Style(_qml(_categorized(f"facilities_{geometry}", "service", classes, rejected=rejected)), f"{what}: 按服务着色 / by service")


def boundary_style(color: str, *, dashed: bool = False) -> Style:
    """An outline (study area, main urban area)."""
    root = _single("boundary", color, overrides={"outline_style": "dash" if dashed else "solid", "outline_color": _qgis_color(color)})
    return Style(_qml(root), "边界 / outline")


def districts_style(columns: Sequence[str]) -> Style:
    """District outlines, labelled with ``district_name`` when the layer has it."""
    root = _single("districts", "#424242", overrides={"outline_color": _qgis_color("#424242")})
    if "district_name" not in columns:
        for el in root.findall("labeling"):
            root.remove(el)
        root.set("labelsEnabled", "0")
    return Style(_qml(root), "分区 / districts")


def isochrones_style(frame: pd.DataFrame) -> Style:
    """Isochrones by minutes, in the map's minute colours (cutoffs in metres: the minutes at the layer's
    walking speed); rings where the layer has them, else the cumulative areas, larger drawn first."""
    kinds = set(frame["kind"].astype(str)) if "kind" in frame else set()
    kind = "ring" if "ring" in kinds else "cumulative"
    rows = frame[frame["kind"].astype(str) == kind] if kinds else frame
    timed = "cutoff_min" in rows and bool(np.isfinite(rows["cutoff_min"].to_numpy(np.float64)).all())
    cuts = rows.drop_duplicates("cutoff_m").sort_values("cutoff_m")
    speed = cuts["walk_speed_m_s"].to_numpy(np.float64) if "walk_speed_m_s" in cuts else np.full(len(cuts), np.nan)
    minutes = cuts["cutoff_min"].to_numpy(np.float64) if timed else cuts["cutoff_m"].to_numpy(np.float64) / speed / 60.0
    rules = []
    for i, (hi_m, lo_m, hi, lo, m) in enumerate(zip(cuts["cutoff_m"], cuts["from_m"], cuts["cutoff_min" if timed else "cutoff_m"],
                                                     cuts["from_min" if timed else "from_m"], minutes, strict=True)):
        expr = f'"cutoff_m" = {_num(hi_m)}' + (f" AND \"kind\" = '{kind}'" if kinds else "")
        unit = "分钟 / min" if timed else "米 / m"
        label = f"{lo:g}–{hi:g} {unit}" if kind == "ring" and lo_m < hi_m else f"≤ {hi:g} {unit}"
        color = palette.minute_color(float(m)) if np.isfinite(m) else palette.MINUTE_COLORS[min(i, len(palette.MINUTE_COLORS) - 2)]
        rules.append((expr, label, color))
    service = str(frame["service"].iloc[0]) if "service" in frame and len(frame) else ""
    group = f"{service_labels([service])[service]}：步行可达范围 / walking isochrones" if service else "步行可达范围 / walking isochrones"
    root = _rules("isochrones", group, rules, order_by='"cutoff_m"', key=f"{service}:{kind}")
    return Style(_qml(root), "等时圈：按分钟着色 / isochrones by minutes")


def suggestions_style() -> Style:
    """Suggested new sites: star markers labelled with their rank."""
    return Style(_qml(_single("suggestions", palette.SUGGESTION_COLOR)), "建议新址 / suggested sites")


def style_for(name: str, frame: pd.DataFrame) -> Style | None:
    """The style of a layer recognised by what it holds (isochrones, suggested sites), else ``None``."""
    cols = set(frame.columns)
    if {"cutoff_m", "from_m", "kind", "how"} <= cols and len(frame):
        return isochrones_style(frame)
    if {"rank", "marginal_gain", "share_after"} <= cols or name == "sites":
        return suggestions_style()
    return None


# --------------------------------------------------------------------------- the layer_styles table

_CREATE = (
    'CREATE TABLE IF NOT EXISTS "layer_styles" ("id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "f_table_catalog" TEXT(256), '
    '"f_table_schema" TEXT(256), "f_table_name" TEXT(256), "f_geometry_column" TEXT(256), "styleName" TEXT(30), "styleQML" TEXT, '
    '"styleSLD" TEXT, "useAsDefault" BOOLEAN, "description" TEXT, "owner" TEXT(30), "ui" TEXT(30), "update_time" DATETIME)'
)


@contextlib.contextmanager
def _connect(path: str | Path) -> Iterator[sqlite3.Connection]:
    con = sqlite3.connect(path)
    try:
        with con:  # one transaction: committed on success, rolled back on error
            yield con
    finally:
        con.close()


def write_styles(path: str | Path, styles: Mapping[str, Style]) -> None:
    """Store ``styles`` (by layer name) as the layers' default styles in the GeoPackage ``path``.

    The ``layer_styles`` table is created as QGIS creates it (registered in
    ``gpkg_contents`` as an attribute table); a layer's earlier style rows are
    replaced. Layers not in the file are skipped.
    """
    if not styles:
        return
    with _connect(path) as con:
        geom_cols = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
        con.execute(_CREATE)
        if con.execute("SELECT COUNT(*) FROM gpkg_contents WHERE table_name = 'layer_styles'").fetchone()[0] == 0:
            con.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', '', ?)",
                (STYLE_DATE,),
            )
        for layer, style in styles.items():
            if layer not in geom_cols:
                continue
            con.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (layer,))
            con.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, styleQML, styleSLD, "
                "useAsDefault, description, owner, ui, update_time) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', NULL, ?)",
                (layer, geom_cols[layer], layer, style.qml, style.description, STYLE_DATE),
            )


def read_styles(path: str | Path) -> dict[str, str]:
    """The default QML of each layer of the GeoPackage ``path`` (empty when it has no ``layer_styles`` table)."""
    with _connect(path) as con:
        if not con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'layer_styles'").fetchall():
            return {}
        rows = con.execute("SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault ORDER BY id").fetchall()
    return {str(name): str(qml) for name, qml in rows}


def fields_named(qml: str) -> set[str]:
    """The attribute names a QML style refers to (classified field, rule filters, order, labels)."""
    root = ET.fromstring(qml)  # noqa: S314 - QML this package wrote
    names: set[str] = set()
    for r in root.iter("renderer-v2"):
        if r.get("attr"):
            names.add(r.get("attr", ""))
    for text in [r.get("filter", "") for r in root.iter("rule")] + [c.text or "" for c in root.iter("orderByClause")]:
        names.update(m.replace('""', '"') for m in re.findall(r'"((?:[^"]|"")+)"', text))
    names.update(t.get("fieldName", "") for t in root.iter("text-style") if t.get("isExpression", "0") == "0" and t.get("fieldName"))
    return names
