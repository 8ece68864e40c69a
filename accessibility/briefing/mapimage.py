"""Static pictures of a run for printed documents (matplotlib, no network).

* :func:`write_map_png` — the interactive map's default view (first goal's
  status per hexagon, its uncovered people, facilities, outlines) in
  Web-Mercator, WGS-84 positions, no basemap; legend, scale bar, north arrow
  and the OpenStreetMap attribution.
* :func:`write_coverage_png` — coverage curves (share of residents within t
  minutes of each service).
* :func:`write_district_png` — per-district shares of each goal.

Chinese labels need a CJK font: the first of Noto Sans CJK, Source Han Sans,
Microsoft YaHei, SimHei, PingFang, WenQuanYi found on the system is used
(Debian: ``fonts-noto-cjk`` or ``fonts-wqy-microhei``). Without one the
picture's labels fall back to English, and the log says so.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import shapely

from ..core import fileio
from . import i18n, mapthemes
from .rundata import RunData

__all__ = ["cjk_font", "font_families", "no_resident_districts", "write_coverage_png", "write_district_png", "write_map_png"]

log = logging.getLogger(__name__)

_CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "Microsoft YaHei", "SimHei", "PingFang SC",
    "Heiti SC", "STHeiti", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Sarasa Gothic SC", "AR PL UMing CN",
)
_CJK_FILES = re.compile(r"(wqy|NotoSansCJK|NotoSansSC|SourceHanSans|msyh|simhei|PingFang|STHeiti|sarasa)", re.IGNORECASE)
_R = 6378137.0


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """Name of an installed font with Chinese glyphs, or ``None``."""
    from matplotlib import font_manager

    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((fam for fam in _CJK_FAMILIES if fam in names), None)

    found = known()
    if found is None:  # installed after matplotlib built its font cache
        for path in font_manager.findSystemFonts():
            if _CJK_FILES.search(Path(path).name):
                with contextlib.suppress(Exception):
                    font_manager.fontManager.addfont(path)
        found = known()
    return found


_warned: set[str] = set()  # what was said once per process (no CJK font): one warning, not one per figure or glyph


def _warn_once(key: str, message: str, *args: object) -> None:
    if key not in _warned:
        _warned.add(key)
        log.warning(message, *args)


def font_families(lang: str) -> tuple[list[str], str]:
    """The named font families of a figure in ``lang``, and the language its labels can use.

    Every figure, English ones included, lists the detected CJK font (:func:`cjk_font`): Chinese
    names in an English chart are drawn, not boxes. Chinese figures put it first (its Latin glyphs
    match its Chinese ones); without a CJK font a Chinese figure falls back to English labels.
    """
    cjk = cjk_font()
    use = "en" if lang == "zh" and cjk is None else lang
    if cjk is None:
        return ["DejaVu Sans"], use
    return ([cjk, "DejaVu Sans"] if use == "zh" else ["DejaVu Sans", cjk]), use


@contextlib.contextmanager
def _style(lang: str) -> Iterator[str]:
    """matplotlib settings for ``lang``; yields the language the labels can use."""
    import matplotlib as mpl

    fams, use = font_families(lang)
    if cjk_font() is None:
        _warn_once("no_cjk", "no Chinese font found (install fonts-noto-cjk or fonts-wqy-microhei): Chinese labels are drawn in English, Chinese names as boxes")
    # the families by name, not "sans-serif": matplotlib falls back from glyph to glyph only along a list of
    # named families (a generic family resolves to its first font), so Chinese names stay legible in English PNGs
    with mpl.rc_context({"font.family": fams, "font.sans-serif": fams, "axes.unicode_minus": False, "svg.fonttype": "none",
                                 # names from data are drawn as text: "$...$" in a district name is not math
                                 "text.parse_math": False}):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield use
        glyphs = [str(w.message) for w in caught if "Glyph" in str(w.message) and "missing" in str(w.message)]
        if glyphs and cjk_font() is not None:  # a name in a script no installed font has: one line per figure
            log.warning("PNG: %d characters have no glyph in %s (e.g. %s)", len(glyphs), ", ".join(fams), glyphs[0])
        for w in caught:
            if str(w.message) not in glyphs:
                log.warning("PNG: %s", w.message)


def _merc(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = np.clip(lat, -85.0511287798, 85.0511287798)
    return _R * np.radians(lon), _R * np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))


def _save(fig, path: Path, *, dpi: int) -> None:
    import matplotlib.pyplot as plt

    with fileio.atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png", metadata={"Software": "accessibility"}, bbox_inches="tight", pad_inches=0.15)
    plt.close(fig)


def _polys(geoms: Iterable[shapely.Geometry]) -> list[np.ndarray]:
    out = []
    for g in geoms:
        for part in shapely.get_parts(g):
            if isinstance(part, shapely.Polygon) and not part.is_empty:
                xy = np.asarray(part.exterior.coords)
                x, y = _merc(xy[:, 0], xy[:, 1])
                out.append(np.column_stack([x, y]))
    return out


class _Raster:
    """Hexagons and circles drawn with Pillow at 2x and downsampled: fast for 100k hexagons
    (matplotlib's vector paths take minutes), exact to the pixel for a printed map."""

    SS = 2

    def __init__(self, size: tuple[int, int], extent: tuple[float, float, float, float]):
        self.w, self.h = size[0] * self.SS, size[1] * self.SS
        self.x0, self.x1, self.y0, self.y1 = extent

    def _px(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = _merc(lon, lat)
        return (x - self.x0) / (self.x1 - self.x0) * self.w, (self.y1 - y) / (self.y1 - self.y0) * self.h

    def _finish(self, img):
        from PIL import Image

        return np.asarray(img.resize((self.w // self.SS, self.h // self.SS), Image.Resampling.LANCZOS))

    def polygons(self, rings: np.ndarray, classes: np.ndarray, colors: Sequence[str | None]) -> np.ndarray:
        from matplotlib.colors import to_rgba
        from PIL import Image, ImageDraw

        img = Image.new("RGBA", (self.w, self.h), (0, 0, 0, 0))
        draw = ImageDraw.Draw(img)
        rgba = [None if c is None else tuple(round(255 * v) for v in to_rgba(c)) for c in colors]
        coords, idx = shapely.get_coordinates(rings, return_index=True)
        px, py = self._px(coords[:, 0], coords[:, 1])
        flat = np.column_stack([px, py]).ravel().tolist()
        bounds = np.r_[0, np.flatnonzero(np.diff(idx)) + 1, len(idx)]
        edge = (255, 255, 255, 255) if self._hex_px(px, bounds) > 12 else None  # outlines only when hexagons are large
        for i in range(len(bounds) - 1):
            c = int(classes[i])
            col = rgba[c] if 0 <= c < len(rgba) else None
            if col is not None:
                draw.polygon(flat[2 * bounds[i]: 2 * bounds[i + 1]], fill=col, outline=edge)
        return self._finish(img)

    @staticmethod
    def _hex_px(px: np.ndarray, bounds: np.ndarray) -> float:
        if len(bounds) < 2:
            return 0.0
        seg = px[bounds[0]: bounds[1]]
        return float(seg.max() - seg.min())

    def circles(self, lon: np.ndarray, lat: np.ndarray, radius_px: np.ndarray, color: str) -> np.ndarray:
        from matplotlib.colors import to_rgba
        from PIL import Image, ImageDraw

        img = Image.new("RGBA", (self.w, self.h), (0, 0, 0, 0))
        draw = ImageDraw.Draw(img)
        fill = tuple(round(255 * v) for v in to_rgba(color))
        x, y = self._px(np.asarray(lon), np.asarray(lat))
        r = np.asarray(radius_px) * self.SS
        for i in np.argsort(-r):
            if r[i] <= 0:
                break
            if -r[i] <= x[i] <= self.w + r[i] and -r[i] <= y[i] <= self.h + r[i]:
                draw.ellipse((x[i] - r[i], y[i] - r[i], x[i] + r[i], y[i] + r[i]), fill=fill, outline=(255, 255, 255, 255), width=self.SS)
        return self._finish(img)


def _scale_bar(ax, x0: float, x1: float, y0: float, y1: float, lat: float, lang: str) -> None:
    k = 1 / math.cos(math.radians(lat))  # mercator units per metre
    target = (x1 - x0) / k / 5
    nice = max(v * 10 ** math.floor(math.log10(target)) for v in (1, 2, 5) if v * 10 ** math.floor(math.log10(target)) <= target)
    bx, by = x0 + 0.04 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    ax.plot([bx, bx + nice * k], [by, by], color="black", lw=3, solid_capstyle="butt", zorder=10)
    label = f"{nice / 1000:g} km" if nice >= 1000 else f"{nice:g} m"
    ax.text(bx + nice * k / 2, by + 0.012 * (y1 - y0), label, ha="center", va="bottom", fontsize=8, zorder=10)
    nx, ny = x1 - 0.05 * (x1 - x0), y1 - 0.1 * (y1 - y0)
    ax.annotate(i18n.text("north", lang), xy=(nx, ny + 0.06 * (y1 - y0)), xytext=(nx, ny), ha="center", va="top", fontsize=10,
                arrowprops={"arrowstyle": "-|>", "color": "black"}, zorder=10)


def write_map_png(
    data: RunData,
    path: str | Path,
    *,
    lang: str = "zh",
    themes: Sequence[mapthemes.Theme] | None = None,
    title: str | None = None,
    dpi: int = 150,
) -> Path:
    """Draw the map's default view to ``path`` (PNG).

    Parameters
    ----------
    data
        The run.
    lang
        ``"zh"`` or ``"en"``.
    themes
        Themes from :func:`accessibility.mapthemes.build_themes` (built when not given).
    title
        Heading (default: the map title).
    dpi
        Resolution (the figure is about 9 inches wide).
    """
    import matplotlib as mpl

    mpl.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    path = Path(path)
    with _style(lang) as use:
        services = list(dict.fromkeys([*data.services, *map(str, data.facilities["service"].unique())]))
        names = i18n.service_names(services, use)
        if themes is None or use != lang:
            themes = mapthemes.build_themes(data, use, names)
        title = title if title is not None and use == lang else i18n.text("map_title", use)
        fill = next((t for t in themes if t.kind == "fill"), None)
        circles = next((t for t in themes if t.kind == "circles" and fill is not None and t.goal == fill.goal), None)
        w, s, e, n = data.bounds()
        (x0, x1), (y0, y1) = (np.array(v) for v in _merc(np.array([w, e]), np.array([s, n])))
        pad = 0.03 * max(x1 - x0, y1 - y0)
        x0, x1, y0, y1 = x0 - pad, x1 + pad, y0 - pad, y1 + pad
        aspect = (y1 - y0) / max(x1 - x0, 1.0)
        fig_w, fig_h = 9.5, min(max(6.4 * aspect, 3.5), 12.0) + 0.9
        fig, ax = plt.subplots(figsize=(fig_w, fig_h))
        fig.subplots_adjust(left=0.02, right=0.7, top=0.94, bottom=0.05)
        ax.set_facecolor("#eef0f2")
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal")
        ax.apply_aspect()
        box = ax.get_position()
        size = (max(int(box.width * fig_w * dpi), 1), max(int(box.height * fig_h * dpi), 1))
        raster = _Raster(size, (x0, x1, y0, y1))
        handles: list = []
        if fill is not None:
            assert fill.classes is not None  # every fill theme classes its hexagons
            rings = mapthemes.hexagon_rings(data.hexes.geometry.to_numpy())
            ax.imshow(raster.polygons(rings, fill.classes, fill.colors), extent=(x0, x1, y0, y1), origin="upper", alpha=0.8, zorder=2)
            handles.append(Patch(facecolor="none", edgecolor="none", label=fill.legend_title.replace("\n", "\n  ")))
            used = {int(c) for c in np.unique(fill.classes)}
            handles += [Patch(facecolor=c, edgecolor="white", label=lab) for i, (c, lab) in enumerate(zip(fill.colors, fill.legend_labels, strict=True)) if c and i in used]
        if circles is not None and circles.uncovered is not None and len(circles.uncovered) and circles.uncovered.max() > 0:
            circle_color = circles.colors[0]
            assert circle_color is not None  # a circles theme has its one colour
            cen = shapely.centroid(data.hexes.geometry.to_numpy())
            u = circles.uncovered.astype(np.float64)
            r_px = (2.0 + 14.0 * np.sqrt(u / circles.vmax)) * dpi / 96.0
            ax.imshow(raster.circles(shapely.get_x(cen), shapely.get_y(cen), np.where(u > 0, r_px, 0.0), circle_color),
                      extent=(x0, x1, y0, y1), origin="upper", alpha=0.85, zorder=4)
            for v in circles.samples:
                r = 2.0 + 14.0 * math.sqrt(v / circles.vmax)
                handles.append(Line2D([], [], ls="", marker="o", markersize=2 * r * 0.75, markerfacecolor=circles.colors[0], markeredgecolor="white",
                                      label=f"{v:,} {i18n.text('unit_people', use)} ({i18n.text('hex_uncovered', use)})"))
        fac = data.facilities
        used_mask = (fac["status"] == "used").to_numpy() if "status" in fac else np.ones(len(fac), bool)
        for j, svc in enumerate(services):
            sel = fac[used_mask & (fac["service"] == svc).to_numpy()]
            if not len(sel):
                continue
            gs = sel.geometry.to_numpy()
            pts = np.where(shapely.get_type_id(gs) == 0, gs, shapely.point_on_surface(gs))
            px, py = _merc(shapely.get_x(pts), shapely.get_y(pts))
            color = mapthemes.facility_color(svc, j)
            ax.scatter(px, py, s=28, color=color, edgecolors="white", linewidths=0.9, zorder=6)
            handles.append(Line2D([], [], ls="", marker="o", markersize=6, markerfacecolor=color, markeredgecolor="white", label=names.get(svc, svc)))
        for geom, color, ls, label in ((data.study_area, "#424242", "--", "study_area"), (data.main_urban_area, "#6a3d9a", "-", "main_urban_area")):
            if geom is None:
                continue
            for xy in _polys([geom]):
                ax.plot(xy[:, 0], xy[:, 1], color=color, ls=ls, lw=1.4, zorder=5)
            handles.append(Line2D([], [], color=color, ls=ls, lw=1.4, label=i18n.text(label, use)))
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_xticks([])
        ax.set_yticks([])
        _scale_bar(ax, x0, x1, y0, y1, (s + n) / 2, use)
        ax.set_title(title, fontsize=13, loc="left")
        if handles:
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False, borderaxespad=0)
        fig.text(0.01, 0.01, f"{i18n.text('osm_attribution', use)}  ·  {i18n.text('png_note', use)}", fontsize=7, color="#555555")
        _save(fig, path, dpi=dpi)
    return path


def write_coverage_png(curves: dict[str, tuple[np.ndarray, np.ndarray]], path: str | Path, *, lang: str, labels: dict[str, str], speed: float, dpi: int = 130) -> Path:
    """Coverage curves: per service, share of residents within t minutes (``curves[s] = (t_min, share)``)."""
    import matplotlib as mpl

    mpl.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter

    path = Path(path)
    with _style(lang) as use:
        fig, ax = plt.subplots(figsize=(7.5, 4.2))
        for j, (svc, (t, share)) in enumerate(curves.items()):
            ax.plot(t, share, color=mapthemes.facility_color(svc, j), lw=2, label=labels.get(svc, svc) if use == lang else svc)
        for m in (5, 10, 15):
            ax.axvline(m, color="#999999", lw=0.8, ls=":")
        ax.set_xlim(0, max((float(t[-1]) for t, _ in curves.values()), default=30.0))
        ax.set_ylim(0, 1.0)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel(i18n.text("minutes_axis", use))
        ax.set_ylabel(i18n.text("share_axis", use))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
        ax.set_title(i18n.text("coverage_curve", use) + f" ({speed:g} m/s)", loc="left", fontsize=11)
        fig.tight_layout()
        _save(fig, path, dpi=dpi)
    return path


def _chart_rows(recs: list[dict]) -> list[dict]:
    """The districts with residents in the goal's area: a district without any has no share, and a bar would read 0%."""
    return [r for r in recs if (r.get("eligible_pop") or 0) > 0]


def no_resident_districts(goal: dict, lang: str) -> list[str]:
    """Names of the goal's districts with no residents of its group in its area (left out of the district chart)."""
    return [i18n.text("outside_districts", lang) if not r.get("district_id") and str(r.get("district_name", "")).startswith("(") else str(r.get("district_name", ""))
            for r in goal.get("by_district") or [] if not (r.get("eligible_pop") or 0) > 0]


def _district_tick(r: dict, lang: str) -> str:
    """A district's name, with "partial data (11%)" or "outside the data" where the data does not cover it all."""
    if not r.get("district_id") and str(r.get("district_name", "")).startswith("("):
        return i18n.text("outside_districts", lang)
    name, scope = str(r.get("district_name", "")), r.get("scope")
    if scope in ("partial", "outside"):
        return f"{name} · {i18n.text(f'scope_{scope}', lang, share=i18n.pct(r.get('data_coverage'), lang))}"
    return name


def _district_colour(r: dict, target: float | None) -> str:
    """Green where the target is met, red where not, grey where the data covers the district only in part (no verdict)."""
    if r.get("scope") in ("partial", "outside"):
        return "#9e9e9e"
    return "#1a9850" if target is not None and r.get("share") is not None and r["share"] >= target - 1e-12 else "#f03b20"


def write_district_png(goals: Sequence[dict], path: str | Path, *, lang: str, dpi: int = 130) -> Path | None:
    """Per goal, a bar of the covered share in each district with residents, with the target line.

    Districts with no residents of the goal's group are left out (a bar would read 0%) and named
    under the goal's bars; a goal with no district with residents gets no chart. ``None`` when no
    goal has one.
    """
    import matplotlib as mpl

    mpl.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter

    with_d = [g for g in goals if _chart_rows(g.get("by_district") or [])]
    if not with_d:
        return None
    path = Path(path)
    with _style(lang) as use:
        rows = max(len(_chart_rows(g["by_district"])) for g in with_d)
        heights = [0.9 + 0.28 * len(_chart_rows(g["by_district"])) + (0.3 if no_resident_districts(g, use) else 0.0) for g in with_d]
        fig, axes = plt.subplots(len(with_d), 1, figsize=(7.5, sum(heights)), squeeze=False, height_ratios=heights)
        for ax, g in zip(axes[:, 0], with_d, strict=True):
            recs = _chart_rows(g["by_district"])
            names = [_district_tick(r, use) for r in recs]
            shares = [r.get("share") if r.get("share") is not None else 0.0 for r in recs]
            target = g["targets"][0]["share"] if g.get("targets") else None
            colors = [_district_colour(r, target) for r in recs]
            y = np.arange(len(recs))[::-1]
            ax.barh(y, shares, color=colors, height=0.7)
            ax.set_yticks(y, names, fontsize=8)
            ax.set_xlim(0, 1.0)
            ax.xaxis.set_major_formatter(PercentFormatter(1.0))
            if target is not None:
                ax.axvline(target, color="black", lw=1, ls="--")
            ax.set_title(g["name_zh"] if use == "zh" else g["name_en"], loc="left", fontsize=10)
            ax.set_ylim(-0.7, max(rows, len(recs)) - 0.3)
            empty = no_resident_districts(g, use)
            if empty:
                ax.set_xlabel(i18n.text("no_residents", use, names=("、" if use == "zh" else ", ").join(empty)), fontsize=8, loc="left", color="#555555")
        fig.tight_layout()
        _save(fig, path, dpi=dpi)
    return path
