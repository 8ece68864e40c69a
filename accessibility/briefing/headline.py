"""The report's first page: the place, the dates and sources of the data, one line per goal with its verdict badge.

:func:`make_headline` reads it off a run (:class:`~accessibility.briefing.rundata.RunData`);
:func:`headline_html` and :func:`headline_markdown` render it. The report
(:mod:`.report`) puts it first, with the run's warnings and the map picture,
and starts the details on a new printed page; the Word report
(:mod:`.wordreport`) turns it into a table.

Nothing here reads the clock: the dates are the OSM file's header timestamp
(else the input file's modification date) and the date the run wrote its
verdicts (``goals.json``), so the same run gives the same report, byte for byte.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..core import palette
from ..core.textsafe import md_escape
from ..readers import extract
from . import i18n
from .rundata import RunData

__all__ = ["GoalLine", "Headline", "data_date", "headline_html", "headline_markdown", "make_headline", "place_name", "run_date"]

log = logging.getLogger(__name__)

#: goal statuses with a badge of their own (others show as "undefined")
STATUSES = ("pass", "fail", "incomplete_data", "undefined")


def badge_colours() -> dict[str, str]:
    """Badge colour per status: the palette's verdict colours (``maps/themes.toml``), as on the map."""
    return dict(palette.load().verdict_colors)

_OSM_SUFFIXES = (".osm.pbf", ".osm.bz2", ".osm.gz", ".osm", ".pbf")


@dataclass(frozen=True)
class GoalLine:
    """One goal of the headline: its share against its (first) target, status and main caveat."""

    goal_id: str
    name: str
    threshold: str
    share: float | None
    target: float | None
    status: str  # pass | fail | incomplete_data | undefined
    caveat: str

    def badge(self, lang: str) -> str:
        """The status word of the badge (``PASS`` / ``达标`` ...)."""
        return i18n.text(f"badge_{self.status}", lang)

    def figures(self, lang: str) -> str:
        """``44.6% covered, target 85.0%``."""
        share = i18n.text("hl_share", lang, share=i18n.pct(self.share, lang))
        target = i18n.text("hl_no_target", lang) if self.target is None else i18n.text("hl_target", lang, target=i18n.pct(self.target, lang))
        return f"{share}，{target}" if lang == "zh" else f"{share}, {target}"


@dataclass(frozen=True)
class Headline:
    """What the first page says."""

    lang: str
    kicker: str
    place: str
    data_date: str | None
    run_date: str | None
    sources: list[str]
    goals: list[GoalLine]
    version: str

    def meta_lines(self) -> list[str]:
        """The dates and the sources, one line each (lines without a date are left out)."""
        t = self.lang
        dates = [i18n.text("hl_data_date", t, date=self.data_date) if self.data_date else "", i18n.text("hl_run_date", t, date=self.run_date) if self.run_date else ""]
        dates.append(i18n.text("generated", t, version=self.version))
        sep = "；" if t == "zh" else "; "
        return [" · ".join(d for d in dates if d), i18n.text("hl_sources", t, sources=sep.join(self.sources))]


def _stem(path: str) -> str:
    name = Path(path).name
    for suffix in _OSM_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return Path(name).stem


def _input_path(manifest: dict, key: str) -> str | None:
    rec = (manifest.get("inputs") or {}).get(key)
    if isinstance(rec, list):
        rec = rec[0] if rec else None
    if isinstance(rec, dict):
        if rec.get("in_memory"):
            return None
        rec = rec.get("path")
    return str(rec) if rec else None


def place_name(data: RunData, *, title: str | None = None) -> str:
    """The place the report is about.

    ``title`` when given; else the place a ``run --place`` downloaded; else
    the name of the single district; else the boundary file's name; else the
    OSM (or network) file's name without its suffixes; else ``""``.
    """
    if title and title.strip():
        return title.strip()
    man = data.manifest
    for given in (man.get("title"), man.get("place")):
        if isinstance(given, str) and given.strip():
            return given.strip()
    names = (man.get("districts") or {}).get("names") if isinstance(man.get("districts"), dict) else None
    if data.districts is not None and len(data.districts) == 1 and "district_name" in data.districts:
        return str(data.districts["district_name"].iloc[0])
    if names and len(names) == 1:
        return str(names[0])
    for key in ("boundary", "osm", "network"):
        path = _input_path(man, key)
        if path:
            return _stem(path)
    return _stem(str(man["osm"])) if man.get("osm") else ""


def _utc_date(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).date().isoformat()


def data_date(data: RunData) -> str | None:
    """The date of the street data: the OSM header's timestamp, else the input file's modification date (UTC), else ``None``."""
    man = data.manifest
    path = _input_path(man, "osm") or (str(man["osm"]) if man.get("osm") else None) or _input_path(man, "network")
    if not path or not Path(path).is_file():
        return None
    if path.lower().endswith(_OSM_SUFFIXES):
        stamp = extract.osm_timestamp(path)
        if stamp:
            return stamp[:10]
    return _utc_date(Path(path).stat().st_mtime)


def run_date(data: RunData) -> str | None:
    """The date (UTC) the run wrote its verdicts: the modification date of its ``goals.json``; ``None`` for a run without a folder."""
    if data.folder is None:
        return None
    goals = Path(data.folder.path) / "goals.json"
    return _utc_date(goals.stat().st_mtime) if goals.is_file() else None


def _sources(data: RunData, lang: str) -> list[str]:
    man = data.manifest
    out = []
    if man.get("osm") or _input_path(man, "osm"):
        out.append(i18n.text("hl_osm", lang))
    pop = data.meta.get("population_source")
    if pop:
        out.append(i18n.text("hl_population", lang, source=i18n.source(str(pop), lang)))
    for key, rec in (man.get("inputs") or {}).items():
        if key in ("osm", "population"):
            continue
        for r in rec if isinstance(rec, list) else [rec]:
            path = r.get("path") if isinstance(r, dict) else r
            if path and not (isinstance(r, dict) and r.get("in_memory")):
                out.append(Path(str(path)).name)
    return out


def _status(g: dict) -> str:
    status = g.get("status")
    if status in STATUSES:
        return str(status)
    return "undefined" if g.get("passed") is None else ("pass" if g["passed"] else "fail")


def make_headline(data: RunData, lang: str, *, title: str | None = None) -> Headline:
    """The first page of the report of ``data`` in ``lang`` (``title`` overrides the place name)."""
    lines = []
    for g in data.goals:
        targets = g.get("targets") or []
        lines.append(GoalLine(
            goal_id=str(g["id"]), name=str(g["name_zh"] if lang == "zh" else g["name_en"]), threshold=i18n.threshold(g.get("threshold", ""), lang),
            share=g.get("share"), target=targets[0].get("share") if targets else None, status=_status(g),
            caveat=str((g.get("main_caveat") or {}).get(lang) or ""),
        ))
    return Headline(
        lang=lang, kicker=i18n.text("report_title", lang), place=place_name(data, title=title), data_date=data_date(data), run_date=run_date(data),
        sources=_sources(data, lang), goals=lines, version=str((data.manifest.get("versions") or {}).get("accessibility", "")),
    )


_CSS = """
.hl-kicker{margin:0;color:#555;font-size:1.05em;letter-spacing:.05em}
.hl-meta{margin:.15em 0;color:#444;font-size:.9em}
ul.hl-goals{list-style:none;padding:0;margin:.8em 0}
li.hl-goal{display:grid;grid-template-columns:9.5em 1fr;column-gap:.8em;align-items:start;padding:.35em 0;border-bottom:1px solid #e3e3e3;break-inside:avoid}
.hl-badge{display:inline-block;white-space:nowrap;text-align:center;min-width:8.5em;padding:.15em .4em;border-radius:3px;color:#fff;font-weight:700;
font-size:.85em;letter-spacing:.03em;-webkit-print-color-adjust:exact;print-color-adjust:exact}
/*badges*/
.hl-name{font-weight:700}.hl-figures{white-space:nowrap;margin-left:.6em}.hl-caveat{display:block;color:#555;font-size:.88em}
figure.hl-map{margin:.6em 0 0;break-inside:avoid}figure.hl-map img{max-height:115mm;width:auto;max-width:100%}
figure.hl-map figcaption{font-size:.85em;color:#555}
.page-break{break-after:page;page-break-after:always;height:0}
"""


def headline_css() -> str:
    """The headline's CSS (badge colours from the palette; fixed width, never wrapped, printed with their background)."""
    colours = badge_colours()
    return _CSS.replace("/*badges*/", "".join(f".hl-{k}{{background:{colours[k]}}}" for k in STATUSES))


def headline_html(h: Headline) -> str:
    """The headline as HTML (the title, dates, sources and one line per goal with its badge)."""
    e = html.escape
    out = [f'<header class="headline"><p class="hl-kicker">{e(h.kicker)}</p>', f"<h1>{e(h.place or h.kicker)}</h1>"]
    out += [f'<p class="hl-meta">{e(line)}</p>' for line in h.meta_lines()]
    out.append('<ul class="hl-goals">')
    for g in h.goals:
        caveat = f'<span class="hl-caveat">{e(g.caveat)}</span>' if g.caveat else ""
        out.append(
            f'<li class="hl-goal" data-goal="{e(g.goal_id, quote=True)}" data-status="{e(g.status, quote=True)}">'
            f'<span class="hl-badge hl-{e(g.status)}">{e(g.badge(h.lang))}</span>'
            f'<span><span class="hl-name">{e(g.name)}</span><span class="hl-figures">{e(g.figures(h.lang))}</span>{caveat}</span></li>'
        )
    out.append("</ul></header>")
    return "\n".join(out)


def headline_markdown(h: Headline) -> list[str]:
    """The headline as Markdown lines (the badge in bold capitals)."""
    out = [f"*{md_escape(h.kicker)}*", "", f"# {md_escape(h.place or h.kicker)}", ""]
    for line in h.meta_lines():
        out += [md_escape(line), ""]
    for g in h.goals:
        caveat = f" — {md_escape(g.caveat)}" if g.caveat else ""
        out.append(f"- **{md_escape(g.badge(h.lang))}** {md_escape(g.name)}: {md_escape(g.figures(h.lang))}{caveat}")
    out.append("")
    return out
