"""A scenario: the run made again with suggested sites added, and compared with it (``suggest --apply``).

The scenario reads only what the run folder records: its input files (each
checked to be where it was, unchanged) and how each was read
(:mod:`accessibility.run.specs`), its goals by value and its options. The
suggested sites join as one more planner's facility list for the goal's
service, at the goal's tier: the suggestion CSV itself, so the scenario's
manifest names the very file (and its sha256) that made the difference.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import errors
from ..readers.facility_files import FacilityInput
from ..run import folder as runfolder
from ..run import pipeline, specs
from ..run.read import as_result
from ..run.result import RunResult
from . import compare
from .siting import Suggestions

__all__ = ["Scenario", "apply_suggestions", "recorded_inputs"]

log = logging.getLogger(__name__)


@dataclass
class Scenario:
    """The scenario run, its comparison with the run, and the comparison's files."""

    run: RunResult
    comparison: compare.Comparison
    files: list[Path]
    notes: list[str] = field(default_factory=list)


def apply_suggestions(
    run: RunResult | str | Path,
    suggestions: Suggestions,
    *,
    sites_file: str | Path,
    out: str | Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    recorded: dict | None = None,
) -> Scenario:
    """Run the scenario with the suggested sites added to the run's inputs, and compare it with the run.

    Parameters
    ----------
    run
        The run the sites were suggested for (written to a folder).
    suggestions
        Output of :func:`~accessibility.tools.siting.suggest_from_run`.
    sites_file
        The suggestion CSV written by :func:`~accessibility.tools.siting.write_suggestions`
        (WGS-84 ``lon``/``lat``, ``rank`` as the id): the scenario's extra facility list.
    out
        Scenario run folder; default ``<RUN>_scenario_<goal>`` beside the run.
        An earlier scenario there is replaced, as runs are.
    progress
        Called as ``progress(stage, i, n)`` by the scenario run.
    recorded
        The run's inputs as :func:`recorded_inputs` gave them (read again when omitted).

    Returns
    -------
    Scenario
        ``comparison`` is written into the scenario folder (``compare.json``,
        ``compare.md``, ``compare.gpkg``).

    Raises
    ------
    InputError
        No site to add, the scenario folder would be the run itself, an input
        file moved or changed since the run, or the run does not record its specs.
    """
    result = as_result(run)
    if result.folder is None:
        raise errors.InputError("this run was not written to a folder (run it with out=...); its inputs are not recorded")
    if len(suggestions.sites) == 0:
        raise errors.InputError(f"no site adds anyone to {suggestions.goal}; there is no scenario to run")
    rf = runfolder.open_run(result.folder)
    kwargs = dict(recorded) if recorded is not None else specs.load(rf.manifest, run_dir=rf.path)
    target = Path(out) if out is not None else runfolder.scenario(rf.path, suggestions.goal)
    if target.expanduser().absolute().resolve() == rf.path.absolute().resolve():
        raise errors.InputError(f"--apply-out {target} is the run itself; the scenario goes into a folder of its own")
    tiers = result.goal_spec(suggestions.goal).tiers_for(suggestions.service)
    sites = FacilityInput(
        Path(sites_file).absolute(), service=suggestions.service, crs="wgs84", lon_col="lon", lat_col="lat", id_col="rank", tier=tiers[0] if tiers else None,
    )
    osm_path = kwargs.pop("osm_path")
    kwargs["facilities"] = [*kwargs["facilities"], sites]
    log.info("scenario %s: %d sites added for %s", target, len(suggestions.sites), suggestions.service)
    after = pipeline.run(osm_path, out=target, progress=progress, **kwargs)
    notes = _site_notes(after, sites, len(suggestions.sites))
    comparison = compare.compare_runs(result, after)
    comparison.notes = [*notes, *comparison.notes]
    files = compare.write_comparison(comparison, None, after=after)
    return Scenario(after, comparison, files, notes)


def recorded_inputs(run: RunResult | str | Path) -> dict:
    """The run's inputs as its folder records them, each file checked to be where it was and unchanged (before any work).

    Raises
    ------
    InputFileNotFoundError, InputError, RunDirectoryError
        See :func:`accessibility.run.specs.load`.
    """
    result = as_result(run)
    if result.folder is None:
        raise errors.InputError("this run was not written to a folder (run it with out=...); its inputs are not recorded")
    rf = runfolder.open_run(result.folder)
    return specs.load(rf.manifest, run_dir=rf.path)


def _site_notes(after: RunResult, sites: FacilityInput, n_sites: int) -> list[str]:
    """A note when some suggested sites did not join the scenario (merged with an existing facility, too far from a street)."""
    imp = next((i for i in after.imports if Path(str(i.get("path", ""))).name == Path(str(sites.path)).name), None)
    if imp is None:
        return []
    used = int(imp.get("used", 0)) - int(imp.get("merged", 0))
    return [] if used >= n_sites else [f"{n_sites - used} of the {n_sites} suggested sites did not join the scenario as new facilities (see rejects_{sites.service}.csv, merges.csv)"]
