"""A corpus of bad and hostile inputs, one case per class of the hostile trial (issue: security and bad input).

:func:`cases` writes every input into a folder and returns, per case, the command
line that feeds it to ``accessibility`` and what a user must see: the exit code,
and fragments of the message (the file or value at fault, and the fix). The
corpus is used by ``tests/test_bad_corpus.py``; run this module to write it to a
folder for manual trials::

    python tests/bad_corpus.py /tmp/corpus
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import synthetic


@dataclass
class Case:
    """One bad input: how to run it and what the user must be told."""

    name: str
    argv: list[str]
    code: int = 2  # 2: refused with a message; 0: used, with a note or warning
    says: tuple[str, ...] = ()  # fragments of stderr (code 2) or of stdout+stderr (code 0)
    notes: tuple[str, ...] = ()  # fragments of the run's notes (goals.json), for code 0
    out: Path | None = None
    extra: dict = field(default_factory=dict)


def _write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def _raster(path: Path, values: np.ndarray, *, nodata: float | None = None, bands: int = 1, dtype: str = "float32") -> Path:
    import rasterio
    from affine import Affine

    w, s, e, n = synthetic.grid_bounds()
    h, wd = values.shape
    transform = Affine((e - w + 0.004) / wd, 0.0, w - 0.002, 0.0, -(n - s + 0.004) / h, n + 0.002)
    with rasterio.open(path, "w", driver="GTiff", width=wd, height=h, count=bands, dtype=dtype, crs="EPSG:4326", transform=transform, nodata=nodata) as dst:
        for b in range(1, bands + 1):
            dst.write(values.astype(dtype), b)
    return path


def cases(folder: Path) -> list[Case]:
    """Write the corpus into ``folder`` and return its cases."""
    folder.mkdir(parents=True, exist_ok=True)
    grid = synthetic.grid_osm(folder / "grid.osm")
    w, s, e, n = synthetic.grid_bounds()
    out = folder / "runs"

    def run(name: str, *extra: str, osm: Path = grid) -> list[str]:
        return ["-q", "run", "--osm", str(osm), "--out", str(out / name), "--no-briefing", *extra]

    good = np.full((8, 8), 50.0)
    found: list[Case] = []

    def add(name: str, argv: list[str], **kw: object) -> None:
        found.append(Case(name, argv, **kw))  # type: ignore[arg-type]

    # ---- OSM files
    add("osm_empty", run("empty", osm=_write(folder / "empty.osm.pbf", b"")), says=("empty.osm.pbf", "empty"))
    page = _write(folder / "page.osm", "<!DOCTYPE html><html><body>502 Bad Gateway</body></html>")
    add("osm_html_page", run("html", osm=page), says=("page.osm", "HTML", "again"))
    add("osm_truncated", run("cut", osm=_write(folder / "cut.osm.pbf", grid_pbf_half(folder, grid))), says=("cut.osm.pbf", "download it again"))
    noise = bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8))
    add("osm_random_bytes", run("noise", osm=_write(folder / "noise.osm.pbf", noise)), says=("noise.osm.pbf",))
    # ---- rasters
    bad = good.copy()
    bad[3, 2:5] = np.nan  # inside the study area (the grid's hull)
    bad[4, 3:5] = -5.0
    add("raster_nan_negative", run("raster_nan", "--population", str(_raster(folder / "nan.tif", bad))), code=0, notes=("nan.tif", "NaN", "negative"))
    add("raster_rgb", run("rgb", "--population", str(_raster(folder / "rgb.tif", np.full((8, 8), 120), bands=3, dtype="uint8"))), says=("rgb.tif", "3 bands"))
    add("raster_truncated", run("tcut", "--population", str(_write(folder / "tcut.tif", _raster(folder / "whole.tif", good).read_bytes()[:300]))), says=("tcut.tif",))
    add("raster_older_above_total", run("older", "--population", str(_raster(folder / "total.tif", good)), "--older-population",
                                        str(_raster(folder / "older.tif", good * 2))), says=("older.tif", "total.tif"))
    # ---- options
    add("option_nan_snap", run("o1", "--max-snap-m", "nan"), says=("--max-snap-m", "metres"))
    add("option_negative_total", run("o2", "--population-total", "-1000"), says=("--population-total",))
    # ---- TOML
    goals = folder / "goals"
    add("toml_walk_speed_m_per_min", run("t1", "--goals", str(_write(goals / "speed.toml", '[[goal]]\nid = "park_10min"\nservices = ["park"]\nmax_time_min = 10\nwalk_speed_m_s = 70\n'))),
        says=("speed.toml", "m/min"))
    add("toml_bad_id", run("t2", "--goals", str(_write(goals / "id.toml", '[[goal]]\nid = "x/../../../escaped_goal"\nservices = ["park"]\nmax_time_min = 10\n'))),
        says=("id.toml", "not allowed"))
    add("toml_gbk", run("t3", "--goals", str(_write(goals / "gbk.toml", '[[goal]]\nid = "park_10min"\nname_zh = "公园"\nservices = ["park"]\nmax_time_min = 10\n'.encode("gbk")))),
        code=0)
    add("toml_nested", run("t4", "--goals", str(_write(goals / "deep.toml", "x = " + "[" * 50_000 + "]" * 50_000 + "\n"))), says=("deep.toml", "nested"))
    # ---- planners' tables
    tables = folder / "tables"
    rows = f"name\tlon\tlat\n甲\t{w + 0.001}\t{s + 0.001}\n乙\t{e - 0.001}\t{n - 0.001}\n"
    add("table_utf16", run("u16", "--facilities", str(_write(tables / "homes16.txt", b"\xff\xfe" + rows.encode("utf-16-le"))), "--service", "elderly_care"),
        code=0, notes=("homes16.txt", "UTF-16"))
    add("table_no_coordinates", run("nocoord", "--facilities", str(_write(tables / "notes.csv", "说明,备注\n这是,一个说明\n")), "--service", "elderly_care"),
        says=("notes.csv", "longitude"))
    add("table_binary", run("bin", "--facilities", str(_write(tables / "photo.csv", b"\x89PNG\r\n\x1a\n" + bytes(200))), "--service", "elderly_care"), says=("photo.csv",))
    # ---- output folders
    (folder / "taken.txt").write_text("mine", encoding="utf-8")
    add("out_is_a_file", ["-q", "run", "--osm", str(grid), "--out", str(folder / "taken.txt")], says=("taken.txt", "is a file"))
    docs = folder / "documents"
    _write(docs / "thesis.docx", b"years of work")
    add("out_not_a_run", ["-q", "run", "--osm", str(grid), "--out", str(docs)], says=("documents", "not a run"))
    # ---- run folders
    add("run_folder_missing", ["report", str(folder / "no_such_run")], says=("no_such_run", "does not exist"))
    _write(folder / "not_a_run" / "goals.json", "{ damaged")
    _write(folder / "p.csv", f"lon,lat\n{w},{s}\n")
    add("run_folder_without_manifest", ["query", str(folder / "not_a_run"), "--points", str(folder / "p.csv"), "--out", str(folder / "q.csv")],
        says=("manifest.json",))
    return found


def grid_pbf_half(folder: Path, grid: Path) -> bytes:
    """The grid as a PBF file cut short (an interrupted download)."""
    import osmium

    pbf = folder / "grid_full.osm.pbf"
    if not pbf.exists():
        with osmium.SimpleWriter(str(pbf)) as writer:
            for obj in osmium.FileProcessor(str(grid)):
                writer.add(obj)
    raw = pbf.read_bytes()
    return raw[: int(len(raw) * 0.6)]  # inside a block (a cut between blocks is a valid, smaller file)


if __name__ == "__main__":  # pragma: no cover - a tool for manual trials
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "bad_corpus")
    for c in cases(target):
        print(json.dumps({"case": c.name, "argv": c.argv, "code": c.code, "says": c.says}, ensure_ascii=False))
