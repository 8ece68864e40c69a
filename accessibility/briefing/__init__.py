"""Briefing outputs in one call, and the ``map`` / ``report`` subcommands.

``accessibility map RUN_DIR [--lang zh|en] [--basemap osm|tianditu|amap|none]
[--tianditu-key KEY] [--out FILE.html]`` and ``accessibility report RUN_DIR
[--lang zh|en]``; see :mod:`accessibility.maps` and :mod:`accessibility.report`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .maps import MapFiles
    from ..run.pipeline import RunResult
    from .report import ReportFiles

__all__ = ["add_commands", "write_briefing"]


def write_briefing(
    run_dir: str | Path,
    *,
    result: RunResult | None = None,
    langs: tuple[str, ...] = ("zh",),
    basemap: str = "osm",
    tianditu_key: str | None = None,
) -> list[MapFiles | ReportFiles]:
    """Write the map and the report of a run in each language of ``langs``.

    Parameters
    ----------
    run_dir
        Run folder written by ``accessibility run``.
    result
        The in-memory run, when at hand (nothing is re-read).
    langs
        Languages, ``"zh"`` and/or ``"en"``.
    basemap, tianditu_key
        See :func:`accessibility.maps.write_map`.
    """
    from .maps import write_map
    from .report import write_report

    written: list[MapFiles | ReportFiles] = []
    for lang in langs:
        written.append(write_map(run_dir, result=result, lang=lang, basemap=basemap, tianditu_key=tianditu_key, png=False))
        written.append(write_report(run_dir, result=result, lang=lang))
    return written


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add the ``map`` and ``report`` subcommands to the CLI's subparsers."""
    p_m = sub.add_parser("map", help="interactive map of a run: one self-contained HTML file, embed snippet and PNG")
    p_m.add_argument("run_dir", metavar="RUN_DIR")
    p_m.add_argument("--lang", choices=["zh", "en"], default="zh", help="labels in Chinese (default) or English")
    p_m.add_argument("--basemap", choices=["osm", "tianditu", "amap", "none"], default="osm",
                     help="OpenStreetMap (default), Tianditu (needs a key), AMap/Gaode (overlays shifted to GCJ-02) or none")
    p_m.add_argument("--tianditu-key", metavar="KEY", default=None, help="Tianditu browser key (default: env TIANDITU_KEY)")
    p_m.add_argument("--out", metavar="FILE.html", help="output file (default RUN_DIR/map_<lang>.html)")
    p_m.add_argument("--no-png", action="store_true", help="skip the static PNG")
    p_m.set_defaults(func=_cmd_map)

    p_r = sub.add_parser("report", help="briefing report of a run (HTML and Markdown, with charts and the map picture)")
    p_r.add_argument("run_dir", metavar="RUN_DIR")
    p_r.add_argument("--lang", choices=["zh", "en"], default="zh", help="Chinese (default) or English")
    p_r.add_argument("--out-dir", metavar="DIR", help="output folder (default RUN_DIR)")
    p_r.set_defaults(func=_cmd_report)


def _cmd_map(args: argparse.Namespace) -> int:
    from .maps import write_map

    key = args.tianditu_key or os.environ.get("TIANDITU_KEY")
    if args.out:
        from ..core.fileio import check_output_file

        check_output_file(args.out, what="--out")
    files = write_map(args.run_dir, lang=args.lang, basemap=args.basemap, tianditu_key=key, out=args.out, png=not args.no_png)
    print(f"map: {files.html} ({files.html_bytes / 1e6:.2f} MB, {files.hexagons:,} hexagons, {files.facilities:,} facilities, {files.seconds:.1f} s)")
    for extra in (files.embed, files.png):
        if extra is not None:
            print(f"     {extra}")
    if args.basemap == "tianditu":
        print("note: the Tianditu key is written into the HTML (Tianditu keys are browser keys)", file=sys.stderr)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report

    if args.out_dir and Path(args.out_dir).exists() and not Path(args.out_dir).is_dir():
        from ..errors import InputError

        raise InputError(f"--out-dir {args.out_dir} is a file; give a folder")
    files = write_report(args.run_dir, lang=args.lang, out_dir=args.out_dir)
    print(f"report: {files.html}\n        {files.markdown}")
    for p in files.images.values():
        print(f"        {p}")
    return 0
