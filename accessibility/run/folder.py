"""The run folder as one unit: written whole, swapped into place, read back only when whole.

A run is written into a temporary folder beside its target (``.<name>.partial-…``)
and swapped into place at the end, so a killed run leaves the previous run or
the new one, never a mix, and no file of an earlier run survives beside the new
one. On Linux the swap is a single ``renameat2(RENAME_EXCHANGE)``; elsewhere two
renames, and a run interrupted between them is restored the next time the folder
is opened.

``manifest.json`` is the folder's table of contents: it names every file with
its size and sha256 and the command that wrote it. Commands that add files to a
finished run (``map``, ``report``, ``suggest``, ``provision``, ``isochrones``)
write each file atomically and record it in the manifest (:func:`update`).
Readers (:func:`open_run`) refuse a folder whose files do not match its
manifest, naming the file and what to do.

The target is checked before any analysis starts (:func:`prepare`): a file, a
folder that is not a run (this package never replaces a folder of other
files), or a place that cannot be written fails at once.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from .. import errors
from ..core import fileio

__all__ = ["FORMAT", "MANIFEST", "RESULTS_GPKG", "RESULTS_XLSX", "RunFolder", "RunTarget", "access_points", "barriers", "check_name", "is_run_folder", "network_edges", "network_nodes", "node_table", "open_run", "prepare", "provision_files", "rejects", "scenario", "suggestions", "update", "writer"]

log = logging.getLogger(__name__)

#: format of the run folder (``manifest.json`` key ``format``)
FORMAT = "accessibility-run/3"
MANIFEST = "manifest.json"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,150}")
_PARTIAL = ".partial-"
_OLD = ".old-"


# --------------------------------------------------------------------------- the files of a run folder (one place names them)

RESULTS_GPKG = "results.gpkg"  # layers hexes, facilities_points/_areas (_lines), facilities_rejected_points/_areas, study_area, main_urban_area, districts; QGIS styles
RESULTS_XLSX = "results.xlsx"  # the workbook: verdicts, notes, districts, worst hexagons, facilities, rejects, suggestions, provision
HEXES = "hexes.parquet"  # H3 hexagons: population, per-service distance and minutes, per-goal coverage
FACILITIES = "facilities.parquet"  # every facility with its status, access and capacities
GOALS_JSON = "goals.json"  # verdicts, notes, facility imports
GOALS_MD = "goals.md"  # the verdicts for people
DEMAND = "demand_points.parquet"  # per resident point: people, hexagon, every trip cost, nearest facility, coverage per goal
MERGES = "merges.csv"  # OSM facilities merged with or replaced by planners' facilities
REJECTS_ZONES = "rejects_zones.csv"  # census rows not used
CALIBRATION = "calibration_districts.csv"  # per district: estimated and census people, the factor applied (--district-population)
REJECTS_CENSUS = "rejects_census.csv"  # census rows not joined to a district
DENSITY_OUTLIERS = "density_outliers.csv"  # the densest hexagons, those denser than people live flagged, with the OSM features behind them
ISOCHRONES_GPKG = "isochrones.gpkg"  # written by `accessibility isochrones`
COMPARE_JSON = "compare.json"  # written by `accessibility compare` (and `suggest --apply`): coverage before and after, per goal and district
COMPARE_MD = "compare.md"  # the same comparison for people
COMPARE_GPKG = "compare.gpkg"  # layer hexes_changed: the hexagons whose coverage changed, per goal


def network_nodes(mode: str) -> str:
    """Street nodes of a travel mode's network."""
    return f"network_{mode}_nodes.parquet"


def network_edges(mode: str) -> str:
    """Street edges (geometry, length, direction) of a travel mode's network."""
    return f"network_{mode}_edges.parquet"


def barriers(mode: str) -> str:
    """Walls, water and rail lines a walk to a travel mode's streets may not cross (written when known)."""
    return f"barriers_{mode}.parquet"


def access_points(mode: str) -> str:
    """Where each facility joins a travel mode's network."""
    return f"access_points_{mode}.parquet"


def node_table(mode: str) -> str:
    """Per street node: distance to and id of the nearest facility per service (pandana's ``nearest_pois`` shape)."""
    return f"nodes_{mode}.parquet"


def rejects(service: str) -> str:
    """Rows of a planners' facility list not used or used with a change."""
    return f"rejects_{service}.csv"


def suggestions(goal: str, ext: str, number: int = 1) -> str:
    """Suggested sites of a goal (``.gpkg``, ``.csv``, ``.json``), written by `accessibility suggest`.

    Later suggestions for the same goal are numbered (``suggestions_<goal>-2.csv``...):
    an earlier file is never written over.
    """
    return f"suggestions_{goal}{ext}" if number <= 1 else f"suggestions_{goal}-{number}{ext}"


def scenario(run_dir: str | Path, goal: str) -> Path:
    """Default folder of the scenario run of `accessibility suggest --apply`: ``<RUN>_scenario_<goal>`` beside the run."""
    path = Path(run_dir)
    return path.with_name(f"{path.name}_scenario_{goal}")


def provision_files(indicator: str) -> tuple[str, str, str]:
    """Summary, per-hexagon table and per-facility table of a provision indicator (`accessibility provision`)."""
    return f"provision_{indicator}.json", f"provision_{indicator}_hexes.parquet", f"provision_{indicator}_facilities.csv"


def check_name(name: str) -> str:
    """``name`` if it is a plain file name a run folder may hold, else an error.

    Names of run-folder files are built from goal, service and indicator ids;
    this is the last guard that none of them leaves the folder.
    """
    if not _NAME.fullmatch(name) or ".." in name or name == MANIFEST:
        raise errors.InputError(
            f"{name!r} is not a file name this package writes into a run folder (letters, digits, '_', '-', '.'; "
            "no folders); check the goal, service or indicator id"
        )
    return name


def _inside(folder: Path, name: str) -> Path:
    path = folder / check_name(name)
    if path.resolve().parent != folder.resolve():
        raise errors.InputError(f"{path} would lie outside the run folder {folder}; refusing to write it")
    return path


# --------------------------------------------------------------------------- what a folder is


def _read_manifest(folder: Path) -> dict | None:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def is_run_folder(folder: str | Path) -> bool:
    """Whether ``folder`` holds a run written by this package (this version or an earlier one)."""
    m = _read_manifest(Path(folder))
    if m is None:
        return False
    return str(m.get("format", "")).startswith("accessibility-run/") or "accessibility" in (m.get("versions") or {})


def _siblings(target: Path, marker: str) -> list[Path]:
    prefix = f".{target.name[:60]}{marker}"
    return sorted(p for p in target.parent.glob(f"{glob_escape(prefix)}*") if p.is_dir()) if target.parent.is_dir() else []


def glob_escape(text: str) -> str:
    """``text`` with glob's special characters escaped."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def _recover(target: Path) -> None:
    """Finish a swap interrupted between its two renames, and clear the leftovers of killed runs."""
    olds = _siblings(target, _OLD)
    if not target.exists() and olds:
        newest = max(olds, key=lambda p: p.stat().st_mtime_ns)
        os.rename(newest, target)  # noqa: PTH104 - atomic rename
        log.warning("%s: restored the previous run (a run was interrupted while replacing it)", target)
        olds.remove(newest)
    for p in olds + [p for p in _siblings(target, _PARTIAL) if not fileio.pid_alive(_pid_of(p))]:
        shutil.rmtree(p, ignore_errors=True)


def _pid_of(partial: Path) -> int:
    m = re.search(r"\.partial-(\d+)-", partial.name)
    return int(m.group(1)) if m else -1


# --------------------------------------------------------------------------- writing a run


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


@dataclass
class RunTarget:
    """Where a run is being written: ``tmp`` now, ``final`` once :meth:`commit` swaps it into place."""

    final: Path
    tmp: Path
    committed: bool = False

    def path(self, name: str) -> Path:
        """Path of a file of the run being written (inside ``tmp``)."""
        return _inside(self.tmp, name)

    def commit(self, manifest: dict[str, Any], *, command: str = "run") -> Path:
        """Record every file of ``tmp`` in the manifest, write it, and swap the folder into place."""
        files = {}
        for p in sorted(self.tmp.iterdir()):
            if p.is_file() and p.name != MANIFEST:
                files[p.name] = {"bytes": p.stat().st_size, "sha256": fileio.sha256_file(p), "written_by": command}
        digest = hashlib.sha256(json.dumps({k: v["sha256"] for k, v in files.items()}, sort_keys=True).encode()).hexdigest()
        manifest = {"format": FORMAT, "run_id": digest[:16], **manifest, "files": files}
        fileio.write_text(self.tmp / MANIFEST, fileio.json_text(manifest))
        _swap_into_place(self.tmp, self.final)
        self.committed = True
        log.info("wrote run folder %s", self.final)
        return self.final

    def abort(self) -> None:
        """Remove the partial folder (the previous run, if any, stays as it was)."""
        if not self.committed:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()


def _swap_into_place(tmp: Path, final: Path) -> None:
    if not final.exists():
        os.rename(tmp, final)  # noqa: PTH104 - atomic rename
        return
    if _exchange(tmp, final):  # tmp now holds the previous run
        shutil.rmtree(tmp, ignore_errors=True)
        return
    old = final.with_name(f".{final.name[:60]}{_OLD}{os.getpid()}-{secrets.token_hex(4)}")
    os.rename(final, old)  # noqa: PTH104 - atomic rename
    os.rename(tmp, final)  # noqa: PTH104 - atomic rename; a crash before this line is undone by _recover
    shutil.rmtree(old, ignore_errors=True)


def prepare(out: str | Path) -> RunTarget:
    """Check the run folder ``out`` before the analysis and open a partial folder beside it.

    Raises
    ------
    RunDirectoryError
        If ``out`` is a file, a folder that is not a run, or cannot be written.
    """
    final = Path(out).expanduser().absolute()
    what = f"output folder {out}"
    try:
        limit = os.pathconf(final.anchor, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        limit = 255
    if any(len(os.fsencode(part)) > limit for part in final.parts):
        raise errors.RunDirectoryError(f"{what}: a name in it is longer than the file system allows ({limit} bytes); choose a shorter name")
    try:
        if final.exists() and not final.is_dir():
            raise errors.RunDirectoryError(f"{what} is a file; give a folder name for the run (it is created)")
        final.parent.mkdir(parents=True, exist_ok=True)
        _recover(final)
    except OSError as exc:
        raise errors.RunDirectoryError(f"{what}: cannot create {final.parent} ({exc.strerror}); choose a folder you can write to") from None
    if final.is_dir() and any(final.iterdir()) and not is_run_folder(final):
        raise errors.RunDirectoryError(
            f"{what} already holds files that are not a run of this package; a run replaces its whole folder, "
            "so choose a new or empty folder (or the folder of an earlier run)"
        )
    tmp = final.with_name(f".{final.name[:60]}{_PARTIAL}{os.getpid()}-{secrets.token_hex(4)}")
    try:
        tmp.mkdir()
        probe = tmp / ".probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise errors.RunDirectoryError(f"{what}: cannot write in {final.parent} ({exc.strerror}); choose a folder you can write to") from None
    return RunTarget(final, tmp)


# --------------------------------------------------------------------------- reading a run


@dataclass
class RunFolder:
    """A finished run folder whose files match its manifest.

    Files are checked against the manifest's sizes when the folder is opened,
    and against its sha256 when they are read, so a folder mixing two runs, a
    damaged file or a file edited by hand is refused with the file's name.
    """

    path: Path
    manifest: dict[str, Any]
    _verified: set[str] = field(default_factory=set, repr=False)

    @property
    def files(self) -> dict[str, dict]:
        return dict(self.manifest.get("files") or {})

    def has(self, name: str) -> bool:
        """Whether the run recorded a file ``name``."""
        return name in self.files

    def names(self, pattern: str) -> list[str]:
        """Recorded file names matching the regular expression ``pattern`` (whole name), sorted."""
        rx = re.compile(pattern)
        return sorted(n for n in self.files if rx.fullmatch(n))

    def file(self, name: str) -> Path:
        """Path of the recorded file ``name``, after checking its content against the manifest."""
        rec = self.files.get(name)
        if rec is None:
            raise errors.RunDirectoryError(
                f"{self.path}: the run has no {name}; run `accessibility run ... --out {self.path}` again with this version"
            )
        path = self.path / check_name(name)
        if name not in self._verified:
            if not path.is_file() or fileio.sha256_file(path) != rec.get("sha256"):
                raise _mismatch(self.path, name, rec)
            self._verified.add(name)
        return path

    def read_json(self, name: str) -> Any:
        """A recorded JSON file, parsed."""
        path = self.file(name)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise errors.RunDirectoryError(f"{path}: damaged JSON ({exc}); run the command that wrote it again") from None

    def read_table(self, name: str, *, columns: list[str] | None = None, geo: bool = False) -> Any:
        """A recorded Parquet file as a DataFrame (GeoDataFrame with ``geo``)."""
        path = self.file(name)
        try:
            if geo:
                import geopandas as gpd

                return gpd.read_parquet(path, columns=columns)
            import pandas as pd

            return pd.read_parquet(path, columns=columns)
        except (OSError, ValueError) as exc:
            raise errors.RunDirectoryError(f"{path}: cannot be read ({exc}); run `accessibility run` again") from None


def _mismatch(folder: Path, name: str, rec: dict) -> errors.RunDirectoryError:
    by = rec.get("written_by", "run")
    again = "accessibility run ... --out " + str(folder) if by == "run" else f"accessibility {by} {folder}"
    return errors.RunDirectoryError(
        f"{folder / name} does not match the run's manifest (missing, damaged, edited, or from another run: the folder "
        f"is not one run). Run `{again}` again"
    )


def open_run(run_dir: str | Path) -> RunFolder:
    """Open a finished run folder, refusing one that is incomplete, mixed or from another version.

    Raises
    ------
    RunDirectoryError
        Naming the folder, the file at fault and what to do.
    """
    folder = Path(run_dir)
    with contextlib.suppress(OSError):
        _recover(folder.absolute())
    if not folder.is_dir():
        raise errors.RunDirectoryError(f"run folder {folder} does not exist; run `accessibility run --osm FILE --out {folder}` first")
    manifest = _read_manifest(folder)
    if manifest is None:
        what = "is damaged" if (folder / MANIFEST).exists() else "is missing"
        raise errors.RunDirectoryError(
            f"{folder}: {MANIFEST} {what}, so this is not a complete run folder; run `accessibility run --osm FILE --out {folder}` "
            "(or `accessibility demo --out DIR`) and pass that folder"
        )
    fmt = manifest.get("format")
    if fmt != FORMAT:
        version = (manifest.get("versions") or {}).get("accessibility", "an earlier version")
        raise errors.RunDirectoryError(
            f"{folder} was written by accessibility {version} in run-folder format {fmt or 1}; this version reads format "
            f"{FORMAT.rsplit('/', 1)[1]}. Run `accessibility run ... --out {folder}` again"
        )
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise errors.RunDirectoryError(f"{folder}: {MANIFEST} lists no files; run `accessibility run` again")
    for name, rec in files.items():
        path = folder / check_name(name)
        if not path.is_file() or path.stat().st_size != rec.get("bytes"):
            raise _mismatch(folder, name, rec)
    return RunFolder(folder, manifest)


# --------------------------------------------------------------------------- adding files to a run


@dataclass
class _Update:
    folder: Path
    command: str
    record: bool = True
    written: dict[str, dict] = field(default_factory=dict)

    @contextlib.contextmanager
    def file(self, name: str) -> Iterator[Path]:
        """A temporary path for the run-folder file ``name``, moved into place and recorded when the block succeeds."""
        path = _inside(self.folder, name)
        with fileio.atomic_path(path) as tmp:
            yield tmp
            if self.record:
                self.written[name] = {"bytes": tmp.stat().st_size, "sha256": fileio.sha256_file(tmp), "written_by": self.command}

    def write_text(self, name: str, text: str) -> Path:
        with self.file(name) as tmp:
            tmp.write_text(text, encoding="utf-8")
        return self.folder / name

    def write_json(self, name: str, data: Any) -> Path:
        return self.write_text(name, fileio.json_text(data))


@contextlib.contextmanager
def update(run_dir: str | Path | RunFolder, *, command: str) -> Iterator[_Update]:
    """Add files to a finished run: each written atomically, then recorded in the manifest.

    >>> with update(run_dir, command="suggest") as up:          # doctest: +SKIP
    ...     up.write_json("suggestions_park_10min.json", summary)
    """
    folder = run_dir.path if isinstance(run_dir, RunFolder) else open_run(run_dir).path
    fileio.remove_stale_temporaries(folder)
    up = _Update(folder, command)
    try:
        yield up
    finally:
        if up.written:
            _record(folder, up.written)


@contextlib.contextmanager
def writer(out_dir: str | Path, *, run: RunFolder | None, command: str) -> Iterator[_Update]:
    """Write a command's files into ``out_dir``: recorded in the manifest when it is the run folder ``run``,
    else (a folder the user chose) just written atomically."""
    out_dir = Path(out_dir)
    if run is not None and out_dir.resolve() == run.path.resolve():
        with update(run, command=command) as up:
            yield up
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
        yield _Update(out_dir, command, record=False)


def _record(folder: Path, written: dict[str, dict]) -> None:
    with _locked(folder):
        manifest = _read_manifest(folder)
        if manifest is None or manifest.get("format") != FORMAT:
            raise errors.RunDirectoryError(f"{folder}: {MANIFEST} changed while files were added; run the command again")
        manifest["files"] = {**manifest.get("files", {}), **written}
        fileio.write_text(folder / MANIFEST, fileio.json_text(manifest))


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Serialise manifest updates of commands running at once on one folder (POSIX advisory lock)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(folder, os.O_RDONLY)  # the folder itself: no lock file is left in it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
