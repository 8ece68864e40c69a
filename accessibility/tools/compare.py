"""Two runs side by side: what a change (new sites, a new facility list) does to every goal.

:func:`compare_runs` takes a run before and a run after a change and gives,
per goal, the share and the people covered before and after, the people
newly covered (gained) and no longer covered (lost); per district when both
runs have districts; and the hexagons whose coverage changed.

Residents are matched by position. When both runs place the same people at
the same points (the same population source and study area), gained and lost
are counted resident by resident. Otherwise the runs' demand points differ (a
new raster, another estimate), which the comparison says, and gained and
lost are counted per hexagon (the net change of each hexagon, so a hexagon
where some people gain and others lose counts only its balance).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..core import columns
from ..core.textsafe import md_escape
from ..run import folder as runfolder
from ..run.read import as_result
from ..run.result import RunResult

__all__ = ["Comparison", "compare_runs", "write_comparison"]

log = logging.getLogger(__name__)

#: a hexagon whose covered people change by less than this has not changed (float noise)
_EPS_PEOPLE = 1e-6
#: positions closer than this (degrees, ~1 cm) are the same resident point
_SAME_DEG = 1e-7


@dataclass
class Comparison:
    """What changed between two runs.

    Attributes
    ----------
    goals
        One row per goal of both runs: ``goal``, ``name_zh``, ``name_en``,
        ``population``, ``status_before``/``_after``, ``eligible_before``/``_after``,
        ``covered_before``/``_after``, ``share_before``/``_after``,
        ``change`` (share points), ``gained`` and ``lost`` (people).
    districts
        Per goal and district (when both runs have districts): ``district_name``,
        ``share_before``/``_after``, ``covered_before``/``_after``, ``change``; else ``None``.
    hexes
        The hexagons whose coverage changed, per goal: ``goal``, ``h3``,
        ``share_before``, ``share_after``, ``change``, ``covered_before``,
        ``covered_after`` (WGS-84 polygons).
    matched
        ``"residents"`` (the same demand points: gained and lost per resident)
        or ``"hexagons"`` (the demand points differ: per hexagon).
    notes
        What the reader should know (demand points differ, goals only in one run...).
    before, after
        The two runs' folders and run ids.
    """

    goals: pd.DataFrame
    districts: pd.DataFrame | None
    hexes: gpd.GeoDataFrame
    matched: str
    notes: list[str] = field(default_factory=list)
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The comparison as ``compare.json`` holds it (the changed hexagons counted per goal)."""
        return {
            "before": self.before,
            "after": self.after,
            "matched": self.matched,
            "notes": self.notes,
            "goals": _records(self.goals),
            "districts": None if self.districts is None else _records(self.districts),
            "hexes_changed": {str(g): int(n) for g, n in self.hexes.groupby("goal").size().items()} if len(self.hexes) else {},
        }

    def table(self) -> str:
        """A plain-text table of the goals (for the console)."""
        lines = [f"{'goal':<24} {'before':>8} {'after':>8} {'change':>8} {'gained':>10} {'lost':>10}"]
        lines += [f"{r.goal:<24} {_pct(r.share_before):>8} {_pct(r.share_after):>8} {_pts(r.change):>8} {r.gained:>10,.0f} {r.lost:>10,.0f}"
                  + (f"  ({r.caveat_after})" if r.caveat_after else "") for r in self.goals.itertuples(index=False)]
        return "\n".join(lines)

    def markdown(self) -> str:
        """The comparison for people: goals, districts, notes (``compare.md``)."""
        out = ["# Comparison of two runs", "", f"- before: `{self.before.get('folder')}` (run {self.before.get('run_id')})",
               f"- after: `{self.after.get('folder')}` (run {self.after.get('run_id')})",
               f"- gained and lost people counted per {'resident' if self.matched == 'residents' else 'hexagon (net change)'}", ""]
        out += ["## Goals", "", "| goal | share before | share after | change | covered before | covered after | gained | lost | caveat (after) |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
        for r in self.goals.itertuples(index=False):
            out.append(f"| {r.goal} ({md_escape(r.name_en)}) | {_pct(r.share_before)} | {_pct(r.share_after)} | {_pts(r.change)} | {r.covered_before:,.0f} | "
                       f"{r.covered_after:,.0f} | {r.gained:,.0f} | {r.lost:,.0f} | {md_escape(r.caveat_after)} |")
        if self.districts is not None and len(self.districts):
            out += ["", "## Districts", "", "| goal | district | share before | share after | change |", "|---|---|---:|---:|---:|"]
            for d in self.districts.itertuples(index=False):
                out.append(f"| {d.goal} | {md_escape(d.district_name)} | {_pct(d.share_before)} | {_pct(d.share_after)} | {_pts(d.change)} |")
        counts = self.to_dict()["hexes_changed"]
        out += ["", "## Hexagons whose coverage changed", ""]
        out += [f"- {g}: {n}" for g, n in counts.items()] or ["- none"]
        if self.notes:
            out += ["", "## Notes", "", *[f"- {md_escape(n)}" for n in self.notes]]
        return "\n".join(out) + "\n"


def compare_runs(before: RunResult | str | Path, after: RunResult | str | Path) -> Comparison:
    """Compare the goals of two runs (before and after a change).

    >>> c = compare_runs("runs/hz", "runs/hz_scenario_elderly_care_1km")  # doctest: +SKIP
    >>> c.goals[["goal", "share_before", "share_after", "gained"]]  # doctest: +SKIP

    Parameters
    ----------
    before, after
        Runs, or the folders ``accessibility run`` wrote.

    Returns
    -------
    Comparison
    """
    a, b = as_result(before), as_result(after)
    notes: list[str] = []
    ids_a, ids_b = [g.id for g in a.goals], [g.id for g in b.goals]
    common = [g for g in ids_a if g in ids_b]
    for only, run in ((sorted(set(ids_a) - set(ids_b)), "before"), (sorted(set(ids_b) - set(ids_a)), "after")):
        if only:
            notes.append(f"goals only in the run {run}, not compared: {', '.join(only)}")
    notes += [f"goal {g} is defined differently in the two runs (threshold, services, tiers or area); its change mixes both" for g in common if _spec(a, g) != _spec(b, g)]
    same = _same_residents(a, b)
    if not same:
        notes.append(
            f"the demand points differ ({len(a.point_costs):,} before, {len(b.point_costs):,} after: another population source or study area); "
            "gained and lost people are counted per hexagon (net change of each hexagon)"
        )
    rows, hexes = [], []
    for g in common:
        changed = _hex_changes(a, b, g)
        gained, lost = _resident_changes(a, b, g) if same else (float(changed["gain"].sum()), float(changed["loss"].sum()))
        ra, rb = a.goal(g), b.goal(g)
        rows.append({
            "goal": g, "name_zh": rb.name_zh, "name_en": rb.name_en, "population": rb.population, "status_before": ra.status, "status_after": rb.status,
            "eligible_before": ra.eligible_pop, "eligible_after": rb.eligible_pop, "covered_before": ra.covered_pop, "covered_after": rb.covered_pop,
            "share_before": ra.share, "share_after": rb.share, "change": _diff(rb.share, ra.share), "gained": gained, "lost": lost,
            "caveat_before": _caveat(ra), "caveat_after": _caveat(rb),
        })
        hexes.append(changed[changed["changed"]].assign(goal=g))
    if _resolution(a) != _resolution(b):
        notes.append(f"the runs' hexagons differ in resolution ({_resolution(a)} and {_resolution(b)}); no hexagon is compared")
    hex_frame = _hex_frame(hexes, a, b)
    goals = pd.DataFrame(rows, columns=["goal", "name_zh", "name_en", "population", "status_before", "status_after", "eligible_before", "eligible_after",
                                        "covered_before", "covered_after", "share_before", "share_after", "change", "gained", "lost",
                                        "caveat_before", "caveat_after"])
    return Comparison(goals, _districts(a, b, common, notes), hex_frame, "residents" if same else "hexagons", notes, _who(a), _who(b))


def _caveat(goal: Any) -> str:
    """The goal's main caveat (estimate, partial data, missing facilities), in English; '' when none."""
    note = goal.main_caveat()
    return "" if note is None else note.caveat("en")


def write_comparison(comparison: Comparison, out_dir: str | Path | None = None, *, after: RunResult | str | Path | None = None) -> list[Path]:
    """Write ``compare.json``, ``compare.md`` and ``compare.gpkg`` (layer ``hexes_changed``).

    Parameters
    ----------
    comparison
        Output of :func:`compare_runs`.
    out_dir
        Folder to write into; default the after run's folder, where the files
        are recorded in its manifest (written by ``compare``).
    after
        The after run (default: its folder as the comparison recorded it).

    Returns
    -------
    list of Path
        The files written.
    """
    from ..run import write

    if isinstance(after, RunResult):
        run_path = Path(after.folder or comparison.after.get("folder") or ".")
    else:
        run_path = Path(after or comparison.after.get("folder") or ".")
    target = Path(out_dir) if out_dir is not None else run_path
    run = runfolder.open_run(run_path) if runfolder.is_run_folder(run_path) else None
    f = runfolder
    with f.writer(target, run=run, command="compare") as up:
        up.write_json(f.COMPARE_JSON, comparison.to_dict())
        up.write_text(f.COMPARE_MD, comparison.markdown())
        with up.file(f.COMPARE_GPKG) as tmp:
            write.write_gpkg_layers(tmp, {"hexes_changed": comparison.hexes})
    return [up.folder / n for n in (f.COMPARE_JSON, f.COMPARE_MD, f.COMPARE_GPKG)]


# --------------------------------------------------------------------------- residents and goals


def _who(run: RunResult) -> dict[str, Any]:
    return {"folder": None if run.folder is None else str(run.folder), "run_id": run.manifest.get("run_id")}


def _spec(run: RunResult, goal: str) -> Any:
    try:
        g = run.goal_spec(goal)
    except Exception:  # noqa: BLE001 - a run without specs (built by hand): nothing to compare
        return None
    # a walker decides a time goal's costs (slopes, steps, crossings); on a distance goal it only names the people
    walker = (g.walker.slope, g.walker.steps_factor, g.walker.crossing_delay_s) if g.walker_weight is not None and g.walker is not None else None
    return (g.services, g.population, g.max_time_s, g.max_dist_m, g.mode, g.speed_m_s, g.combine, g.tiers, g.area, g.density_rules, walker)


def _resolution(run: RunResult) -> int | None:
    return (run.manifest.get("options") or {}).get("resolution")


def _same_residents(a: RunResult, b: RunResult) -> bool:
    """Whether both runs have the same people at the same points (matched by position, in any order)."""
    pa, pb = a.point_costs, b.point_costs
    if len(pa) != len(pb):
        return False
    ka, kb = _position_order(pa), _position_order(pb)
    xa, xb = pa[["lon", "lat"]].to_numpy()[ka], pb[["lon", "lat"]].to_numpy()[kb]
    if not np.allclose(xa, xb, rtol=0.0, atol=_SAME_DEG):
        return False
    wa, wb = pa[["pop", "older"]].to_numpy()[ka], pb[["pop", "older"]].to_numpy()[kb]
    return bool(np.allclose(wa, wb, rtol=1e-9, atol=1e-9))


def _position_order(points: pd.DataFrame) -> np.ndarray:
    """Points sorted by position (rounded to ~1 cm, so the same point sorts the same in both runs)."""
    q = np.round(points[["lon", "lat"]].to_numpy(np.float64) / _SAME_DEG).astype(np.int64)
    return np.lexsort((q[:, 1], q[:, 0]))


def _weights(run: RunResult, goal: str) -> np.ndarray:
    """The goal's people per demand point: total or older, zero outside its area (as the verdict counted them)."""
    g = run.goal_spec(goal)
    pts = run.point_costs
    w = pts["older" if g.population == "older" else "pop"].to_numpy(np.float64)
    if g.area == "main_urban_area" and run.main_urban_area is not None:
        w = np.where(shapely.contains_xy(run.main_urban_area, pts["lon"].to_numpy(), pts["lat"].to_numpy()), w, 0.0)
    return w


def _resident_changes(a: RunResult, b: RunResult, goal: str) -> tuple[float, float]:
    """People newly covered and no longer covered, resident by resident (the runs' points matched by position)."""
    ka, kb = _position_order(a.point_costs), _position_order(b.point_costs)
    ca, cb = a.covered(goal)[ka], b.covered(goal)[kb]
    wa, wb = _weights(a, goal)[ka], _weights(b, goal)[kb]
    return float(wb[cb & ~ca].sum()), float(wa[ca & ~cb].sum())


# --------------------------------------------------------------------------- hexagons and districts


def _hex_changes(a: RunResult, b: RunResult, goal: str) -> pd.DataFrame:
    """Per hexagon of either run: covered people and share before and after, and whether they changed."""
    cov, share = columns.name("covered_pop", goal), columns.name("share", goal)
    ha = a.hexes[["h3", cov, share]].rename(columns={cov: "covered_before", share: "share_before"})
    hb = b.hexes[["h3", cov, share]].rename(columns={cov: "covered_after", share: "share_after"})
    m = ha.merge(hb, on="h3", how="outer")
    for c in ("covered_before", "covered_after"):
        m[c] = m[c].fillna(0.0).astype(np.float64)
    delta = m["covered_after"].to_numpy() - m["covered_before"].to_numpy()
    m["change"] = m["share_after"].astype(np.float64) - m["share_before"].astype(np.float64)
    m["gain"], m["loss"] = np.clip(delta, 0.0, None), np.clip(-delta, 0.0, None)
    sa, sb = m["share_before"].to_numpy(np.float64), m["share_after"].to_numpy(np.float64)
    share_moved = (np.isnan(sa) != np.isnan(sb)) | (np.abs(np.nan_to_num(sb) - np.nan_to_num(sa)) > 1e-9)
    m["changed"] = (np.abs(delta) > _EPS_PEOPLE) | share_moved
    return m


def _hex_frame(changed: list[pd.DataFrame], a: RunResult, b: RunResult) -> gpd.GeoDataFrame:
    cols = ["goal", "h3", "share_before", "share_after", "change", "covered_before", "covered_after"]
    frame = pd.concat(changed, ignore_index=True)[cols] if changed else pd.DataFrame(columns=cols)
    shapes = pd.concat([b.hexes[["h3", "geometry"]], a.hexes[["h3", "geometry"]]], ignore_index=True).drop_duplicates("h3")
    geom = shapes.set_index("h3")["geometry"].reindex(frame["h3"]).to_numpy()
    return gpd.GeoDataFrame(frame.reset_index(drop=True), geometry=list(geom), crs="EPSG:4326")


def _districts(a: RunResult, b: RunResult, goals: list[str], notes: list[str]) -> pd.DataFrame | None:
    """Per goal and district: share and covered people before and after (districts matched by name)."""
    if not (a.by_district and b.by_district):
        if a.by_district or b.by_district:
            notes.append("only one of the runs has districts; no district is compared")
        return None
    rows = []
    for g in goals:
        da = pd.DataFrame(a.by_district.get(g) or [])
        db = pd.DataFrame(b.by_district.get(g) or [])
        if da.empty or db.empty:
            continue
        m = da[["district_name", "covered_pop", "share"]].merge(db[["district_name", "covered_pop", "share"]], on="district_name", how="outer", suffixes=("_before", "_after"))
        rows += [{"goal": g, "district_name": r.district_name, "covered_before": r.covered_pop_before, "covered_after": r.covered_pop_after,
                  "share_before": r.share_before, "share_after": r.share_after, "change": _diff(r.share_after, r.share_before)}
                 for r in m.itertuples(index=False)]  # one row per district (tens), not per resident
    return pd.DataFrame(rows, columns=["goal", "district_name", "covered_before", "covered_after", "share_before", "share_after", "change"])


# --------------------------------------------------------------------------- formatting


def _diff(after: float | None, before: float | None) -> float | None:
    if after is None or before is None or pd.isna(after) or pd.isna(before):
        return None
    return float(after) - float(before)


def _pct(v: float | None) -> str:
    return "n/a" if v is None or pd.isna(v) else f"{v:.1%}"


def _pts(v: float | None) -> str:
    return "n/a" if v is None or pd.isna(v) else f"{v * 100:+.1f} pt"


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts (NaN as null)."""
    return [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()} for r in frame.astype(object).to_dict(orient="records")]
