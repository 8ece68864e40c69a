"""Headless Chromium for the map and report tests (Debian packages chromium + chromium-driver).

Selenium drives ``/usr/bin/chromedriver`` (no browser download). Every request
to a network host goes to a recording proxy on 127.0.0.1 that answers 403 and
connects nowhere (and Chromium resolves no host name itself), so a test sees
what a page *tried* to fetch while nothing leaves the machine. Local files a
page loads are read from the Resource Timing API. ``alert``/``confirm``/
``prompt`` are replaced before any page script runs and counted in
``window.__alerts``. (chromedriver's performance log is not used: reading it
after a 6 MB page takes ~20 s.)
"""

from __future__ import annotations

import http.server
import io
import re
import shutil
import socketserver
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import missing

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)


#: hosts Chromium asks by itself (sign-in probe, optimisation hints), whatever the page; the proxy refuses
#: them like everything else. Requests a *page* makes are read from Resource Timing, whatever the host.
BROWSER_OWN = re.compile(r"(^|\.)(google\.com|googleapis\.com|gvt1\.com)$")


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Proxy that records and refuses every request."""

    def _refuse(self) -> None:
        url = f"https://{self.path}" if self.command == "CONNECT" else self.path
        self.server.seen.append(url)  # type: ignore[attr-defined]
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_CONNECT = do_GET = do_HEAD = do_POST = do_PUT = do_OPTIONS = _refuse  # noqa: N815 - BaseHTTPRequestHandler's method names

    def log_message(self, *args) -> None:  # quiet
        pass


class _Proxy(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Recorder)
        self.seen: list[str] = []

_TRAP = """
performance.setResourceTimingBufferSize(100000);
window.__alerts = [];
for (const name of ["alert", "confirm", "prompt"]) {
  window[name] = function (msg) { window.__alerts.push(name + ":" + String(msg)); };
}
window.__errors = [];
const __err = console.error.bind(console);
console.error = function (...a) { window.__errors.push("console.error: " + a.map(String).join(" ")); __err(...a); };
window.addEventListener("error", e => window.__errors.push("error: " + (e.message || (e.target && (e.target.src || e.target.href)) || e.type)), true);
window.addEventListener("unhandledrejection", e => window.__errors.push("unhandled rejection: " + String(e.reason)));
window.addEventListener("securitypolicyviolation", e => window.__errors.push("CSP: " + e.violatedDirective + " " + e.blockedURI));
"""


@dataclass
class Page:
    """What a page did while loading."""

    url: str
    requests: list[str] = field(default_factory=list)  # every URL requested after navigation
    console: list[dict] = field(default_factory=list)  # browser log entries
    seconds: float = 0.0

    @property
    def external(self) -> list[str]:
        return [u for u in self.requests if u.split(":", 1)[0] in ("http", "https", "ws", "wss", "ftp")]

    @property
    def other_files(self) -> list[str]:
        """file:// requests other than the page itself."""
        return [u for u in self.requests if u.startswith("file:") and u.split("#")[0] != self.url]

    @property
    def errors(self) -> list[dict]:
        return [e for e in self.console if e.get("level") == "SEVERE"]


class Browser:
    """One headless Chromium session."""

    def __init__(self) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        driver = shutil.which("chromedriver")
        if chromium is None or driver is None:
            missing("Chromium and chromedriver", "install the Debian packages chromium and chromium-driver (.ci/run does)")
        opts = webdriver.ChromeOptions()
        opts.binary_location = chromium
        for flag in CHROMIUM_FLAGS:
            opts.add_argument(flag)
        self._profile = tempfile.mkdtemp(prefix="acc-chromium-")
        opts.add_argument(f"--user-data-dir={self._profile}")
        self.proxy = _Proxy()
        threading.Thread(target=self.proxy.serve_forever, daemon=True).start()
        opts.add_argument(f"--proxy-server=http://127.0.0.1:{self.proxy.server_address[1]}")
        opts.add_argument("--proxy-bypass-list=<-loopback>")
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        # no preconnects: Chromium learns the hosts earlier file:// pages used (file:// is one origin
        # to its predictor) and would open tunnels to them while a later, offline page loads
        opts.add_experimental_option("prefs", {"net.network_prediction_options": 2})
        self.driver = webdriver.Chrome(options=opts, service=Service(driver))
        self.driver.set_page_load_timeout(60)
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _TRAP})

    def _quiet(self, *, idle_s: float = 0.3, max_s: float = 5.0) -> None:
        """Wait until the proxy has seen nothing new for ``idle_s``: connections a cancelled page
        opened can reach it after the next navigation started (seen in CI on a busy machine)."""
        deadline = time.monotonic() + max_s
        n = -1
        while n != len(self.proxy.seen) and time.monotonic() < deadline:
            n = len(self.proxy.seen)
            time.sleep(idle_s)

    def _drain(self, console: bool = True) -> tuple[list[str], list[dict]]:
        urls, self.proxy.seen[:] = list(self.proxy.seen), []
        return urls, (self.driver.get_log("browser") if console else [])

    def open(self, path: Path, *, ready: str = "return document.readyState === 'complete'", settle_s: float = 0.5, console_log: bool = True) -> Page:
        """Load a local file and wait until ``ready`` (JS returning a bool) holds.

        ``console_log=False`` skips chromedriver's console log (slow after multi-MB pages); the
        page's own error trap (exceptions, console.error, CSP violations) is always read.
        """
        self.driver.get("about:blank")  # end the previous page (its late requests must not count here)
        self._quiet()
        self._drain()
        url = path.resolve().as_uri()
        t0 = time.perf_counter()
        self.driver.get(url)
        deadline = time.monotonic() + 30
        while not self.driver.execute_script(ready):
            if time.monotonic() > deadline:
                raise AssertionError(f"{path.name}: page not ready after 30 s")
            time.sleep(0.05)
        seconds = time.perf_counter() - t0
        time.sleep(settle_s)  # let late requests (tiles, images) arrive
        proxied, console = self._drain(console_log)
        console += [{"level": "SEVERE", "message": m, "source": "page"} for m in self.driver.execute_script("return window.__errors")]
        # what the page fetched (Resource Timing lists failed requests too), and whatever else reached
        # the proxy, except Chromium's own background requests (refused like everything else)
        urls = self.driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        page_hosts = {u.split("/")[2].split(":")[0] for u in urls if u.startswith(("http:", "https:"))}
        for u in proxied:
            host = u.split("/")[2].rsplit(":", 1)[0]
            if host not in page_hosts and not BROWSER_OWN.search(host):
                urls.append(u)
        return Page(url=url, requests=[u for u in urls if not u.startswith(("chrome:", "data:", "about:", "blob:"))], console=console, seconds=seconds)

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def screenshot(self):
        """The viewport as a Pillow image."""
        from PIL import Image

        return Image.open(io.BytesIO(self.driver.get_screenshot_as_png())).convert("RGB")

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            self.proxy.shutdown()
            self.proxy.server_close()
            shutil.rmtree(self._profile, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    b = Browser()
    yield b
    b.close()


def distinct_colours(img, step: int = 4) -> int:
    """Number of distinct colours on a grid of pixels (a blank page has one or two)."""
    import numpy as np

    small = np.asarray(img.convert("RGB").resize((img.width // step, img.height // step)))
    return len(np.unique(small.reshape(-1, 3), axis=0))
