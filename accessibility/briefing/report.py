"""Briefing report of a run: HTML (self-contained) and Markdown, in Chinese or English.

:func:`write_report` writes ``report_<lang>.html`` and ``report_<lang>.md``
into the run folder, with the pictures beside them (``map_<lang>.png``,
``report_<lang>_coverage.png`` and, when the run had districts,
``report_<lang>_districts.png``; the HTML embeds them, so it travels alone).

Contents: a summary table of every goal (verdict, covered share against the
target, covered/eligible/uncovered people); per goal the targets, the share
reaching each service, the straight-line comparison, warnings, the
hexagons with the most uncovered people and, when given, the per-district
table (``by_district`` in goals.json) with a bar chart; coverage curves
(share of residents within t minutes of each service, from
``demand_points.parquet``); the map picture; data sources with the
OpenStreetMap attribution; assumptions (speeds, thresholds, population
source, snapping) and the run's notes; an appendix of facilities.

Numbers are those of ``goals.json``, formatted one way everywhere: shares
``44.6%`` (one decimal), people ``266,174``. The HTML cells also carry the
exact value in ``data-value``. Every text from the run (facility and
district names, warnings, labels from the TOMLs) is escaped, and the HTML
forbids scripts altogether (Content-Security-Policy), so a name such as
``<img src=x onerror=alert(1)>`` shows as text.
"""

from __future__ import annotations

import base64
import html
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import errors
from ..core import columns
from ..core.textsafe import md_escape
from ..run import folder as runfolder
from . import headline as hl
from . import i18n, mapimage, mapthemes, netquality, printing, wordreport
from .rundata import RunData, load_run, note_text

if TYPE_CHECKING:
    from ..run.result import RunResult

__all__ = ["ReportFiles", "coverage_curves", "report_blocks", "to_html", "to_markdown", "write_report"]

log = logging.getLogger(__name__)

CURVE_MAX_MIN = 30.0
CURVE_STEP_MIN = 0.25
FACILITY_ROWS = 300


@dataclass(frozen=True)
class Num:
    """A number shown as ``text``; the HTML keeps the exact ``value`` in ``data-value``."""

    value: float | None
    text: str


def _share(x: float | None, lang: str) -> Num:
    return Num(x, i18n.pct(x, lang))


def _people(x: float | None) -> Num:
    return Num(x, i18n.people(x))


Block = tuple  # ("h1"|"h2"|"h3"|"p"|"warn"|"list"|"table"|"img", ...)


def coverage_curves(data: RunData, *, speed_m_s: float, max_min: float = CURVE_MAX_MIN, step_min: float = CURVE_STEP_MIN) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per service: minutes ``t`` and the share of all residents within ``t`` minutes' walk.

    From ``demand_points.parquet``: ``<service>_dist_m`` (network distance to
    the nearest facility) at ``speed_m_s``, weighted by ``pop``. Residents who
    reach no facility never count.
    """
    pts = data.demand_points()
    pop = pts["pop"].to_numpy(np.float64)
    total = pop.sum()
    t = np.arange(0.0, max_min + step_min / 2, step_min)
    out = {}
    for s in data.services:
        col = columns.name("dist_m", s)
        if col not in pts or total <= 0:
            continue
        minutes = pts[col].to_numpy(np.float64) / speed_m_s / 60.0
        ok = np.isfinite(minutes)
        order = np.argsort(minutes[ok])
        m_sorted = minutes[ok][order]
        cum = np.r_[0.0, np.cumsum(pop[ok][order])]
        out[s] = (t, cum[np.searchsorted(m_sorted, t, side="right")] / total)
    return out


def _curve_speed(data: RunData) -> float:
    speeds = [s for g in data.goals if g.get("population") == "total" and g.get("mode", "walk") == "walk" and (s := g.get("speed_m_s"))]
    return float(Counter(speeds).most_common(1)[0][0]) if speeds else data.walk_speed_m_s


def _goal_name(g: dict, lang: str) -> str:
    return g["name_zh"] if lang == "zh" else g["name_en"]


def _verdict(g: dict, lang: str) -> str:
    status = g.get("status") or ("undefined" if g.get("passed") is None else ("pass" if g["passed"] else "fail"))
    word = i18n.text({"pass": "pass", "fail": "fail", "incomplete_data": "incomplete_data"}.get(status, "na"), lang)
    caveat = (g.get("main_caveat") or {}).get(lang)
    return f"{word} ({caveat})" if caveat else word


def _group(g: dict, lang: str) -> str:
    return i18n.text("pop_older" if g.get("population") == "older" else "pop_total", lang)


def _area(g: dict, lang: str) -> str:
    key = f"area_{g.get('area', 'study_area')}"
    try:
        return i18n.text(key, lang)
    except KeyError:
        return str(g.get("area"))


def _district_name(r: dict, lang: str) -> str:
    if not r.get("district_id") and str(r.get("district_name", "")).startswith("("):
        return i18n.text("outside_districts", lang)
    return str(r.get("district_name", r.get("district_id", "")))


def _scope(r: dict, lang: str) -> str:
    """How much of a district the data covers: complete, partial data (share), or outside the data."""
    scope = r.get("scope")
    if scope is None:  # outside the districts, or a run from before cover was measured
        return ""
    return i18n.text(f"scope_{scope}", lang, share=i18n.pct(r.get("data_coverage"), lang))


def _partial_cover(cover: dict | None, lang: str) -> list[str]:
    """The sentences on the study area and main urban area where the data covers too little of them for a verdict."""
    out = []
    for key in ("study_area", "main_urban_area"):
        c = (cover or {}).get(key)
        hull = key == "study_area" and not (cover or {}).get("study_area_given") and c is not None and c.get("people_share") is None
        if c is not None and c.get("scope") != "complete" and not hull:
            out.append(str((c.get("message") or {}).get(lang, c.get("name"))))
    return out


@dataclass
class _Ctx:
    data: RunData
    lang: str
    names: dict[str, str]
    images: dict[str, Path] = field(default_factory=dict)
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    speed: float = 1.0
    map_theme: str = ""
    title: str | None = None


def report_blocks(ctx: _Ctx) -> list[Block]:
    """The report as a list of blocks (rendered by :func:`to_html` and :func:`to_markdown`)."""
    data, lang, t = ctx.data, ctx.lang, (lambda key, **kw: i18n.text(key, ctx.lang, **kw))
    meta = data.meta
    # ---- first page: place, dates, sources, one line per goal with its badge, warnings, the map picture
    # (no clock time here: the same run gives the same report; the run's timings are in manifest.json)
    blocks: list[Block] = [("headline", hl.make_headline(data, lang, title=ctx.title))]
    if meta.get("population_is_estimate"):
        blocks.append(("warn", t("estimate_warning", source=i18n.source(meta.get("population_source", ""), lang))))
    blocks += [("warn", t("coverage_warning", message=m)) for m in _partial_cover(meta.get("coverage"), lang)]
    if "map" in ctx.images:
        blocks.append(("figure", "map", t("map_section"), t("map_caption", theme=ctx.map_theme, html=f"map_{lang}.html")))
    blocks.append(("pagebreak",))
    # ---- summary
    blocks.append(("h2", t("summary")))
    rows = []
    for g in data.goals:
        target = g["targets"][0]["share"] if g.get("targets") else None
        rows.append([_goal_name(g, lang), i18n.threshold(g.get("threshold"), lang), _group(g, lang), _share(g.get("share"), lang), _share(target, lang) if target is not None else "-",
                     _verdict(g, lang), _people(g.get("covered_pop")), _people(g.get("eligible_pop")), _people(g.get("uncovered_pop"))])
    blocks.append(("table", [t("goal"), t("threshold"), t("population_group"), t("share"), t("target"), t("verdict"), t("covered"), t("eligible"), t("uncovered")], rows))
    # ---- per goal
    for g in data.goals:
        blocks.append(("h2", f"{_goal_name(g, lang)} ({g['id']})"))
        lead = f"{t('verdict')}：{_verdict(g, lang)}。" if lang == "zh" else f"{t('verdict')}: {_verdict(g, lang)}. "
        blocks.append(("p", lead + t(
            "covered_sentence", covered=i18n.people(g.get("covered_pop")), eligible=i18n.people(g.get("eligible_pop")), group=_group(g, lang),
            share=i18n.pct(g.get("share"), lang), uncovered=i18n.people(g.get("uncovered_pop")))))
        items = [t("target_line", share=i18n.pct(tg.get("share"), lang), label=i18n.target_label(tg, lang), met=t("na" if tg.get("met") is None else ("met" if tg["met"] else "not_met")))
                 for tg in g.get("targets", [])]
        if g.get("straight_line"):
            items.append(t("straight_line", share=i18n.pct(g["straight_line"].get("share"), lang)))
        blocks.append(("list", items))
        if g.get("per_service_share"):
            blocks.append(("h3", t("per_service")))
            blocks.append(("table", [t("service"), t("share")], [[ctx.names.get(s, s), _share(v, lang)] for s, v in g["per_service_share"].items()]))
        if g.get("warnings"):
            blocks.append(("h3", t("warnings")))
            blocks.append(("list", [note_text(w, lang) for w in g["warnings"]]))
        if g.get("by_district"):
            blocks.append(("h3", t("by_district")))
            blocks.append(("table", [t("district"), t("share"), t("covered"), t("eligible"), t("uncovered"), t("data_scope")],
                           [[_district_name(r, lang), _share(r.get("share"), lang), _people(r.get("covered_pop")), _people(r.get("eligible_pop")), _people(r.get("uncovered_pop")),
                             _scope(r, lang)]
                            for r in g["by_district"]]))
            empty = mapimage.no_resident_districts(g, lang)
            if empty:  # left out of the district chart (a bar would read 0%): named here
                blocks.append(("p", t("no_residents", names=("、" if lang == "zh" else ", ").join(empty))))
        if g.get("worst_hexes"):
            blocks.append(("h3", t("worst_hexes")))
            blocks.append(("table", ["H3", t("uncovered"), t("eligible"), t("share")],
                           [[h["h3"], _people(h.get("uncovered_pop")), _people(h.get("eligible_pop")), _share(h.get("share"), lang)] for h in g["worst_hexes"][:5]]))
    if "districts" in ctx.images:
        blocks.append(("h2", t("by_district")))
        blocks.append(("img", "districts", t("by_district")))
    # ---- coverage curves
    if "coverage" in ctx.images:
        blocks.append(("h2", t("coverage_curve")))
        blocks.append(("p", t("coverage_curve_caption", speed=f"{ctx.speed:g}")))
        blocks.append(("img", "coverage", t("coverage_curve")))
        marks = (5, 10, 15)
        rows = []
        for s, (tt, share) in ctx.curves.items():
            rows.append([ctx.names.get(s, s)] + [_share(float(share[np.searchsorted(tt, m)]), lang) for m in marks])
        blocks.append(("table", [t("service")] + [t("within", t=m) for m in marks], rows))
    blocks += _planning_blocks(ctx)
    # ---- sources and assumptions
    blocks.append(("h2", t("sources")))
    blocks.append(("list", _sources(data, lang)))
    blocks.append(("h2", t("assumptions")))
    blocks.append(("list", _assumptions(data, lang)))
    if meta.get("notes"):
        blocks.append(("h3", t("notes")))
        blocks.append(("list", data.notes(lang)))
    blocks += netquality.quality_blocks(data.manifest, lang)
    blocks += _facility_blocks(ctx)
    return blocks


_PLAN_TEXT = {
    "provision": ("配置指标（两步移动搜寻法）", "Provision ratios (2SFCA / E2SFCA)"),
    "indicator": ("指标", "Indicator"),
    "overall": ("总体比值", "Overall ratio"),
    "mean_2sfca": ("人均可达（2SFCA）", "Mean access (2SFCA)"),
    "mean_e2sfca": ("人均可达（E2SFCA）", "Mean access (E2SFCA)"),
    "target": ("目标", "Target"),
    "adequate": ("覆盖且充足", "Covered, adequate"),
    "over": ("覆盖但超负荷", "Covered, over-subscribed"),
    "not_covered": ("未覆盖", "Not covered"),
    "suggest": ("建议新址", "Suggested new sites"),
    "rank": ("新增站点数", "New sites"),
    "gain": ("覆盖人口", "Covered people"),
    "after": ("覆盖率", "Share"),
    "lead": ("目标 {goal}（{service}）：覆盖率由 {before} 提高到 {after}，方法：{method}。",
             "Goal {goal} ({service}): coverage rises from {before} to {after}; method: {method}."),
    "gap": ("贪心解与最优解的差距：{gap}", "Gap of the greedy choice to the optimum: {gap}"),
    "catchment_m": ("{name}：服务范围为沿路网{metres:,.0f}米。", "{name}: catchment of {metres:,.0f} m along the network."),
    "catchment_min": ("{name}：服务范围为步行{minutes:g}分钟（步速{speed:g}米/秒）。", "{name}: catchment of a {minutes:g}-minute walk at {speed:g} m/s."),
    "catchment_walker": ("{name}：服务范围为{walker}步行{minutes:g}分钟（步速{speed:g}米/秒{counts}；{source}）。",
                         "{name}: catchment of a {minutes:g}-minute walk by {walker} ({speed:g} m/s{counts}; {source})."),
    "counts": ("，计{what}", ", with {what}"),
    "slopes": ("坡度", "slopes"),
    "steps": ("台阶", "steps"),
    "crossings": ("过街等候", "waits at crossings"),
    "no_supply": ("{n}处设施缺少“{supply}”数据，未计入。", "{n} facilities have no '{supply}' value and are left out."),
    "flat": ("本次运行无坡度数据，步行时间按平地计。", "The run has no slopes: the walk is timed on the flat."),
    "partly_flat": ("本次运行的高程数据未覆盖{share}的道路长度，这些道路按平地计。", "The run's elevation raster does not cover {share} of the street length, timed on the flat."),
}


def _planning_blocks(ctx: _Ctx) -> list[Block]:
    """Provision ratios and site suggestions, when ``accessibility provision`` / ``suggest`` wrote them."""
    import json

    lang = ctx.lang
    zh = lang == "zh"

    def pt(key: str, **kw) -> str:
        return _PLAN_TEXT[key][0 if zh else 1].format(**kw)

    def fmt(v: float | None) -> str:
        return "-" if v is None else f"{v:,.2f}"

    run_dir = Path(ctx.data.run_dir)
    blocks: list[Block] = []
    prov = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(run_dir.glob("provision_*.json"))]
    if prov:
        blocks.append(("h2", pt("provision")))
        rows = []
        for d in prov:
            cs = d.get("class_share") or {}
            name = d.get("name_zh") if zh else d.get("name_en")
            rows.append([str(name or d.get("id")), fmt(d.get("overall_ratio")), fmt(d.get("mean_access_2sfca")), fmt(d.get("mean_access_e2sfca")),
                         fmt(d.get("target")), _share(cs.get("adequate"), lang), _share(cs.get("over_subscribed"), lang), _share(cs.get("not_covered"), lang)])
        blocks.append(("table", [pt("indicator"), pt("overall"), pt("mean_2sfca"), pt("mean_e2sfca"), pt("target"), pt("adequate"), pt("over"), pt("not_covered")], rows))
        blocks.append(("list", [_catchment_text(d, zh, pt) for d in prov]))
    for path in sorted(run_dir.glob("suggestions_*.json")):
        d = json.loads(path.read_text(encoding="utf-8"))
        blocks.append(("h2", f"{pt('suggest')}: {d.get('goal')}"))
        blocks.append(("p", pt("lead", goal=d.get("goal"), service=ctx.names.get(str(d.get("service")), str(d.get("service"))),
                               before=i18n.pct(d.get("share_before"), lang), after=i18n.pct(d.get("share_after"), lang), method=str(d.get("method")))))
        if d.get("gap") is not None:
            blocks.append(("p", pt("gap", gap=i18n.pct(d["gap"], lang))))
        curve = d.get("curve") or []
        rows = [[str(int(c["k"])), _people(c["covered"]), _share(c.get("share"), lang)] for c in curve]
        blocks.append(("table", [pt("rank"), pt("gain"), pt("after")], rows))
    return blocks


def _catchment_text(d: dict, zh: bool, pt: Callable[..., str]) -> str:
    """How an indicator's catchment was measured, and what its ratios lack (facilities without supply, slopes)."""
    name = str((d.get("name_zh") if zh else d.get("name_en")) or d.get("id"))
    walker, minutes = d.get("walker"), d.get("catchment_min")
    if walker is not None and minutes is not None:
        source = walker.get("source_zh" if zh else "source") or walker.get("source") or ""
        who = walker.get("name_zh" if zh else "name_en") or walker["id"]
        slopes = walker.get("slope") and not d.get("walker_flat")  # a run without slopes times the walk on the flat (said below)
        what = [pt(k) for k, on in (("slopes", slopes), ("steps", walker.get("steps_factor", 1.0) != 1.0), ("crossings", walker.get("crossing_delay_s"))) if on]
        counts = pt("counts", what=("、" if zh else ", ").join(what)) if what else ""
        text = pt("catchment_walker", name=name, walker=who, minutes=minutes, speed=walker["speed_m_s"], counts=counts, source=source)
    elif minutes is not None:
        text = pt("catchment_min", name=name, minutes=minutes, speed=d["catchment_m"] / (minutes * 60.0))
    else:
        text = pt("catchment_m", name=name, metres=d.get("catchment_m") or 0.0)
    if d.get("facilities_without_supply"):
        text += " " + pt("no_supply", n=d["facilities_without_supply"], supply=d.get("supply_column"))
    if d.get("walker_flat"):
        text += " " + pt("flat")
    if d.get("walker_share_without_elevation"):
        text += " " + pt("partly_flat", share=i18n.pct(d["walker_share_without_elevation"], "zh" if zh else "en"))
    return text


def _sources(data: RunData, lang: str) -> list[str]:
    def t(key: str, **kw: object) -> str:
        return i18n.text(key, lang, **kw)

    inputs = data.manifest.get("inputs") or {}
    osm = inputs.get("osm") or {"path": data.manifest.get("osm", "")}
    osm_file = Path(str(osm.get("path", ""))).name
    if osm.get("sha256"):
        osm_file += f" (sha256 {osm['sha256'][:12]}…)"
    out = [t("src_osm", file=osm_file)]
    out.append(t("src_population", source=i18n.source(data.meta.get("population_source", data.manifest.get("population", {}).get("source", "")), lang)))
    out.append(t("src_older", source=i18n.source(data.meta.get("older_population_source", ""), lang)))
    pop = inputs.get("population")
    if pop:
        out.append(t("src_worldpop", file=Path(str(pop.get("path", pop))).name if isinstance(pop, dict) else str(pop)))
    for key, value in inputs.items():
        if key in ("osm", "population"):
            continue
        for v in value if isinstance(value, list) else [value]:
            name = Path(str(v.get("path", v))).name if isinstance(v, dict) else Path(str(v)).name
            out.append(t("src_file", what=i18n.input_kind(key, lang), file=name))
    return out


def _assumptions(data: RunData, lang: str) -> list[str]:
    def t(key: str, **kw: object) -> str:
        return i18n.text(key, lang, **kw)

    out = []
    for g in data.goals:
        dist = g.get("threshold_m")
        out.append(t("as_speed", goal=_goal_name(g, lang), threshold=i18n.threshold(g.get("threshold"), lang), speed=f"{g.get('speed_m_s') or 0:g}",
                     dist=f"{dist:,.0f}" if dist else "-", group=_group(g, lang), area=_area(g, lang)))
        out.extend(
            "  " + t("as_density", dist=f"{r.get('max_dist_m', 0):g}", density=f"{r.get('min_density_per_km2', 0):,.0f}") for r in g.get("density_rule") or []
        )
        walker = _walker_text(data, g, lang)
        if walker:
            out.append("  " + walker)
    opts = data.manifest.get("options") or {}
    out.append(t("as_snap", m=f"{data.max_snap_m:g}"))
    res = opts.get("resolution")
    if res is not None and len(data.hexes):
        out.append(t("as_resolution", res=res, km2=f"{float(np.nanmean(data.hexes['area_km2'])):.3f}" if "area_km2" in data.hexes else "?"))
    est = opts.get("estimate") or {}
    share = opts.get("older_share") or est.get("older_share")
    if share is not None:
        out.append(t("as_older_share", share=f"{share:.1%}"))
    out.append(t("as_coverage"))
    out.append(t("as_network"))
    return out


def _walker_text(data: RunData, goal: dict, lang: str) -> str | None:
    """The walker profile a goal was evaluated with: speed, slope (and the DEM), steps, crossings, source; ``None`` without one."""
    spec = next((s for s in data.manifest.get("goals") or [] if s.get("id") == goal.get("id")), None)
    w = (spec or {}).get("walker")
    if not w:
        return None
    zh = lang == "zh"
    if spec is not None and spec.get("max_time_s") is None:
        slope = i18n.text("as_walker_metric", lang)
    elif not w.get("slope", True):
        slope = i18n.text("as_walker_no_slope", lang)
    else:
        dem = (((data.manifest.get("modes") or {}).get("walk") or {}).get("elevation") or {}).get("dem")
        slope = i18n.text("as_walker_dem", lang, dem=dem) if dem else i18n.text("as_walker_flat", lang)
    source = (w.get("source_zh") if zh else w.get("source")) or i18n.text("as_walker_source_file", lang)
    return i18n.text(
        "as_walker", lang, goal=_goal_name(goal, lang), name=w.get("name_zh" if zh else "name_en") or w.get("id"), speed=f"{float(w.get('speed_m_s', 0)):g}",
        slope=slope, steps=f"{float(w.get('steps_factor', 1)):g}", delay=f"{float(w.get('crossing_delay_s', 0)):g}", source=source,
    )


def _facility_blocks(ctx: _Ctx) -> list[Block]:
    data, lang = ctx.data, ctx.lang
    def t(key: str, **kw: object) -> str:
        return i18n.text(key, lang, **kw)

    fac = data.facilities
    if not len(fac):
        return []
    used = (fac["status"] == "used").to_numpy() if "status" in fac else np.ones(len(fac), bool)
    blocks: list[Block] = [("h2", t("facilities_appendix"))]
    counts = [[ctx.names.get(s, s), Num(float(n), f"{n:,}")] for s, n in fac[used]["service"].value_counts(sort=False).items()]
    blocks.append(("table", [t("service"), t("facilities_count")], counts))
    cap_cols = [c for c in ("beds", "places") if c in fac]
    header = [t("field_name"), t("field_service"), t("field_tier"), *(t(f"field_{c}") for c in cap_cols), t("field_snap")]
    rows = []
    for r in fac[used].head(FACILITY_ROWS).itertuples(index=False):
        d = r._asdict()
        name = d.get("name") if isinstance(d.get("name"), str) and d.get("name").strip() else t("unnamed")
        caps = [Num(v, f"{v:,.0f}") if (v := _finite(d.get(c))) is not None else "" for c in cap_cols]
        snap = _finite(d.get("snap_dist_m"))
        rows.append([name, ctx.names.get(str(d.get("service")), str(d.get("service"))), i18n.tier_label(d.get("tier"), lang), *caps,
                     Num(snap, f"{snap:,.0f}") if snap is not None else ""])
    blocks.append(("table", header, rows))
    if int(used.sum()) > FACILITY_ROWS:
        blocks.append(("p", t("facilities_more", n=f"{int(used.sum()) - FACILITY_ROWS:,}")))
    if (~used).any():
        blocks.append(("h3", t("rejected_appendix")))
        blocks.append(("table", [t("field_name"), t("field_service"), t("field_status")],
                       [[str(d.name) if isinstance(d.name, str) and d.name.strip() else t("unnamed"), ctx.names.get(str(d.service), str(d.service)), str(d.status)]
                        for d in fac[~used].head(FACILITY_ROWS).itertuples(index=False)]))
    return blocks


def _finite(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None


# --------------------------------------------------------------------------- renderers

_CSS = """
body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei","Helvetica Neue",Arial,sans-serif;
max-width:960px;margin:2em auto;padding:0 1em;color:#222;line-height:1.5}
h1{font-size:1.6em;border-bottom:2px solid #444;padding-bottom:.2em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ccc}
h3{font-size:1.05em;margin-top:1.1em}table{border-collapse:collapse;margin:.5em 0;font-size:.92em}
th,td{border:1px solid #ccc;padding:3px 8px;vertical-align:top;word-break:break-word}th{background:#f2f2f2;text-align:left}
td.num{text-align:right;white-space:nowrap}.warn{background:#fff3cd;border-left:4px solid #e0a800;padding:.5em .8em}
img{max-width:100%;height:auto;border:1px solid #ddd}
""" + printing.PRINT_CSS

#: tables with at most this many rows are kept on one printed page
KEEP_ROWS = 20


def _cell_html(c: Any) -> str:
    if isinstance(c, Num):
        val = "" if c.value is None else f' data-value="{html.escape(repr(float(c.value)), quote=True)}"'
        return f'<td class="num"{val}>{html.escape(c.text)}</td>'
    return f"<td>{html.escape(str(c))}</td>"


def to_html(blocks: list[Block], *, lang: str, images: dict[str, Path]) -> str:
    """Render blocks as one HTML document (images embedded as data URIs, scripts forbidden)."""
    head = next((b[1] for b in blocks if b[0] == "headline"), None)
    title = (f"{head.place} · {head.kicker}" if head.place else head.kicker) if head is not None else ""
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{_CSS}{hl.headline_css()}</style></head><body>",
    ]
    for b in blocks:
        kind = b[0]
        if kind == "headline":
            out.append(hl.headline_html(b[1]))
        elif kind == "pagebreak":
            out.append('<div class="page-break"></div>')
        elif kind == "figure":
            raw = images[b[1]].read_bytes()
            out.append(f'<figure class="hl-map"><img alt="{html.escape(b[2], quote=True)}" src="data:image/png;base64,{base64.b64encode(raw).decode("ascii")}">'
                       f"<figcaption>{html.escape(b[3])}</figcaption></figure>")
        elif kind in ("h1", "h2", "h3", "p"):
            out.append(f"<{kind}>{html.escape(b[1])}</{kind}>")
        elif kind == "warn":
            out.append(f'<p class="warn">{html.escape(b[1])}</p>')
        elif kind == "list":
            out.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in b[1]) + "</ul>")
        elif kind == "table":
            head = "".join(f"<th>{html.escape(h)}</th>" for h in b[1])
            body = "".join("<tr>" + "".join(_cell_html(c) for c in row) + "</tr>" for row in b[2])
            keep = ' class="keep"' if len(b[2]) <= KEEP_ROWS else ""
            out.append(f"<table{keep}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif kind == "img":
            raw = images[b[1]].read_bytes()
            out.append(f'<p><img alt="{html.escape(b[2], quote=True)}" src="data:image/png;base64,{base64.b64encode(raw).decode("ascii")}"></p>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def to_markdown(blocks: list[Block], *, images: dict[str, Path]) -> str:
    """Render blocks as Markdown (images referenced by file name)."""
    out: list[str] = []
    marks = {"h1": "# ", "h2": "## ", "h3": "### "}
    for b in blocks:
        kind = b[0]
        if kind == "headline":
            out += hl.headline_markdown(b[1])
        elif kind == "figure":
            out += [f"![{md_escape(b[2])}]({images[b[1]].name})", "", f"*{md_escape(b[3])}*", ""]
        elif kind in marks:
            out += [marks[kind] + md_escape(b[1]), ""]
        elif kind == "p":
            out += [md_escape(b[1]), ""]
        elif kind == "warn":
            out += ["> **" + md_escape(b[1]) + "**", ""]
        elif kind == "list":
            out += [f"- {md_escape(i)}" for i in b[1]] + [""]
        elif kind == "table":
            out.append("| " + " | ".join(md_escape(h) for h in b[1]) + " |")
            out.append("|" + "|".join("---:" if any(isinstance(r[i], Num) for r in b[2]) else "---" for i in range(len(b[1]))) + "|")
            out += ["| " + " | ".join(md_escape(c.text if isinstance(c, Num) else c) for c in row) + " |" for row in b[2]]
            out.append("")
        elif kind == "img":
            out += [f"![{md_escape(b[2])}]({images[b[1]].name})", ""]
    return "\n".join(out)


@dataclass
class ReportFiles:
    """What :func:`write_report` wrote."""

    html: Path
    markdown: Path
    images: dict[str, Path]
    docx: Path | None = None
    pdf: Path | None = None


def write_report(
    run: RunResult | str | Path,
    *,
    lang: str = "zh",
    out_dir: str | Path | None = None,
    map_png: bool = True,
    title: str | None = None,
    docx: bool = True,
    pdf: bool = False,
) -> ReportFiles:
    """Write the briefing report (HTML, Markdown and Word; PDF on request) of a run.

    Parameters
    ----------
    run
        A run written to a folder (in memory: nothing is re-read), or the folder.
    lang
        ``"zh"`` (default) or ``"en"``.
    out_dir
        Where to write (default: the run folder).
    map_png
        Draw the map picture (``map_<lang>.png``) into the report.
    title
        The place named on the first page (default: the run's place, its
        single district, its boundary or OSM file name; see
        :func:`accessibility.briefing.headline.place_name`).
    docx
        Also write ``report_<lang>.docx`` (:mod:`.wordreport`).
    pdf
        Also print ``report_<lang>.pdf`` with headless Chromium
        (:func:`accessibility.briefing.printing.write_pdf`); an
        :class:`~accessibility.errors.InputError` naming the packages to
        install when Chromium is missing, before anything is written.

    Returns
    -------
    ReportFiles
    """
    i18n.check_lang(lang)
    if pdf:
        printing.find_chromium()
    data = load_run(run)
    out_dir = Path(out_dir) if out_dir is not None else data.run_dir
    services = list(dict.fromkeys([*data.services, *map(str, data.facilities["service"].unique())]))
    ctx = _Ctx(data, lang, i18n.service_names(services, lang), title=title)
    themes = mapthemes.build_themes(data, lang, ctx.names)
    fill = next((th for th in themes if th.kind == "fill"), None)
    ctx.map_theme = fill.label if fill else ""
    with runfolder.writer(out_dir, run=data.folder, command="report") as up:
        if map_png:
            with up.file(f"map_{lang}.png") as tmp:
                mapimage.write_map_png(data, tmp, lang=lang, themes=themes)
            ctx.images["map"] = out_dir / f"map_{lang}.png"
        ctx.speed = _curve_speed(data)
        try:
            ctx.curves = coverage_curves(data, speed_m_s=ctx.speed)
        except errors.RunDirectoryError as exc:  # a folder without demand points: no curves, say why
            log.warning("no coverage curves: %s", exc)
        if ctx.curves:
            with up.file(f"report_{lang}_coverage.png") as tmp:
                mapimage.write_coverage_png(ctx.curves, tmp, lang=lang, labels=ctx.names, speed=ctx.speed)
            ctx.images["coverage"] = out_dir / f"report_{lang}_coverage.png"
        if any(g.get("by_district") for g in data.goals):
            with up.file(f"report_{lang}_districts.png") as tmp:
                if mapimage.write_district_png(data.goals, tmp, lang=lang) is not None:
                    ctx.images["districts"] = out_dir / f"report_{lang}_districts.png"
        blocks = report_blocks(ctx)
        html_path = up.write_text(f"report_{lang}.html", to_html(blocks, lang=lang, images=ctx.images))
        md_path = up.write_text(f"report_{lang}.md", to_markdown(blocks, images=ctx.images))
        files = ReportFiles(html_path, md_path, dict(ctx.images))
        if docx:
            head = blocks[0][1]
            with up.file(f"report_{lang}.docx") as tmp:
                wordreport.to_docx(blocks, lang=lang, images=ctx.images, out=tmp, doc_date=head.run_date or head.data_date)
            files.docx = out_dir / f"report_{lang}.docx"
        if pdf:
            with up.file(f"report_{lang}.pdf") as tmp:
                printing.write_pdf(html_path, tmp, lang=lang)
            files.pdf = out_dir / f"report_{lang}.pdf"
    log.info("report %s (%d KB), %s", html_path, html_path.stat().st_size // 1024, md_path)
    return files

