"""The Chinese text of the run's notes, by note code: one catalogue for every note the package makes.

Many notes are made deep in the readers as English sentences (a file's name,
counts and column names filled in), and carry no Chinese text. This catalogue
gives each note code its Chinese: a list of message patterns (regular
expressions whose named groups keep the file names, numbers and ids) with a
Chinese template each, and a general Chinese sentence per code for a message
no pattern knows (it names the code and the file, and sends the reader to the
English outputs for the detail). So a Chinese page never shows an English
sentence, and a note written in Chinese where it is made (``message_zh``)
keeps that text (:meth:`accessibility.core.notes.Note.text`).

Hand-written: the messages are the package's own, in a fixed wording, so a
table of their patterns is all that is needed (a translation library would
need the network or a model).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["GENERIC_ZH", "PATTERNS", "facility_zh", "source_zh", "zh_text"]

_WORDS_ZH = {
    "total": "常住",
    "older": "老年",
    "study_area": "研究范围",
    "main_urban_area": "主城区",
    "the study area": "研究范围",
    "the main urban area": "主城区",
    "walk": "步行",
    "drive": "驾车",
    "bike": "骑行",
    "boundary": "边界",
    "districts": "行政区",
    "zones": "人口分区",
    "main urban area": "主城区",
    "facilities": "设施",
    "percent": "百分数",
    "fractions": "小数",
    "merge": "合并",
    "replace": "替换",
    "complement": "补充",
}


_SEPS = {"comma": "逗号", "tab": "制表符", "semicolon": "分号", "bar": "竖线"}


def _w(value: str) -> str:
    """A fixed English word of a message (a population group, an area, a mode) in Chinese; others as they are."""
    return _WORDS_ZH.get(value, value)


_Rule = tuple[re.Pattern[str], str | Callable[[dict[str, str]], str]]


def _r(pattern: str, zh: str | Callable[[dict[str, str]], str]) -> _Rule:
    return re.compile(pattern, re.DOTALL), zh


def facility_zh(name: str, *, quote: bool = True) -> str:
    """“幼儿园/托育”设施, but “文化设施” and “养老机构” as they are (``quote``: in quotation marks)."""
    q = f"“{name}”" if quote else name
    return q if name.endswith(("设施", "机构", "场所")) else f"{q}设施"


def _source(d: dict[str, str]) -> str:
    return source_zh(d["source"])


#: Message patterns per note code (``"*"``: tried for every code), each with its Chinese template.
#: A template's ``{name}`` takes the pattern's group; ``{name!w}``-like words go through :func:`_w` in a callable.
PATTERNS: dict[str, list[_Rule]] = {
    "facilities.none": [
        _r(r"no usable '(?P<key>[^']+)' facility in the input", lambda d: f"输入数据中没有可用的{facility_zh(d.get('service_zh') or d['key'])}：该项服务无人能被覆盖。这既可能是设施缺失，也可能是数据缺失；请补充规划部门自己的该类设施清单。"),
    ],
    "population.none": [
        _r(r"no (?P<pop>\w+) population inside the goal's area \((?P<area>[^)]+)\)",
           lambda d: f"目标范围（{_w(d['area'])}）内没有{_w(d['pop'])}人口，覆盖率无法计算"),
    ],
    "population.estimate": [
        _r(r"population is an ESTIMATE \((?P<source>.*)\)$", lambda d: f"人口为估算值（{_source(d)}）"),
    ],
    "population.street_fallback": [
        _r(r"population is a rough ESTIMATE from street length \((?P<source>.*)\)$", lambda d: f"人口按道路长度粗略估算（{_source(d)}）"),
    ],
    "area.main_urban_missing": [_r(r"main urban area: not given", "未给出主城区范围，使用整个研究范围")],
    "area.default": [_r(r"study area: convex hull of the street network", "研究范围：路网的凸包（未给出 --boundary）")],
    "network.pieces_dropped": [
        _r(r"(?P<mode>\w+) network: kept the largest connected part; dropped (?P<nodes>\d+) nodes, (?P<km>[\d.,]+) km \((?P<pct>[\d.]+%) of street length\) "
           r"in (?P<pieces>\d+) detached pieces",
           lambda d: f"{_w(d['mode'])}路网：保留最大连通部分；去除了{d['pieces']}个孤立片段中的{d['nodes']}个节点、{d['km']} km 道路（占道路总长的{d['pct']}）"),
    ],
    "facilities.far": [
        _r(r"(?P<n>\d+) facilities lie more than (?P<m>[\d.]+) m from any street",
           "{n}处设施距最近道路超过 {m} 米，未纳入分析（见 results.gpkg 中的 facilities_rejected 图层）"),
    ],
    "population.far_from_streets": [
        _r(r"(?P<people>[\d,]+) residents \((?P<pct>[\d.]+%)\) live more than (?P<m>[\d.]+) m from any mapped street",
           "{people}名居民（{pct}）住在距已测绘道路超过 {m} 米处；其步行到道路的距离已计入，但该处的路网可能缺少小路"),
    ],
    "input.facilities.summary": [
        _r(r"(?P<service>[\w]+): (?P<file>.+?) \((?P<crs>[^,]+), (?P<mode>\w+)\): (?P<rows>\d+) rows, (?P<used>\d+) used, (?P<rejected>\d+) rejected, "
           r"(?P<fixed>\d+) fixed, (?P<empty>\d+) with a value left empty \((?P<rejects>[^)]+)\); (?P<n>\d+) (?P<how>merged with|OSM facilities replaced)",
           lambda d: f"{d['service']}：{d['file']}（{d['crs']}，{_w(d['mode'])}）：共{d['rows']}行，采用{d['used']}行，拒绝{d['rejected']}行（见 {d['rejects']}），"
           f"修正{d['fixed']}行，{d['empty']}行有字段留空；"
           + (f"与OSM设施合并{d['n']}处" if d["how"].startswith("merged") else f"替换OSM设施{d['n']}处") + "（见 merges.csv）"),
    ],
    "*": [
        # the readers' notes on a facility list (facility_files.py, tablefiles.py)
        _r(r"^(?P<file>[^:]+): coordinates converted from (?P<crs>.+?) to WGS-84$", "{file}：坐标已由 {crs} 转换为 WGS-84"),
        _r(r"^(?P<file>[^:]+): coordinates read from the column (?P<col>.+) as 'lon,lat'$", "{file}：坐标从列 {col} 按“经度,纬度”读取"),
        _r(r"^(?P<file>[^:]+): (?P<n>\d+) rows lie outside mainland China, where (?P<crs>.+?) has no offset; not shifted$",
           "{file}：{n}行位于中国大陆以外，{crs} 在那里没有偏移，未做转换"),
        _r(r"^(?P<file>[^:]+): no name column, so the rows cannot be checked", "{file}：没有名称列，无法核对各行是否属于该类服务；请用 --facilities-name-col 指定名称列"),
        _r(r"^(?P<file>[^:]+): column (?P<col>.+?) is named like a (?P<what>.+?) capacity but holds no numbers; ignored$", "{file}：列 {col} 名称像容量列，但不含数字，已忽略"),
        _r(r"^(?P<file>[^:]+): column (?P<col>.+?) is named like a (?P<what>.+?) but holds no coordinates; used (?P<used>.+)$", "{file}：列 {col} 名称像坐标列，但不含坐标；改用 {used}"),
        _r(r"^(?P<file>[^:]+): (?P<n>\d+) (?:rows? )?(?:has|have) (?P<more>more|fewer) fields than the header's (?P<w>\d+) \(lines (?P<lines>[^)]*)\)$",
           lambda d: f"{d['file']}：{d['n']}行的字段数{'多' if d['more'] == 'more' else '少'}于表头的{d['w']}个（第 {d['lines']} 行）"),
        _r(r"^(?P<file>[^:]+): tiers from column (?P<col>.+) \(empty: (?P<tier>[\w]+)\)$", "{file}：类型/等级取自列 {col}（空值按 {tier}）"),
        _r(r"^(?P<file>[^:]+): every row tier (?P<tier>[\w]+)$", "{file}：每行的类型/等级均为 {tier}"),
        _r(r"^(?P<file>[^:]+): tiers from name keywords for (?P<n>\d+) rows, (?P<tier>[\w]+) for the rest$", "{file}：{n}行按名称关键词判断类型/等级，其余按 {tier}"),
        _r(r"^(?P<file>[^:]+) \(sheet (?P<sheet>.+?)\): (?P<n>\d+) cells hold a formula with no saved value \((?P<cells>.+?)\), read as empty",
           "{file}（工作表 {sheet}）：{n}个单元格是没有保存计算结果的公式（{cells}），按空值读取；请在 Excel/WPS 中重新计算并保存"),
        _r(r"^(?P<file>[^:]+): not UTF-8; decoded as GBK \(GB18030\).*, (?P<sep>\w+)-separated$", lambda d: f"{d['file']}：不是 UTF-8 编码，已按 GBK（GB18030，中文 Excel 导出 CSV 的常用编码）读取，{_SEPS.get(d['sep'], d['sep'])}分隔"),
        _r(r"^(?P<file>[^:]+): (?:read|decoded) as (?P<enc>[\w-]+).*, (?P<sep>\w+)-separated$", lambda d: f"{d['file']}：按 {d['enc']} 编码读取，{_SEPS.get(d['sep'], d['sep'])}分隔"),
        # areas (areas.py): boundary, districts, zones, main urban area
        _r(r"^(?P<what>[\w ]+?) (?P<file>\S+) reprojected from (?P<crs>.+?) to WGS-84$", lambda d: f"{_w(d['what'])} {d['file']} 已由 {d['crs']} 重投影为 WGS-84"),
        _r(r"^(?P<what>[\w ]+?) (?P<file>\S+): coordinates taken as (?P<crs>.+?) and converted to WGS-84$", lambda d: f"{_w(d['what'])} {d['file']}：坐标按 {d['crs']} 读取并转换为 WGS-84"),
        _r(r"^(?P<what>[\w ]+?) (?P<file>\S+): the file is in (?P<crs>.+?) \(metres\), so its own CRS is used, not (?P<decl>.+)$",
           lambda d: f"{_w(d['what'])} {d['file']}：文件为 {d['crs']}（米制投影），因此使用文件自带的坐标系，而非 {d['decl']}"),
        _r(r"^(?P<what>[\w ]+?) (?P<file>\S+): declared (?P<decl>.+?) used instead of the file's (?P<crs>.+)$",
           lambda d: f"{_w(d['what'])} {d['file']}：使用声明的 {d['decl']}，而非文件的 {d['crs']}"),
        _r(r"^districts (?P<file>\S+): features sharing an id were merged \((?P<n>\d+) features, (?P<m>\d+) districts\)$", "行政区 {file}：编号相同的要素已合并（{n}个要素，{m}个行政区）"),
        # population (population.py, calibration.py)
        _r(r"^population ESTIMATED from (?P<n>\d+) residential building footprints x levels \(default (?P<lv>[\d.]+) when untagged\) / (?P<fa>[\d.]+) m² per person"
           r"(?:, and (?P<c>\d+) residential compounds drawn as one outline.*)?$",
           lambda d: f"人口为估算值：{d['n']}栋住宅建筑的占地面积 × 层数（无层数标签时取{d['lv']}层）÷ 人均 {d['fa']} m²"
           + (f"；另有{d['c']}个整体绘制的住宅小区（按容积率分摊到小区用地）" if d.get("c") else "")),
        _r(r"^estimate scaled to the given total of (?P<n>[\d,]+) people$", "估算人口已按给定总数 {n} 人缩放"),
        _r(r"^zones: (?P<n>\d+) zones without an older count use (?P<pct>[\d.]+%) of their population$", "人口分区：{n}个分区没有老年人口数，按其人口的{pct}计"),
        _r(r"^zones: (?P<n>[\d,]+) people live in the parts of zones outside the study area", "人口分区：{n}人位于研究范围以外的分区部分（按面积比例），未计入"),
        _r(r"^older-age rasters? (?P<list>.+?) holds? (?P<pct>\d+%) of the people of (?P<total>\S+) inside the study area",
           "老年人口栅格 {list} 在研究范围内的人数占 {total} 的{pct}，远高于全国60岁以上人口比例（2020年为18.7%）；请确认总人口栅格为全年龄人口"),
        # the OSM reader and the road layer (osm.py, roads.py)
        _r(r"^(?P<file>.+?): (?P<n>\d+) tagged node\(s\) with a location outside lon -180..180 / lat -90..90 left out",
           "{file}：{n}个带标签的节点坐标超出经度 -180..180 / 纬度 -90..90，已略去；请在文件中更正"),
        _r(r"^road layer (?P<file>\S+): (?P<n>[\d,]+) (?:features? )?(?P<why>.+?) left out", "道路图层 {file}：{n}条要素有问题，已略去（详见英文版说明）"),
    ],
}

#: A general Chinese sentence per code (or code prefix) for a message no pattern knows; ``{file}`` from the context.
GENERIC_ZH: dict[str, str] = {
    "input.facilities": "设施文件{file}的读取说明（原文为英文，详见英文版）",
    "input.boundary": "研究范围边界文件的读取说明（原文为英文，详见英文版）",
    "input.districts": "行政区文件的读取说明（原文为英文，详见英文版）",
    "input.zones": "人口分区文件的读取说明（原文为英文，详见英文版）",
    "input.main_urban_area": "主城区文件的读取说明（原文为英文，详见英文版）",
    "input": "输入文件的读取说明（原文为英文，详见英文版）",
    "osm.repaired": "OSM 数据读取时的修复说明（原文为英文，详见英文版）",
    "network": "路网读取说明（原文为英文，详见英文版）",
    "population.calibration": "人口校准说明（原文为英文，详见英文版）",
    "population": "人口数据说明（原文为英文，详见英文版）",
    "facilities": "设施数据说明（原文为英文，详见英文版）",
    "datum": "坐标系检查说明（原文为英文，详见英文版）",
    "area": "范围说明（原文为英文，详见英文版）",
    "data": "数据覆盖说明（原文为英文，详见英文版）",
    "siting": "选址说明（原文为英文，详见英文版）",
    "note": "运行说明（原文为英文，详见英文版）",
}

_SOURCES: list[_Rule] = [
    _r(r"^raster: (?P<file>.+)$", "栅格：{file}"),
    _r(r"^zones: (?P<file>.+)$", "人口分区：{file}"),
    _r(r"^(?P<pct>[\d.]+%) of the total \(Zhejiang 2020 census 60\+ share\)$", "总人口的{pct}（浙江省2020年人口普查60岁以上比例）"),
    _r(r"^(?P<pct>[\d.]+%) of the estimated total$", "估算总人口的{pct}"),
    _r(r"^(?P<pct>[\d.]+%) of the total$", "总人口的{pct}"),
    _r(r"^(?P<pct>[\d.]+%) of the zone totals$", "各分区总人口的{pct}"),
    _r(r"^estimate: residential street length \(within a factor of (?P<x>\d+)\)$", "按住宅道路长度估算（误差可达{x}倍）"),
    _r(r"^estimate: residential street length \((?P<u>±?[\d.]+%)\)$", "按住宅道路长度估算（{u}）"),
    _r(r"^estimate: residential street length", "按住宅道路长度估算"),
    _r(r"^estimate: residential buildings$", "按 OSM 住宅建筑估算"),
    _r(r"^estimate", "估算"),
]


def _match(rules: list[_Rule], message: str, context: Mapping[str, Any] | None = None) -> str | None:
    """The Chinese of the first rule whose pattern matches ``message`` (its groups, over the context's text fields)."""
    for pattern, zh in rules:
        m = pattern.search(message)
        if m is not None:
            d = {k: v for k, v in (context or {}).items() if isinstance(v, str)}
            d.update({k: (v if v is not None else "") for k, v in m.groupdict().items()})
            return zh(d) if callable(zh) else zh.format(**d)
    return None


def source_zh(source: str) -> str:
    """A population source as the run records it (``"raster: pop.tif"``, ``"18.7% of the total"``) in Chinese."""
    if not source or not re.search(r"[A-Za-z]{3}", source) or re.fullmatch(r"[\w.\-]+\.\w+", source):
        return source  # empty, already Chinese, or a file name
    return _match(_SOURCES, source) or "见英文版"


def zh_text(message: str, code: str, context: Mapping[str, Any] | None = None) -> str:
    """The Chinese text of a note made without one: its code's pattern, else the code's general sentence.

    Parameters
    ----------
    message
        The note's English message.
    code
        Its code (``"facilities.none"``, ``"input.facilities"``...).
    context
        Its context (``file`` fills the general sentence).

    Returns
    -------
    str
        Chinese text (file names, ids and numbers kept as they are).
    """
    got = _match(PATTERNS.get(code, []), message, context) or _match(PATTERNS["*"], message, context)
    if got is not None:
        return got
    ctx = dict(context or {})
    parts = code.split(".")
    for i in range(len(parts), 0, -1):
        generic = GENERIC_ZH.get(".".join(parts[:i]))
        if generic is not None:
            file = ctx.get("file")
            return generic.format(file=f" {file} " if file else "")
    return GENERIC_ZH["note"]
