"""Interactive briefing map of a run: one self-contained HTML file (Folium + Leaflet).

:func:`write_map` turns a run folder into

``map_<lang>.html``
    a Leaflet map built with Folium, with every script and stylesheet inlined
    (Leaflet 1.9.3 from the XStatic-Leaflet package, the map's own small
    script and style): it opens from a USB stick with no network. Only
    basemap tiles come from the internet; when they cannot load, the map
    switches to "no basemap" and says so.
``map_<lang>_embed.html``
    an ``<iframe>`` snippet to paste into a web page beside the map file.
``map_<lang>.png``
    the same view as a static picture for printed documents (matplotlib,
    no network; see :mod:`accessibility.mapimage`).

Layers: hexagons coloured by each goal's status (share of eligible people
covered, *met* at the goal's target) and by minutes to the nearest facility
of each service; circles of uncovered people per goal; facility markers per
service with popups (name, tier, capacity, distance to the street network);
facilities not used; study-area, main-urban-area and district outlines. A
layer control and a legend with units; labels in Chinese or English.

Headline
    The place (``title``, the run's title or place, its one district, the
    boundary's or the input file's name), the date and one line per goal with
    a coloured PASS / FAIL / INCOMPLETE DATA badge and its main caveat
    (:mod:`.mapheadline`), in a panel of the page.

Basemaps and coordinates
    ``none`` by default (no tiles: no network, no unapproved basemap), or one
    of ``maps/basemaps.toml`` (:mod:`.basemaps`): ``tianditu`` (天地图,
    CGCS2000 ≈ WGS-84, needs a key), ``amap`` (高德, GCJ-02), ``osm``. On a
    GCJ-02 basemap every overlay is shifted with
    :func:`accessibility.chinacoords.wgs84_to_gcj02` (≈ 520 m in Hangzhou) so
    it lands on the basemap's streets. No Leaflet flag in the attribution, a
    metric scale only.

Print
    ``@media print`` (A4 landscape): zoom and layer controls hidden, headline
    and legend inside the page.

Size
    Hexagon geometry and values travel as base64 varint streams (delta-coded
    vertices at 1e-5° ≈ 1 m, values quantised to what the popups show) and are
    drawn on a canvas, so a city of 100,000 hexagons stays a few MB and opens
    in about a second. Facility markers keep 6 decimals (≈ 0.1 m), outlines
    are simplified to ≈ 5 m.

Untrusted text
    Names and other values from planners' files reach the page only through
    ``textContent`` (popups, legend, tooltips) or HTML-escaped (layer names,
    title); the data block is JSON with ``<``, ``>`` and ``&`` escaped.
"""

from __future__ import annotations

import functools
import html
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import Element, Figure
from folium.map import Layer
from folium.template import Template as FoliumTemplate
from jinja2 import Template

from .. import errors
from ..core import palette
from ..run import folder as runfolder
from . import basemaps, i18n, mapdata, mapheadline, mapthemes
from .rundata import RunData, load_run

if TYPE_CHECKING:
    from ..run.result import RunResult

__all__ = ["MapFiles", "basemap_crs", "build_map", "embed_snippet", "leaflet_assets", "map_html", "write_map"]

log = logging.getLogger(__name__)

POINT_DECIMALS = 6  # facility markers (~0.1 m)
LINE_DECIMALS = 5  # outlines and facility polygons (~1 m)
SIMPLIFY_DEG = 5e-5  # ~5 m
_DATA_DIR = Path(__file__).with_name("assets")


def basemap_crs(basemap: str) -> str:
    """Coordinate system the overlays are drawn in for ``basemap`` (``"wgs84"`` or ``"gcj02"``; ``maps/basemaps.toml``)."""
    bm = basemaps.load_basemaps().get(basemap)
    return bm.crs if bm is not None else "wgs84"


# --------------------------------------------------------------------------- layers


def _rings(geom: shapely.Geometry, crs: str, *, with_holes: bool) -> list[list[list[list[float]]]]:
    """Polygons -> [[ring [[lon, lat], ...], ...], ...], simplified and rounded."""
    out = []
    simple = shapely.simplify(geom, SIMPLIFY_DEG, preserve_topology=True)
    for part in shapely.get_parts(simple):
        if not isinstance(part, shapely.Polygon) or part.is_empty:
            continue
        rings = [part.exterior] + (list(part.interiors) if with_holes else [])
        out.append([np.round(mapdata.to_crs(np.asarray(r.coords), crs), LINE_DECIMALS).tolist() for r in rings])
    return out


def _num(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def _facility_items(fac, lang: str, service_label: dict[str, str], crs: str, *, rejected: bool) -> list[dict]:
    if len(fac) == 0:
        return []
    geoms = fac.geometry.to_numpy()
    pts = np.where(shapely.get_type_id(geoms) == 0, geoms, shapely.point_on_surface(geoms))
    xy = np.round(mapdata.to_crs(shapely.get_coordinates(pts), crs), POINT_DECIMALS)
    cols = set(fac.columns)
    address_col = next((c for c in ("address", "addr", "地址") if c in cols), None)
    items = []
    for i, row in enumerate(fac.itertuples(index=False)):
        r = row._asdict()
        name = r.get("name")
        title = str(name) if isinstance(name, str) and name.strip() else i18n.text("unnamed", lang)
        rows = [[i18n.text("field_service", lang), service_label.get(str(r.get("service")), str(r.get("service")))]]
        tier = i18n.tier_label(r.get("tier"), lang)
        if tier:
            rows.append([i18n.text("field_tier", lang), tier])
        for kind in ("beds", "places", "area_m2", "floor_area_m2"):
            v = _num(r.get(kind)) if kind in cols else None
            if v is not None:
                rows.append([i18n.text(f"field_{kind}", lang), f"{v:,.0f}"])
        if address_col and isinstance(r.get(address_col), str) and r[address_col].strip():
            rows.append([i18n.text("field_address", lang), r[address_col]])
        snap = _num(r.get("snap_dist_m"))
        if snap is not None:
            rows.append([i18n.text("field_snap", lang), f"{snap:,.0f}"])
        if r.get("source") is not None:
            rows.append([i18n.text("field_source", lang), str(r.get("source"))])
        if rejected and r.get("status") is not None:
            rows.append([i18n.text("field_status", lang), str(r.get("status"))])
        item: dict[str, Any] = {"id": str(r.get("facility_id", i)), "lon": float(xy[i, 0]), "lat": float(xy[i, 1]), "title": title, "rows": rows}
        if shapely.get_type_id(geoms[i]) in (3, 6):
            rings = _rings(geoms[i], crs, with_holes=False)
            if rings:
                item["rings"] = [p[0] for p in rings]
        items.append(item)
    return items


@dataclass
class _MapParts:
    payload: dict
    layers: list[tuple[dict, str, bool, bool]]  # (spec, name, overlay, show)
    bounds: list[list[float]]
    title: str
    themes: list[mapthemes.Theme]
    headline: str = ""


def _parts(data: RunData, *, lang: str, basemap: str, tianditu_key: str | None, title: str | None = None) -> _MapParts:
    i18n.check_lang(lang)
    tiles, crs = basemaps.tile_specs(basemap, lang=lang, key=tianditu_key)
    services = list(dict.fromkeys([*data.services, *map(str, data.facilities["service"].unique())]))
    names = i18n.service_names(services, lang)
    themes = mapthemes.build_themes(data, lang, names)
    hexes = mapdata.encode_hexagons(data.hexes.geometry.to_numpy(), crs)
    fields: dict[str, Any] = {
        "pop": mapdata.field(np.rint(np.nan_to_num(data.hexes["pop"].to_numpy(np.float64)))),
        "older": mapdata.field(np.rint(np.nan_to_num(data.hexes["older_pop"].to_numpy(np.float64)))),
    }
    theme_specs = []
    for i, t in enumerate(themes):
        spec: dict[str, Any] = {"id": t.id, "kind": t.kind, "label": t.label, "legendTitle": t.legend_title, "popup": []}
        # build_themes fills the arrays each kind of theme draws
        if t.kind == "circles":
            assert t.uncovered is not None
            fu = f"u{i}"
            fields[fu] = mapdata.field(t.uncovered)
            spec.update(field=fu, color=t.colors[0], samples=t.samples, vmax=t.vmax, rmin=2.0, rmax=16.0)
        elif t.service is not None:
            assert t.values is not None
            ft = f"t{i}"
            fields[ft] = mapdata.field(t.values, scale=10.0, missing=True)
            breaks = mapthemes.minute_breaks()
            spec.update(field=ft, breaks=list(breaks), nanClass=len(breaks) + 1, colors=t.colors, legendLabels=t.legend_labels)
            spec["popup"] = [{"label": i18n.text("hex_minutes", lang, service=names.get(t.service, t.service)), "field": ft, "fmt": "min"}]
        else:
            assert t.classes is not None
            fc = f"c{i}"
            fields[fc] = mapdata.field(t.classes)
            spec.update(field=fc, classField=fc, colors=t.colors, legendLabels=t.legend_labels)
        if t.goal is not None:
            assert t.share_permille is not None
            assert t.uncovered is not None
            fs, fu2 = f"s_{t.goal}", f"v_{t.goal}"
            fields.setdefault(fs, mapdata.field(t.share_permille, scale=1000.0, missing=True))
            fields.setdefault(fu2, mapdata.field(t.uncovered))
            gname = next((g["name_zh"] if lang == "zh" else g["name_en"]) for g in data.goals if g["id"] == t.goal)
            spec["popup"] = [
                {"label": f"{gname}：{i18n.text('hex_share', lang)}" if lang == "zh" else f"{gname}: {i18n.text('hex_share', lang)}", "field": fs, "fmt": "pct"},
                {"label": i18n.text("hex_uncovered", lang), "field": fu2, "fmt": "int"},
            ]
        theme_specs.append(spec)
    hexes["fields"] = fields
    fac = data.facilities
    used_mask = (fac["status"] == "used").to_numpy() if "status" in fac else np.ones(len(fac), bool)
    facility_specs: list[dict[str, Any]] = []
    for j, s in enumerate(services):
        sel = fac[used_mask & (fac["service"] == s).to_numpy()]
        if len(sel):
            facility_specs.append(
                {"id": s, "label": names[s], "color": mapthemes.facility_color(s, j), "stroke": "#ffffff", "radius": 6,
                 "items": _facility_items(sel, lang, names, crs, rejected=False)}
            )
    rejected = fac[~used_mask]
    if len(rejected):
        facility_specs.append(
            {"id": "_rejected", "label": i18n.text("layer_rejected", lang, m=f"{data.max_snap_m:g}"), "color": "#9e9e9e", "stroke": "#424242",
             "radius": 5, "items": _facility_items(rejected, lang, names, crs, rejected=True)}
        )
    outline_specs: list[dict[str, Any]] = []
    if data.study_area is not None:
        outline_specs.append({"id": "study_area", "label": i18n.text("study_area", lang), "color": "#424242", "weight": 2, "dash": "6 4",
                              "items": [{"polys": _rings(data.study_area, crs, with_holes=True)}]})
    if data.main_urban_area is not None:
        outline_specs.append({"id": "main_urban_area", "label": i18n.text("main_urban_area", lang), "color": "#6a3d9a", "weight": 2.5, "dash": None,
                              "items": [{"polys": _rings(data.main_urban_area, crs, with_holes=True)}]})
    if data.districts is not None and len(data.districts):
        name_col = "district_name" if "district_name" in data.districts else None
        outline_specs.append({"id": "districts", "label": i18n.text("districts", lang), "color": "#1f4e79", "weight": 1.2, "dash": "2 3",
                              "items": [{"polys": _rings(g, crs, with_holes=False), "name": _district_label(row, name_col, lang)}
                                        for g, (_, row) in zip(data.districts.geometry.to_numpy(), data.districts.iterrows(), strict=True)]})
    facility_specs += _suggestion_specs(data.folder, lang, crs)
    outline_specs += _isochrone_specs(data.folder, lang, crs, names)
    labels = {
        "notReachable": i18n.text("not_reachable", lang), "min": i18n.text("unit_min", lang), "people": i18n.text("unit_people", lang),
        "facilities": i18n.text("legend_facilities", lang), "outlines": i18n.text("legend_outlines", lang),
        "tilesOffline": i18n.text("tiles_offline", lang), "dataAttribution": html.escape(i18n.text("osm_attribution", lang)),
    }
    payload = {
        "version": 1, "lang": lang, "crs": crs, "hex": hexes, "themes": theme_specs, "facilities": facility_specs, "outlines": outline_specs,
        "labels": labels,
        "hexPopup": [{"label": i18n.text("hex_pop", lang), "field": "pop", "fmt": "int"}, {"label": i18n.text("hex_older", lang), "field": "older", "fmt": "int"}],
    }
    layers: list[tuple[dict, str, bool, bool]] = []
    if tiles:
        layers.append(({"type": "basemap", "tiles": tiles}, basemaps.load_basemaps()[basemap].name(lang), False, True))
    layers.append(({"type": "none"}, i18n.text("basemap_none", lang), False, not tiles))
    first_goal = next((i for i, t in enumerate(themes) if t.kind == "fill"), None)
    first_unc = next((i for i, t in enumerate(themes) if t.kind == "circles"), None)
    for i, t in enumerate(themes):
        layers.append(({"type": "theme", "index": i}, t.label, True, i in (first_goal, first_unc)))
    for i, f in enumerate(facility_specs):
        name = f["label"] if f["id"] == "_rejected" else i18n.text("layer_facilities", lang, service=f["label"])
        if f.get("symbol") == "star":
            name = f["label"]
        layers.append(({"type": "facilities", "index": i}, name, True, f["id"] != "_rejected"))
    for i, o in enumerate(outline_specs):
        layers.append(({"type": "outline", "index": i}, o["label"], True, o.get("show", True)))
    # names are HTML in Leaflet's layer control: escaped here, and never passed through a template
    payload["layers"] = [{"spec": spec, "name": html.escape(name), "overlay": overlay} for spec, name, overlay, _ in layers]
    west, south, east, north = data.bounds()
    corners = mapdata.to_crs(np.array([[west, south], [east, north]]), crs)
    bounds = [[float(corners[0, 1]), float(corners[0, 0])], [float(corners[1, 1]), float(corners[1, 0])]]
    head = mapheadline.headline(data, lang=lang, title=title)
    # what a refresh after `suggest` needs to write the same map again (the key is in the tile URLs anyway)
    payload["settings"] = {"basemap": basemap, "title": title, "key": tianditu_key if tiles and basemaps.load_basemaps()[basemap].key_env else None}
    return _MapParts(payload, layers, bounds, f"{head.title} · {i18n.text('map_title', lang)}", themes, mapheadline.headline_html(head, lang))


def _district_label(row: Any, name_col: str | None, lang: str) -> str | None:
    """A district's name, with how much of it the data covers where that is not all of it (``data_scope`` of the districts layer)."""
    name = str(row[name_col]) if name_col else None
    scope = row.get("data_scope")
    if not isinstance(scope, str) or scope == "complete":
        return name
    cover = row.get("data_coverage")
    note = i18n.text(f"scope_{scope}", lang, share=i18n.pct(None if cover is None or not np.isfinite(cover) else float(cover), lang))
    return f"{name or ''} · {note}" if name else note


_SUGGESTION_FILE = re.compile(r"suggestions_(?P<goal>[a-z][a-z0-9_]*?)(?:-(?P<n>\d+))?\.gpkg")


def _suggestion_specs(run: runfolder.RunFolder | None, lang: str, crs: str) -> list[dict]:
    """Star-marker layers of site suggestions, one per file (``suggestions_<goal>.gpkg``, ``suggestions_<goal>-2.gpkg`` ...)."""
    specs: list[dict] = []
    if run is None:
        return specs
    files = sorted((m["goal"], int(m["n"] or 1), name) for name in run.names(r"suggestions_.+\.gpkg") if (m := _SUGGESTION_FILE.fullmatch(name)))
    pal = palette.load()
    for goal_id, n, name in files:
        sites = gpd.read_file(run.file(name), layer="sites")
        if sites.empty:
            continue
        goal = str(sites["goal"].iloc[0]) if "goal" in sites else goal_id
        xy = np.round(mapdata.to_crs(shapely.get_coordinates(sites.geometry.to_numpy()), crs), POINT_DECIMALS)
        items = []
        for i, r in enumerate(sites.itertuples(index=False)):
            rows = [
                [i18n.text("suggested_goal", lang), goal],
                [i18n.text("suggested_gain", lang), f"{float(r.marginal_gain):,.0f}"],
                [i18n.text("suggested_after", lang), f"{float(r.share_after):.1%}"],
            ]
            items.append({"id": f"{goal}-{n}-{int(r.rank)}", "lon": float(xy[i, 0]), "lat": float(xy[i, 1]), "rank": int(r.rank),
                          "title": i18n.text("suggested_site", lang, rank=int(r.rank)), "rows": rows})
        label = i18n.text("suggested_layer", lang, goal=goal) if n == 1 else i18n.text("suggested_layer_set", lang, goal=goal, n=n)
        specs.append({"id": f"_suggested_{goal}" + (f"-{n}" if n > 1 else ""), "label": label, "color": pal.suggestion_color(n), "stroke": "#ffffff",
                      "radius": 11, "symbol": "star", "items": items})
    return specs


def _isochrone_specs(run: runfolder.RunFolder | None, lang: str, crs: str, names: dict[str, str]) -> list[dict]:
    """Outline layers of dissolved isochrones (``isochrones.gpkg`` written by ``accessibility isochrones``), hidden at first."""
    import pyogrio

    if run is None or not run.has("isochrones.gpkg"):
        return []
    path = run.file("isochrones.gpkg")
    specs: list[dict] = []
    colors = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e")
    for name, _ in pyogrio.list_layers(path):
        if not str(name).endswith("_dissolved"):
            continue
        service = str(name)[: -len("_dissolved")]
        layer = gpd.read_file(path, layer=name)
        layer = layer[layer["kind"] == "cumulative"] if "kind" in layer else layer
        for j, r in enumerate(layer.itertuples(index=False)):
            minutes = _num(getattr(r, "cutoff_min", None))
            cut = f"{minutes:g} 分钟" if lang == "zh" and minutes is not None else (
                f"{minutes:g} min" if minutes is not None else f"{float(r.cutoff_m):g} m"
            )
            label = f"等时圈：{names.get(service, service)} {cut}" if lang == "zh" else f"Isochrone: {names.get(service, service)} {cut}"
            specs.append({"id": f"iso_{service}_{j}", "label": label, "color": colors[j % len(colors)], "weight": 2, "dash": None,
                          "show": False, "items": [{"polys": _rings(r.geometry, crs, with_holes=True)}]})
    return specs


class _AccLayer(Layer):
    """Layer number ``index`` of the page's data block, built by ``AccMap.layer(index, map)`` (briefing_map.js).

    branca compiles the output of every element's script as a Jinja2 template a
    second time (``MacroElement.render``), so no text from the data may appear in
    it: the script holds only the layer's number; names and specs are in the
    JSON data block, which never passes through a template (:class:`_Raw`).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = AccMap.layer({{ this.index|int }}, {{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, index: int, *, overlay: bool, show: bool) -> None:
        super().__init__(name=f"layer {index}", overlay=overlay, control=True, show=show)
        self._name = "AccLayer"
        self.index = int(index)


class _AccLayerControl(folium.LayerControl):
    """Leaflet's layer control with the layers' names taken from the data block (see :class:`_AccLayer`)."""

    _template = FoliumTemplate(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = AccMap.control([
                {%- for name in this.layer_vars %}{{ name }},{% endfor -%}
            ], {{ this._parent.get_name() }}, {{ this.options|tojavascript }});
        {% endmacro %}
        """
    )

    def render(self, **kwargs: Any) -> str:
        assert self._parent is not None  # rendered as a child of the map
        self.layer_vars = [item.get_name() for item in self._parent._children.values() if isinstance(item, _AccLayer)]  # noqa: SLF001 - branca has no public accessor for an element's children (folium's LayerControl reads it too)
        return super().render(**kwargs)


@functools.lru_cache(maxsize=1)
def leaflet_assets() -> tuple[str, str]:
    """(CSS, JS) to inline: Leaflet from the XStatic-Leaflet package plus the map's own.

    Leaflet's images (layer-control icon) become data URIs; source-map
    comments are dropped, so the page asks for no other file.
    """
    import xstatic.pkg.leaflet as xleaflet

    base = Path(xleaflet.BASE_DIR)
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match) -> str:
        path = base / match.group(1)
        return f"url(data:image/png;base64,{mapdata.b64(path.read_bytes())})" if path.is_file() else "none"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"//# sourceMappingURL=\S*\s*$", "", js)
    css += "\n" + (_DATA_DIR / "briefing_map.css").read_text(encoding="utf-8")
    js += "\n" + (_DATA_DIR / "briefing_map.js").read_text(encoding="utf-8")
    return css, js


def build_map(data: RunData, *, lang: str = "zh", basemap: str = "none", tianditu_key: str | None = None, title: str | None = None) -> folium.Map:
    """The Folium map of a run (self-contained: no CDN asset; see the module doc).

    Parameters
    ----------
    data
        The run (:func:`accessibility.rundata.load_run`).
    lang
        ``"zh"`` or ``"en"``.
    basemap
        ``"none"`` (default: no tiles) or a basemap of ``maps/basemaps.toml``
        (``"tianditu"``, ``"amap"``, ``"osm"``).
    tianditu_key
        Access key of a basemap that needs one (Tianditu's browser key, written
        into the page as Tianditu expects; default: its ``key_env`` variable).
    title
        The headline's title (default: the run's place, see :func:`.mapheadline.map_title`).
    """
    parts = _parts(data, lang=lang, basemap=basemap, tianditu_key=tianditu_key, title=title)
    return _folium_map(parts)


def _folium_map(parts: _MapParts) -> folium.Map:
    (s, w), (n, e) = parts.bounds
    # no folium scale (feet and miles too): briefing_map.js adds a metric one and drops Leaflet's flag prefix
    m = folium.Map(location=[(s + n) / 2, (w + e) / 2], zoom_start=13, tiles=None, control_scale=False, zoom_snap=0.25, maxZoom=20)
    m.default_js = []  # no CDN: Leaflet is inlined below; jQuery, Bootstrap, Font Awesome are not used
    m.default_css = []
    css, js = leaflet_assets()
    fig = cast("Figure", m.get_root())  # folium puts every Map into a branca Figure; the stubs say Element
    fig.header.add_child(_Raw(f"<title>{html.escape(parts.title)}</title>"), name="acc_title")
    fig.header.add_child(_Raw(f"<style>{css}</style>"), name="acc_css")
    fig.header.add_child(_Raw(f'<script type="application/json" id="acc-map-data">{mapdata.script_json(parts.payload)}</script>'), name="acc_data")
    fig.header.add_child(_Raw(f"<script>{js}</script>"), name="acc_js")
    fig.html.add_child(_Raw(parts.headline), name="acc_heading")  # built with every text escaped (mapheadline)
    for i, (_, _, overlay, show) in enumerate(parts.layers):
        _AccLayer(i, overlay=overlay, show=show).add_to(m)
    m.fit_bounds(parts.bounds)
    _AccLayerControl(collapsed=False, position="topright").add_to(m)
    _fix_ids(fig)
    return m


class _Raw(Element):
    """Text placed into the page as it is, never parsed as a Jinja2 template.

    branca's ``Element(text)`` compiles ``text`` as a template, so a facility
    named ``{{ ... }}`` would run as code while the map renders. Here the
    template is fixed and the text is only substituted into it.
    """

    _template = Template("{{ this.raw }}")

    def __init__(self, raw: str) -> None:
        super().__init__()
        self.raw = raw


def _fix_ids(root: Element) -> None:
    """Number every element of the page in order, so the same run gives the same file
    (folium names elements from random UUIDs)."""
    stack = [root]
    n = 0
    while stack:
        el = stack.pop()
        el._id = f"{n:08d}"  # noqa: SLF001 - branca names elements from _id and has no public setter
        n += 1
        stack.extend(reversed(list(el._children.values())))  # noqa: SLF001 - branca has no public accessor for an element's children


def map_html(data: RunData, *, lang: str = "zh", basemap: str = "none", tianditu_key: str | None = None, title: str | None = None) -> str:
    """The map as one HTML document (see :func:`build_map`)."""
    return _render(_parts(data, lang=lang, basemap=basemap, tianditu_key=tianditu_key, title=title), lang)


def _render(parts: _MapParts, lang: str) -> str:
    text = _folium_map(parts).get_root().render()
    text = text.replace("<html>", f'<html lang="{"zh-CN" if lang == "zh" else "en"}">', 1)
    external = re.findall(r"<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=", text)
    if external:  # an invariant of this module: every asset is inline
        raise errors.AccessibilityError(f"internal error: the map would load external files ({external[:3]})")
    return text


def embed_snippet(html_name: str, *, title: str, height: int = 600) -> str:
    """An ``<iframe>`` snippet showing ``html_name`` (a path relative to the page)."""
    return (
        f"<!-- accessibility map: copy {html.escape(html_name)} next to the page and paste this element -->\n"
        f'<iframe src="{html.escape(html_name, quote=True)}" title="{html.escape(title, quote=True)}" width="100%" height="{int(height)}" '
        'style="border:0" loading="lazy" sandbox="allow-scripts allow-popups" referrerpolicy="no-referrer"></iframe>\n'
    )


@dataclass
class MapFiles:
    """What :func:`write_map` wrote, with sizes and timings."""

    html: Path
    embed: Path | None
    png: Path | None
    html_bytes: int
    png_bytes: int | None
    hexagons: int
    facilities: int
    seconds: float


def write_map(
    run: RunResult | str | Path,
    *,
    lang: str = "zh",
    basemap: str = "none",
    tianditu_key: str | None = None,
    title: str | None = None,
    out: str | Path | None = None,
    png: bool = True,
    embed: bool = True,
) -> MapFiles:
    """Write the interactive map (and its embed snippet and PNG) of a run.

    Parameters
    ----------
    run
        A run written to a folder (in memory: nothing is re-read), or the folder.
    lang
        ``"zh"`` (default) or ``"en"``.
    basemap
        ``"none"`` (default: no tiles), ``"tianditu"`` (needs a key), ``"amap"`` or ``"osm"`` (``maps/basemaps.toml``).
    tianditu_key
        Tianditu browser key (default: env ``TIANDITU_KEY``).
    title
        The headline's title (default: the run's place).
    out
        HTML file (default ``<run folder>/map_<lang>.html``); the snippet and PNG go beside it.
    png, embed
        Also write ``<stem>.png`` and ``<stem>_embed.html``.

    Returns
    -------
    MapFiles
    """
    t0 = time.perf_counter()
    data = load_run(run)
    out = Path(out) if out is not None else data.run_dir / f"map_{lang}.html"
    parts = _parts(data, lang=lang, basemap=basemap, tianditu_key=tianditu_key, title=title)
    text = _render(parts, lang)
    embed_path = png_path = None
    png_bytes = None
    with runfolder.writer(out.parent, run=data.folder, command="map") as up:
        up.write_text(out.name, text)
        if embed:
            embed_path = out.with_name(out.stem + "_embed.html")
            up.write_text(embed_path.name, embed_snippet(out.name, title=parts.title))
        if png:
            from . import mapimage

            png_path = out.with_suffix(".png")
            with up.file(png_path.name) as tmp:
                mapimage.write_map_png(data, tmp, lang=lang, themes=parts.themes, title=parts.title)
            png_bytes = png_path.stat().st_size
    n_fac = sum(len(f["items"]) for f in parts.payload["facilities"])
    files = MapFiles(out, embed_path, png_path, out.stat().st_size, png_bytes, int(parts.payload["hex"]["n"]), n_fac, time.perf_counter() - t0)
    log.info("map %s: %.1f MB, %d hexagons, %d facilities, %.1f s", out, files.html_bytes / 1e6, files.hexagons, n_fac, files.seconds)
    return files
