# ruff: noqa: INP001 - a script of the docs, run by hand, not a package
"""Screenshots of the map and of the report's first page for the README (``docs/img/``).

Makes a run on the small data of ``tests/data`` (the Hubin OSM clip and the invented GCJ-02 list
of elderly-care homes), writes its Chinese briefing without basemap tiles, and photographs
``map_zh.html`` and the top of ``report_zh.html`` with headless Chromium (Debian package
``chromium``; network refused, so the pictures show what an offline reader sees). The PNGs are
reduced to a 256-colour palette to stay small in the repository.

Run from the repository root, in the project's environment::

    python docs/screenshots.py            # writes docs/img/map_zh.png and docs/img/report_zh.png
    python docs/screenshots.py --keep DIR # and keeps the run folder in DIR
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
IMG = ROOT / "docs" / "img"
#: window size (CSS px) of each picture and its width in the README
SHOTS = {"map_zh.html": ("map_zh.png", (1200, 800)), "report_zh.html": ("report_zh.png", (1000, 1300))}
WIDTH_PX = 900


def make_run(out: Path) -> Path:
    """A run on the small data and its Chinese briefing (no basemap tiles) in ``out``."""
    from accessibility import cli
    from accessibility.briefing import write_briefing

    argv = ["run", "--osm", str(DATA / "hangzhou_hubin.osm.pbf"), "--facilities", str(DATA / "hubin_elderly_care_gcj02.xlsx"),
            "--service", "elderly_care", "--facilities-crs", "gcj02", "--no-briefing", "--out", str(out)]
    log = io.StringIO()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        code = cli.main(argv)
    if code != 0:
        raise SystemExit(f"the run failed ({code}):\n{log.getvalue()}")
    write_briefing(out, langs=("zh",), basemap="none")
    return out


def screenshot(page: Path, png: Path, size: tuple[int, int]) -> Path:
    """A headless-Chromium picture of ``page`` (the top ``size`` CSS px), as a small palette PNG."""
    from PIL import Image

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("headless Chromium is needed: install the Debian package chromium")
    with tempfile.TemporaryDirectory(prefix="acc-shot-") as tmp:
        raw = Path(tmp) / "raw.png"
        subprocess.run(  # noqa: S603 - the browser found on PATH, on a file this script wrote
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-background-networking",
             "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={tmp}/profile", f"--window-size={size[0]},{size[1]}",
             "--virtual-time-budget=4000", f"--screenshot={raw}", page.resolve().as_uri()],
            check=True, capture_output=True, timeout=120,
        )
        img = Image.open(raw).convert("RGB")
    img = img.resize((WIDTH_PX, round(img.height * WIDTH_PX / img.width)), Image.Resampling.LANCZOS)
    png.parent.mkdir(parents=True, exist_ok=True)
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(png, optimize=True)
    return png


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", metavar="DIR", help="keep the run folder here (default: a temporary folder)")
    ap.add_argument("--out-dir", metavar="DIR", default=str(IMG), help="where the PNGs go (default docs/img)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="acc-shots-") as tmp:
        run = make_run(Path(args.keep) if args.keep else Path(tmp) / "run")
        for page, (name, size) in SHOTS.items():
            png = screenshot(run / page, Path(args.out_dir) / name, size)
            sys.stdout.write(f"{png} ({png.stat().st_size / 1024:.0f} KB)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
