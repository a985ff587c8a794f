"""A real browser on the real app: start the Streamlit server headless, wait for its
health endpoint, load the page in headless Chromium (Debian's ``chromium``) and check
that the estate map and its layers are drawn; a screenshot is kept for inspection.

Under ``CI=true`` a missing Chromium or Playwright is a failure (``dev.py test`` installs
Debian's chromium when it can); elsewhere the test is skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.app, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
STARTUP_S = 240.0  # the first page builds the demo study when its cache is cold


def _need(what: str, ok: bool) -> None:
    if ok:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} is needed for the browser test under CI=true")
    pytest.skip(f"{what} is not installed")


def _chromium() -> str:
    path = os.environ.get("ESTATESPLAN_CHROMIUM") or shutil.which("chromium") or ""
    _need("Debian's chromium (apt-get install chromium)", bool(path))
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"the Streamlit server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # localhost only
                if r.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"no answer from {url} within {timeout:.0f} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    env = dict(os.environ, ESTATESPLAN_STUDY="demo", PYTHONWARNINGS="ignore")
    # the packaged entry point, as `estatesplan app` and `estatesplan demo --serve` run it
    cmd = [sys.executable, "-m", "estatesplan.cli", "app", "demo", "--port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
        try:
            _wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", proc, 90.0)
            yield f"http://127.0.0.1:{port}"
        finally:
            os.killpg(proc.pid, signal.SIGTERM)  # the CLI and the Streamlit server it started
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def _map_frame(page: object, deadline: float) -> object:
    """The frame (the map component's iframe) holding a Leaflet map with drawn paths."""
    while time.monotonic() < deadline:
        for frame in page.frames:  # type: ignore[attr-defined]
            try:
                if frame.locator(".leaflet-container path.leaflet-interactive").count() > 0:
                    return frame
            except Exception:  # frames come and go while the app reruns
                continue
        page.wait_for_timeout(1000)  # type: ignore[attr-defined]  # lets Playwright process events
    pytest.fail("no Leaflet map with drawn layers appeared")


def test_map_page_draws_the_map_and_its_layers(server: str, tmp_path: Path) -> None:
    chromium = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("playwright (the test extra)", False)
        raise
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )  # fmt: skip
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(server, wait_until="domcontentloaded", timeout=60_000)
            deadline = time.monotonic() + STARTUP_S
            page.get_by_text("Synthetic data", exact=False).first.wait_for(timeout=STARTUP_S * 1000)
            frame = _map_frame(page, deadline)
            paths = frame.locator(".leaflet-container path.leaflet-interactive").count()  # type: ignore[attr-defined]
            overlays = frame.locator(".leaflet-control-layers-overlays label").count()  # type: ignore[attr-defined]
            page.wait_for_timeout(1500)
            shot = tmp_path / "estate_map.png"
            page.screenshot(path=str(shot), full_page=False)
            body = page.inner_text("body")
        finally:
            browser.close()
    # the demo's 150 zones are drawn as polygons and its assets as markers
    assert paths >= 150, paths
    assert overlays >= 2, overlays  # zones, neighbourhoods, asset groups in the layer control
    assert "Demoborough" in body and "Estate map" in body
    assert shot.stat().st_size > 30_000
    out = os.environ.get("ESTATESPLAN_SCREENSHOT_DIR")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(out) / shot.name)
