"""Re-write the briefing files a run folder already holds, after a tool added to the run (``suggest``, ``provision``).

The map is written again with the basemap and title it was made with (kept
in its data block, ``settings``); its picture and embed snippet only where
they were there. Reports are written again where they were. Nothing is
written for a language whose map or report the folder does not hold.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from .. import errors
from . import i18n

__all__ = ["map_settings", "refresh_briefing"]

log = logging.getLogger(__name__)

_DATA_BLOCK = re.compile(r'<script type="application/json" id="acc-map-data">(.*?)</script>', re.DOTALL)


def map_settings(html_path: str | Path) -> dict:
    """``{"basemap", "title", "key"}`` a map file was written with (``{}`` for a map of an earlier version or not a map)."""
    try:
        m = _DATA_BLOCK.search(Path(html_path).read_text(encoding="utf-8"))
        settings = json.loads(m.group(1)).get("settings") if m else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError) as exc:
        log.warning("%s: cannot read the map's settings (%s); writing it with the defaults", html_path, exc)
        return {}
    return settings if isinstance(settings, dict) else {}


def refresh_briefing(run_dir: str | Path) -> list[Path]:
    """Write again the ``map_<lang>.html`` and ``report_<lang>.html`` files ``run_dir`` holds; the paths written.

    Parameters
    ----------
    run_dir
        A run folder, e.g. one ``accessibility suggest`` just wrote into.
    """
    from ..run.read import as_result
    from .maps import write_map
    from .report import write_report

    folder = Path(run_dir)
    langs_map = [lang for lang in i18n.LANGS if (folder / f"map_{lang}.html").is_file()]
    langs_report = [lang for lang in i18n.LANGS if (folder / f"report_{lang}.html").is_file()]
    if not langs_map and not langs_report:
        return []
    result = as_result(folder)
    written: list[Path] = []
    for lang in langs_map:
        html_path = folder / f"map_{lang}.html"
        s = map_settings(html_path)
        try:
            files = write_map(result, lang=lang, basemap=str(s.get("basemap") or "none"), tianditu_key=s.get("key"), title=s.get("title"),
                              png=(folder / f"map_{lang}.png").is_file(), embed=(folder / f"map_{lang}_embed.html").is_file())
        except errors.InputError as exc:  # e.g. the basemap's key is gone from the environment: keep the map, without tiles
            log.warning("%s: %s; writing it without a basemap", html_path, exc)
            files = write_map(result, lang=lang, basemap="none", title=s.get("title"), png=(folder / f"map_{lang}.png").is_file())
        written.append(files.html)
    written += [write_report(result, lang=lang).html for lang in langs_report]
    return written
