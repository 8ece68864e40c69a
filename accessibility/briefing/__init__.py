"""Briefing outputs of a finished run: the interactive map (:mod:`.maps`), its picture (:mod:`.mapimage`),
the report (:mod:`.report`), in Chinese and English (:mod:`.i18n`).

:func:`write_briefing` writes the map and the report in each language at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..run.result import RunResult

if TYPE_CHECKING:
    from .maps import MapFiles
    from .report import ReportFiles

__all__ = ["write_briefing"]


def write_briefing(
    run: RunResult | str | Path,
    *,
    langs: tuple[str, ...] = ("zh",),
    basemap: str = "none",
    tianditu_key: str | None = None,
) -> list[MapFiles | ReportFiles]:
    """Write the map and the report of a run in each language of ``langs``, into its folder.

    Parameters
    ----------
    run
        A run written to a folder (e.g. :func:`accessibility.run`'s result with
        ``out=``), or that folder.
    langs
        Languages, ``"zh"`` and/or ``"en"``.
    basemap, tianditu_key
        See :func:`accessibility.briefing.maps.write_map`.

    Returns
    -------
    list
        The :class:`~accessibility.briefing.maps.MapFiles` and
        :class:`~accessibility.briefing.report.ReportFiles` written.
    """
    from ..run.read import as_result
    from .maps import write_map
    from .report import write_report

    result = as_result(run)
    written: list[MapFiles | ReportFiles] = []
    for lang in langs:
        written.append(write_map(result, lang=lang, basemap=basemap, tianditu_key=tianditu_key, png=False))
        written.append(write_report(result, lang=lang))
    return written
