"""The walking network's quality, as a report section: what the streets' data can and cannot support.

Reads ``manifest.json``'s ``modes.walk.quality`` (written by
:func:`accessibility.network.barriers.apply_barriers` and the snapping
stage): pieces dropped, dead ends, private and compound ways, gates, barrier
lines, residents and facilities joined around or across barriers, and
streets whose separately mapped sidewalks are missing.
"""

from __future__ import annotations

from typing import Any

__all__ = ["quality_blocks", "quality_rows"]

# (key, Chinese label, English label, format); the facts in the order a reader checks them
_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("pieces_dropped", "未连通而舍弃的路网片段", "Detached pieces dropped", "{:,}"),
    ("km_dropped", "舍弃的道路长度（公里）", "Street length dropped (km)", "{:,.1f}"),
    ("dead_ends", "尽端路节点", "Dead-end nodes", "{:,}"),
    ("private_share_of_length", "内部道路（小区、单位大院）占路网长度", "Private and compound ways, share of length", "{:.1%}"),
    ("walled_compounds", "识别的围墙小区与大院", "Walled compounds found", "{:,}"),
    ("compound_ways_made_private", "视为内部道路的大院路段", "Compound ways made private", "{:,}"),
    ("gates_on_streets", "道路上的出入口（门）", "Gates on streets", "{:,}"),
    ("gates_on_private_ways", "内部道路上的出入口", "Gates on private ways", "{:,}"),
    ("gates_locked", "封闭的门（不可通行）", "Locked gates (not passable)", "{:,}"),
    ("gates_into_compounds", "连接内部道路与公共道路的可通行出入口", "Passable gates joining compound ways to public streets", "{:,}"),
    ("people_around_barrier", "因墙、水体、铁路改接其他道路的居民", "Residents joined around a wall, water or rail", "{:,.0f}"),
    ("people_across_barrier", "只能跨越障碍接入道路的居民", "Residents who reach a street only across a barrier", "{:,.0f}"),
    ("facility_access_points_around_barrier", "改接其他道路的设施接入点", "Facility access points joined around a barrier", "{:,}"),
    ("sidewalk_separate_unmapped", "标注人行道单独绘制但未绘制的道路", "Streets tagged sidewalk=separate without mapped sidewalks", "{:,}"),
)


def quality_rows(manifest: dict[str, Any], lang: str) -> list[list[str]]:
    """The walking network's quality facts as (label, value) rows in ``lang`` (``zh`` or ``en``); facts not recorded are left out."""
    quality = ((manifest.get("modes") or {}).get("walk") or {}).get("quality") or {}
    rows = []
    for key, zh, en, fmt in _ROWS:
        value = quality.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            rows.append([zh if lang == "zh" else en, fmt.format(value)])
    lines = quality.get("barrier_lines") or {}
    if lines:
        names = {"wall": ("墙、围栏", "walls and fences"), "water": ("水体", "water"), "rail": ("铁路", "railways"), "road": ("禁止步行的道路", "roads closed to pedestrians")}
        text = ("、" if lang == "zh" else ", ").join(f"{names.get(k, (k, k))[0 if lang == 'zh' else 1]} {v:,}" for k, v in sorted(lines.items()))
        rows.append(["阻隔步行接入的线（条）" if lang == "zh" else "Lines a walk to the street may not cross", text])
    return rows


def quality_blocks(manifest: dict[str, Any], lang: str) -> list[tuple]:
    """Report blocks (:mod:`accessibility.briefing.report`): a heading, a lead sentence and the table; none when no facts were recorded."""
    rows = quality_rows(manifest, lang)
    if not rows:
        return []
    lead = (
        "小区、单位大院的内部道路只在出行的起点或终点使用，不作为公共道路之间的捷径；居民和设施不跨越墙、水体或铁路接入道路。"
        if lang == "zh" else
        "Ways inside compounds and grounds are walked only at a trip's start or end, never as a short cut between public streets; "
        "residents and facilities never join a street across a wall, water or a railway."
    )
    return [("h2", "步行路网质量" if lang == "zh" else "Walking network quality"), ("p", lead),
            ("table", ["项目" if lang == "zh" else "Fact", "数值" if lang == "zh" else "Value"], rows)]
