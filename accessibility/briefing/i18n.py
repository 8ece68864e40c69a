"""Labels of the briefing outputs (map, PNG, report) in Chinese and English.

Chinese terms follow the planners' own vocabulary (``../shared/POLICY.md``):
15分钟公共服务圈, 养老机构1公里覆盖, 10分钟健身圈, 主城区, 公园绿地 ... Service
and goal names come from the run (the layer and goal TOMLs); everything else
is here, so a wording change happens once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from .. import errors

__all__ = ["LANGS", "check_lang", "input_kind", "pct", "people", "service_names", "source", "target_label", "text", "threshold", "tier_label"]

#: supported languages
LANGS = ("zh", "en")

_TEXT: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "map_title": ("公共服务可达性地图", "Public service accessibility map"),
    "basemap_osm": ("OpenStreetMap 底图", "OpenStreetMap"),
    "basemap_tianditu": ("天地图", "Tianditu"),
    "basemap_amap": ("高德地图", "AMap (Gaode)"),
    "basemap_none": ("无底图", "No basemap"),
    "theme_minutes": ("{service}：步行至最近设施（分钟）", "{service}: minutes' walk to the nearest facility"),
    "theme_goal": ("{goal}：各网格达标情况", "{goal}: status per hexagon"),
    "theme_uncovered": ("{goal}：未覆盖人口", "{goal}: uncovered people"),
    "layer_facilities": ("设施：{service}", "Facilities: {service}"),
    "layer_rejected": ("未纳入分析的设施（距道路超过{m}米）", "Facilities not used (more than {m} m from a street)"),
    "study_area": ("研究范围", "Study area"),
    "main_urban_area": ("主城区", "Main urban area"),
    "districts": ("行政区/街道", "Districts"),
    "unit_min": ("分钟", "min"),
    "unit_people": ("人", "people"),
    "legend_minutes": ("步行时间（分钟，{speed} 米/秒）", "Walking time (minutes at {speed} m/s)"),
    "legend_unreachable": ("不可达或无设施", "not reachable / no facility"),
    "legend_goal": ("覆盖人口比例（目标 {target}）", "Share of residents covered (target {target})"),
    "legend_met": ("达标（≥ {target}）", "met (≥ {target})"),
    "legend_uncovered": ("未覆盖人口（人）", "Uncovered people"),
    "legend_facilities": ("设施", "Facilities"),
    "legend_outlines": ("边界", "Outlines"),
    "field_name": ("名称", "Name"),
    "field_service": ("服务类型", "Service"),
    "field_tier": ("类型/等级", "Type / tier"),
    "field_beds": ("床位（张）", "Beds"),
    "field_places": ("托位/学位（个）", "Places"),
    "field_area_m2": ("面积（平方米）", "Area (m²)"),
    "field_floor_area_m2": ("建筑面积（平方米）", "Floor area (m²)"),
    "field_snap": ("距路网距离（米）", "Distance to the street network (m)"),
    "field_source": ("数据来源", "Source"),
    "field_address": ("地址", "Address"),
    "field_status": ("状态", "Status"),
    "unnamed": ("（未命名）", "(unnamed)"),
    "hex_pop": ("常住人口（估）", "Residents"),
    "hex_older": ("老年人口", "Older residents"),
    "hex_share": ("覆盖比例", "share covered"),
    "hex_uncovered": ("未覆盖人口", "uncovered people"),
    "hex_minutes": ("{service}（分钟）", "{service} (min)"),
    "not_reachable": ("不可达", "not reachable"),
    "tiles_offline": ("底图无法加载（可能处于离线状态），已改为无底图显示。", "Basemap tiles could not be loaded (offline?); showing the map without a basemap."),
    "osm_attribution": ("数据 © OpenStreetMap 贡献者（ODbL）", "Data © OpenStreetMap contributors (ODbL)"),
    "png_note": ("图中坐标为 WGS-84，未叠加底图。", "WGS-84 coordinates, no basemap."),
    "north": ("北", "N"),
    # report
    "report_title": ("公共服务可达性评估简报", "Public service accessibility briefing"),
    "generated": ("由 accessibility {version} 生成", "Made with accessibility {version}"),
    "summary": ("结论摘要", "Summary"),
    "goal": ("目标", "Goal"),
    "threshold": ("标准", "Threshold"),
    "population_group": ("人群", "Population"),
    "area": ("范围", "Area"),
    "covered": ("已覆盖人口", "Covered"),
    "eligible": ("应覆盖人口", "Eligible"),
    "uncovered": ("未覆盖人口", "Uncovered"),
    "share": ("覆盖率", "Share"),
    "target": ("目标值", "Target"),
    "verdict": ("结论", "Verdict"),
    "pass": ("达标", "PASS"),
    "fail": ("未达标", "FAIL"),
    "na": ("无法判断", "n/a"),
    "incomplete_data": ("数据不全，不作判定", "INCOMPLETE DATA"),
    "met": ("达到", "met"),
    "not_met": ("未达到", "not met"),
    "pop_total": ("常住人口", "residents"),
    "pop_older": ("老年人", "older people"),
    "area_study_area": ("研究范围", "study area"),
    "area_main_urban_area": ("主城区", "main urban area"),
    "combine_all": ("全部服务均可达", "all services reached"),
    "combine_any": ("任一服务可达", "any service reached"),
    "estimate_warning": (
        "人口为估算值（{source}），覆盖率仅供参考。",
        "Population is an ESTIMATE ({source}); treat the shares as indicative.",
    ),
    "covered_sentence": (
        "{covered} / {eligible} 名{group}已覆盖（{share}），未覆盖 {uncovered} 人。",
        "{covered} of {eligible} {group} are covered ({share}); {uncovered} are not.",
    ),
    "target_line": ("目标 {share}（{label}）：{met}", "Target {share} ({label}): {met}"),
    "per_service": ("分项服务覆盖率", "Share reaching each service"),
    "straight_line": ("直线距离（对照）：{share}", "Straight-line distance (for comparison): {share}"),
    "warnings": ("提示", "Warnings"),
    "worst_hexes": ("未覆盖人口最多的网格", "Hexagons with the most uncovered people"),
    "by_district": ("分区结果", "By district"),
    "district": ("分区", "District"),
    "no_residents": ("无居民、未列入图表：{names}", "No residents, not charted: {names}"),
    "outside_districts": ("（分区范围以外）", "(outside the districts)"),
    "data_scope": ("数据", "Data"),
    "scope_complete": ("完整", "complete"),
    "scope_partial": ("部分数据（{share}）", "partial data ({share})"),
    "scope_outside": ("不在数据范围内", "outside the data"),
    "coverage_warning": ("数据不完整：{message}；该区域的目标不判定达标与否。", "INCOMPLETE DATA: {message}; no goal on it is passed or failed."),
    "coverage_curve": ("覆盖曲线", "Coverage curves"),
    "coverage_curve_caption": (
        "t 分钟步行范围内可到达最近设施的人口比例（全部常住人口，步速 {speed} 米/秒，按路网距离）。",
        "Share of all residents within t minutes' walk of the nearest facility (network distance at {speed} m/s).",
    ),
    "minutes_axis": ("步行时间 t（分钟）", "Walking time t (minutes)"),
    "share_axis": ("人口比例", "Share of residents"),
    "within": ("{t} 分钟内", "within {t} min"),
    "service": ("服务", "Service"),
    "facilities_count": ("设施数量", "Facilities"),
    "map_section": ("地图", "Map"),
    "map_caption": (
        "颜色：{theme}。交互地图见 {html}。",
        "Colour: {theme}. Interactive map: {html}.",
    ),
    "sources": ("数据来源", "Data sources"),
    "assumptions": ("假设与参数", "Assumptions"),
    "notes": ("运行说明", "Notes from the run"),
    "facilities_appendix": ("附录：设施清单", "Appendix: facilities"),
    "facilities_more": ("另有 {n} 处设施未列出，完整清单见 results.gpkg。", "{n} more facilities are not listed; see results.gpkg."),
    "rejected_appendix": ("未纳入分析的设施", "Facilities not used"),
    "src_osm": ("OpenStreetMap 数据 © OpenStreetMap 贡献者，ODbL 许可：{file}", "OpenStreetMap data © OpenStreetMap contributors, ODbL: {file}"),
    "src_population": ("人口：{source}", "Population: {source}"),
    "src_older": ("老年人口：{source}", "Older population: {source}"),
    "src_worldpop": ("WorldPop 人口栅格，CC BY 4.0：{file}", "WorldPop population raster, CC BY 4.0: {file}"),
    "src_file": ("{what}：{file}", "{what}: {file}"),
    "src_basemap": ("底图：{name}", "Basemap: {name}"),
    "as_speed": ("{goal}：{threshold}，步速 {speed} 米/秒（{dist} 米），人群：{group}，范围：{area}", "{goal}: {threshold}, walking at {speed} m/s ({dist} m), {group}, {area}"),
    "as_density": ("密度规则：人口密度 > {density}/平方公里 的地区为 {dist} 米", "density rule: {dist} m where density > {density}/km²"),
    "as_walker": (
        "{goal}：步行者类型“{name}”，平地步速 {speed} 米/秒；坡度：{slope}；台阶耗时 ×{steps}；每次穿越主干道等候 {delay} 秒；依据：{source}",
        '{goal}: walker profile "{name}", {speed} m/s on the flat; slope: {slope}; steps take {steps} times as long; {delay} s of waiting per crossing of a major road; source: {source}',
    ),
    "as_walker_dem": ("按高程数据 {dem} 计（Tobler 步行函数）", "from the elevation raster {dem} (Tobler's hiking function)"),
    "as_walker_flat": ("未提供高程数据，按平地计", "no elevation raster given, times are on the flat"),
    "as_walker_no_slope": ("该类型不计坡度", "not counted by this profile"),
    "as_walker_metric": ("距离目标按路网距离判断，步行者类型只用于换算时间", "a distance goal is judged in network metres; the profile only converts them into reported times"),
    "as_walker_source_file": ("见 goals.toml", "see goals.toml"),
    "as_snap": ("距道路超过 {m} 米的设施不纳入分析", "Facilities more than {m} m from any street are not used"),
    "as_resolution": ("H3 六边形网格分辨率 {res}（约 {km2} 平方公里）", "H3 hexagon resolution {res} (about {km2} km² each)"),
    "as_coverage": ("覆盖按每个居民点（人口栅格像元或建筑）判断，网格仅用于展示", "Coverage is decided per resident point (raster pixel or building); hexagons only show it"),
    "as_network": ("步行路网：OpenStreetMap 道路，保留最大连通部分", "Walking network: OpenStreetMap streets, largest connected part"),
    "as_older_share": ("无老年人口栅格时，老年人口按总人口的 {share} 计", "Without an older-age raster, older people are {share} of the total"),
    "no_facility": ("数据中无该类设施", "no facility in the data"),
    # report headline
    "hl_data_date": ("数据日期：{date}", "Data as of {date}"),
    "hl_run_date": ("分析日期：{date}", "Analysed on {date}"),
    "hl_sources": ("数据来源：{sources}", "Data sources: {sources}"),
    "hl_osm": ("OpenStreetMap（© OpenStreetMap 贡献者，ODbL）", "OpenStreetMap (© OpenStreetMap contributors, ODbL)"),
    "hl_population": ("人口：{source}", "population: {source}"),
    "hl_share": ("覆盖率 {share}", "{share} covered"),
    "hl_target": ("目标 {target}", "target {target}"),
    "hl_no_target": ("无目标值", "no target"),
    "hl_status": ("结论", "Status"),
    "hl_caveat": ("主要说明", "Main caveat"),
    "hl_page": ("第 {page} 页 / 共 {total} 页", "Page {page} of {total}"),
    # (the badge words badge_<status> are shared with the map's headline, below)
}

# map headline: the map's title panel, verdict badges and suggested-site layers (accessibility.briefing.maps)
_TEXT.update({
    "badge_pass": ("达标", "PASS"),
    "badge_fail": ("未达标", "FAIL"),
    "badge_incomplete_data": ("数据不全", "INCOMPLETE DATA"),
    "badge_undefined": ("无法判定", "n/a"),
    "headline_date": ("日期：{date}", "Date: {date}"),
    "headline_share": ("{share}（目标 {target}）", "{share} (target {target})"),
    "headline_no_target": ("{share}", "{share}"),
    "suggested_layer": ("建议新址（{goal}）", "Suggested sites ({goal})"),
    "suggested_layer_set": ("建议新址（{goal}，第 {n} 组）", "Suggested sites ({goal}, set {n})"),
    "suggested_site": ("建议新址 #{rank}", "Suggested site #{rank}"),
    "suggested_goal": ("目标", "Goal"),
    "suggested_gain": ("新增覆盖人口", "Newly covered people"),
    "suggested_after": ("建成后覆盖率", "Share after"),
})

_TIERS: dict[str, tuple[str, str]] = {
    "care_home": ("养老机构", "care home"),
    "day_care": ("日间照料中心", "day-care centre"),
    "kindergarten": ("幼儿园", "kindergarten"),
    "childcare": ("托育机构", "childcare"),
    "hospital": ("医院", "hospital"),
    "clinic": ("社区卫生服务中心/诊所", "clinic"),
    "venue": ("体育场馆", "sports venue"),
    "community": ("社区健身设施", "community sports"),
    "park": ("公园", "park"),
    "garden": ("游园/绿地", "garden"),
    "library": ("图书馆", "library"),
    "cultural_centre": ("文化馆/文化中心", "cultural centre"),
    "community_culture": ("文化站/文化礼堂", "community cultural station"),
    "museum": ("博物馆", "museum"),
    "default": ("一般", "default"),
}


_INPUT_KINDS: dict[str, tuple[str, str]] = {
    "boundary": ("研究范围边界", "boundary"),
    "districts": ("行政区", "districts"),
    "zones": ("人口分区", "zones"),
    "main_urban_area": ("主城区", "main urban area"),
    "facilities": ("设施清单", "facilities"),
    "facility_files": ("设施清单", "facility files"),
    "older_population": ("老年人口", "older population"),
    "district_population": ("分区人口", "district population"),
    "network": ("道路图层", "road layer"),
    "census": ("普查数据", "census"),
    "goals": ("目标配置文件", "goals file"),
    "provisions": ("配置指标所在的目标配置文件", "goals file of the provision indicators"),
}


def input_kind(key: str, lang: str) -> str:
    """What an input file of the manifest is (``"districts"`` -> 行政区 / districts)."""
    pair = _INPUT_KINDS.get(key)
    return (pair[0] if lang == "zh" else pair[1]) if pair else key.replace("_", " ")


def source(text_: str, lang: str) -> str:
    """A population source as the run records it (English) in ``lang`` (:func:`~accessibility.core.notetext.source_zh`)."""
    from ..core import notetext

    return notetext.source_zh(text_) if lang == "zh" else text_


def threshold(value: object, lang: str) -> str:
    """A goal's threshold as ``goals.json`` writes it (``"15 min"``, ``"1000 m"``) in ``lang`` (15分钟, 1000米)."""
    text_ = str(value or "")
    if lang != "zh":
        return text_
    return re.sub(r"^([\d.,]+) (min|m|km)$", lambda m: m.group(1) + {"min": "分钟", "m": "米", "km": "公里"}[m.group(2)], text_)


def target_label(target: Mapping[str, object], lang: str) -> str:
    """A target record of ``goals.json`` labelled in ``lang`` (the share alone where no Chinese label is written)."""
    if lang != "zh":
        return str(target.get("label") or "")
    share = target.get("share")
    return str(target.get("label_zh") or (f"{share:.0%}" if isinstance(share, (int, float)) else ""))


def check_lang(lang: str) -> str:
    """Return ``lang`` if supported, else raise :class:`~accessibility.errors.InputError`."""
    if lang not in LANGS:
        raise errors.InputError(f"language must be one of {LANGS}, got {lang!r}")
    return lang


def text(key: str, lang: str, **fields: object) -> str:
    """The label ``key`` in ``lang``, with ``{fields}`` filled in (values are not escaped)."""
    zh, en = _TEXT[key]
    template = zh if lang == "zh" else en
    return template.format(**fields) if fields else template


def tier_label(tier: object, lang: str) -> str:
    """Readable tier name; unknown tiers are shown as given."""
    if tier is None or (isinstance(tier, float) and math.isnan(tier)):
        return ""
    pair = _TIERS.get(str(tier))
    return str(tier) if pair is None else (pair[0] if lang == "zh" else pair[1])


def service_names(services: list[str], lang: str, layers_dir: str | None = None) -> dict[str, str]:
    """Display name of each service id, from the layer TOMLs (the id when unknown)."""
    from .. import config

    try:
        layers: Mapping[str, config.ServiceLayer] = config.load_services(layers_dir)
    except (errors.AccessibilityError, OSError):
        layers = {}
    return {s: (layers[s].name(lang) if s in layers else s.replace("_", " ")) for s in services}


def pct(share: float | None, lang: str = "en") -> str:
    """A share as a percentage with one decimal (``"44.6%"``); ``n/a`` for ``None``."""
    return text("na", lang) if share is None else f"{share:.1%}"


def people(value: float | None) -> str:
    """A head count with thousands separators (``"266,174"``)."""
    return "-" if value is None else f"{value:,.0f}"
