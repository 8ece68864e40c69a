"""The map's headline: the place, the date and one line per goal with a coloured verdict badge and its main caveat.

The panel is HTML built here with every text escaped (:func:`html.escape`):
names come from planners' files and must never reach the page as markup.
It is written into the page as it is (``maps._Raw``), never through a template.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from ..core import palette
from . import headline as headline_mod
from . import i18n
from .rundata import RunData

__all__ = ["GoalLine", "Headline", "headline", "headline_html", "map_title"]

#: verdict statuses of goals.json with a badge of their own (others: "undefined")
STATUSES = ("pass", "fail", "incomplete_data", "undefined")


@dataclass(frozen=True)
class GoalLine:
    """One goal of the headline (plain text, not escaped)."""

    name: str
    status: str
    badge: str
    color: str
    share: str
    caveat: str


@dataclass(frozen=True)
class Headline:
    """The headline of a map: title, date (ISO) and goal lines."""

    title: str
    date: str
    goals: tuple[GoalLine, ...]


def map_title(data: RunData, title: str | None = None) -> str:
    """The place the map shows: as the report names it (:func:`~accessibility.briefing.headline.place_name`), else the run folder's name.

    Parameters
    ----------
    data
        The run.
    title
        A title given by the user (``map --title``), used as it is.
    """
    return headline_mod.place_name(data, title=title) or data.run_dir.name


def _date(data: RunData) -> str:
    """The run's date, as the report gives it (when it wrote its verdicts; never the clock, so a rewritten map reads the same)."""
    return headline_mod.run_date(data) or ""


def headline(data: RunData, *, lang: str, title: str | None = None) -> Headline:
    """The headline of ``data``'s map in ``lang`` (see :func:`map_title` for the title)."""
    colors = palette.load().verdict_colors
    lines = []
    for g in data.goals:
        status = str(g.get("status")) if g.get("status") in STATUSES else "undefined"
        name = str(g.get("name_zh") if lang == "zh" else g.get("name_en")) or str(g["id"])
        share = i18n.pct(g.get("share"), lang)
        targets = g.get("targets") or []
        if targets:
            share = i18n.text("headline_share", lang, share=share, target=f"{float(targets[0]['share']):.0%}")
        caveat = (g.get("main_caveat") or {}).get(lang) or ""
        lines.append(GoalLine(name, status, i18n.text(f"badge_{status}", lang), colors[status], share, str(caveat)))
    return Headline(map_title(data, title), _date(data), tuple(lines))


def headline_html(h: Headline, lang: str) -> str:
    """The headline panel as HTML (every text escaped; colours come from the validated palette)."""
    e = html.escape
    rows = []
    for g in h.goals:
        caveat = f'<div class="acc-goal-caveat">{e(g.caveat)}</div>' if g.caveat else ""
        rows.append(
            f'<li class="acc-goal acc-goal-{e(g.status)}"><span class="acc-badge acc-badge-{e(g.status)}" style="background:{e(g.color)}">{e(g.badge)}</span>'
            f'<span class="acc-goal-text"><span class="acc-goal-name">{e(g.name)}</span><span class="acc-goal-share">{e(g.share)}</span>{caveat}</span></li>'
        )
    goals = f'<ul class="acc-goals">{"".join(rows)}</ul>' if rows else ""
    date = f'<div class="acc-date">{e(i18n.text("headline_date", lang, date=h.date))}</div>' if h.date else ""
    return f'<div class="acc-headline" role="banner"><div class="acc-title">{e(h.title)}</div>{date}{goals}</div>'
