"""The printed report: A4 page CSS and the PDF made by headless Chromium.

:data:`PRINT_CSS` lays the HTML report out on A4 (margins, headings kept with
what follows, table rows, figures and charts never split, the first page a
one-page summary). :func:`write_pdf` prints the report's HTML to PDF through
headless Chromium driven by Selenium over the DevTools protocol
(``Page.printToPDF``): A4 paper, backgrounds (the verdict badges) printed, and
a footer with the page numbers, which Chromium draws only this way (it does
not support ``@page { @bottom-center {...} }``). The page loads nothing from
the network: the report is self-contained, its Content-Security-Policy
forbids everything but inline styles and ``data:`` images, and Chromium gets
no host name resolved and every ``http(s)``/``ws(s)`` request blocked.

Chromium writes its creation time into the PDF, so two PDFs of the same
report differ in those bytes (the HTML, Markdown and Word files do not).
"""

from __future__ import annotations

import base64
import html
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

from .. import errors
from . import i18n

__all__ = ["A4_MM", "PRINT_CSS", "find_chromium", "pdf_pages", "write_pdf"]

log = logging.getLogger(__name__)

#: paper (width, height) in millimetres
A4_MM = (210.0, 297.0)
#: page margins (top, right, bottom, left) in millimetres; the bottom one holds the page-number footer
MARGINS_MM = (14.0, 13.0, 16.0, 13.0)
_MM_PER_INCH = 25.4

PRINT_CSS = f"""
@page{{size:A4;margin:{MARGINS_MM[0]:g}mm {MARGINS_MM[1]:g}mm {MARGINS_MM[2]:g}mm {MARGINS_MM[3]:g}mm}}
@media print{{
body{{max-width:none;margin:0;padding:0;font-size:10pt;line-height:1.4}}
h1{{margin:.1em 0 .2em}}h2{{margin-top:1em}}
h1,h2,h3{{break-after:avoid;page-break-after:avoid}}
tr,li,img,figure,.warn,table.keep{{break-inside:avoid;page-break-inside:avoid}}
thead{{display:table-header-group}}
img{{max-height:125mm;width:auto}}
a{{color:inherit;text-decoration:none}}
button,input,select,textarea,nav,.no-print{{display:none!important}}
}}
"""

DEBIAN_PACKAGES = "chromium chromium-driver"
_BLOCKED = ["http://*", "https://*", "ws://*", "wss://*", "ftp://*"]
_FLAGS = (
    "--headless",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def find_chromium() -> tuple[str, str]:
    """Paths of the Chromium browser and its chromedriver; a clear error naming the packages when either (or Selenium) is missing."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if chromium is None or driver is None:
        what = " and ".join(n for n, p in (("Chromium", chromium), ("chromedriver", driver)) if p is None)
        raise errors.InputError(
            f"--pdf prints the report with headless Chromium, but {what} is not installed; install the Debian packages "
            f"{DEBIAN_PACKAGES} (`sudo apt-get install {DEBIAN_PACKAGES}`), or print report_<lang>.html from a browser"
        )
    try:
        import selenium  # noqa: F401 - only its presence is checked here
    except ImportError as exc:
        raise errors.InputError("--pdf drives Chromium through Selenium, which is not installed: `pip install 'accessibility[pdf]'` (or selenium)") from exc
    return chromium, driver


def _footer(lang: str) -> str:
    """Chromium's footer template: the page number of the total (its ``pageNumber``/``totalPages`` spans)."""
    text = html.escape(i18n.text("hl_page", lang, page="\x00", total="\x01"))
    text = text.replace("\x00", '<span class="pageNumber"></span>').replace("\x01", '<span class="totalPages"></span>')
    return f'<div style="width:100%;text-align:center;font-size:8pt;color:#555;font-family:sans-serif">{text}</div>'


def _print_options(lang: str) -> dict:
    top, right, bottom, left = (m / _MM_PER_INCH for m in MARGINS_MM)
    return {
        "paperWidth": A4_MM[0] / _MM_PER_INCH, "paperHeight": A4_MM[1] / _MM_PER_INCH,
        "marginTop": top, "marginRight": right, "marginBottom": bottom, "marginLeft": left,
        "printBackground": True, "displayHeaderFooter": True, "preferCSSPageSize": False,
        "headerTemplate": "<span></span>", "footerTemplate": _footer(lang),
    }


def write_pdf(html_path: str | Path, out: str | Path, *, lang: str, timeout_s: float = 120.0) -> Path:
    """Print a self-contained HTML page to an A4 PDF with headless Chromium (network blocked).

    Parameters
    ----------
    html_path
        The page (the report's ``report_<lang>.html``).
    out
        The PDF file to write.
    lang
        Language of the page-number footer.
    timeout_s
        Longest wait for the page to load.

    Returns
    -------
    Path
        ``out``.
    """
    chromium, driver_path = find_chromium()
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in _FLAGS:
        opts.add_argument(flag)
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # Chromium refuses to run as root inside its sandbox
        opts.add_argument("--no-sandbox")
    profile = tempfile.mkdtemp(prefix="acc-pdf-")
    opts.add_argument(f"--user-data-dir={profile}")
    try:
        driver = webdriver.Chrome(options=opts, service=Service(driver_path))
    except WebDriverException as exc:
        shutil.rmtree(profile, ignore_errors=True)
        raise errors.InputError(f"Chromium ({chromium}) did not start to print {html_path}: {exc.msg}; check the packages {DEBIAN_PACKAGES}") from exc
    try:
        driver.set_page_load_timeout(timeout_s)
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": _BLOCKED})
        driver.get(Path(html_path).resolve().as_uri())
        pdf = driver.execute_cdp_cmd("Page.printToPDF", _print_options(lang))
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    Path(out).write_bytes(base64.b64decode(pdf["data"]))
    return Path(out)


def pdf_pages(data: bytes) -> list[tuple[float, float]]:
    """(width, height) in points of each page of a PDF Chromium wrote (its ``/MediaBox``-es).

    Read from the bytes by hand: Chromium (Skia) writes page objects uncompressed, and
    a PDF library would be a dependency for these few numbers only.
    """
    boxes = re.findall(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]", data)
    return [(float(x1) - float(x0), float(y1) - float(y0)) for x0, y0, x1, y1 in boxes]
