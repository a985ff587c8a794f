#!/usr/bin/env python3
"""Set up a virtual environment and run estatesplan's main jobs.

    python3 dev.py demo   build the synthetic demo study into ./demo-study and serve the map app
    python3 dev.py test   run the whole test suite (lint, types, unit, integration, app, browser,
                          notebooks, doctests); installs Debian's chromium first when missing
    python3 dev.py setup  only create or update the environment

Needs nothing but Python 3.11+ and git. The environment lives in ./.venv (override with
ESTATESPLAN_VENV); it is created when absent and reinstalled only when pyproject.toml or
requirements/constraints.txt change. Extra arguments after `test` go to pytest, after `demo`
to `estatesplan demo`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("ESTATESPLAN_VENV", ROOT / ".venv"))
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"
STAMP = VENV / ".estatesplan-installed"


def _bin(name: str) -> Path:
    sub = "Scripts" if os.name == "nt" else "bin"
    suffix = ".exe" if os.name == "nt" else ""
    return VENV / sub / f"{name}{suffix}"


def _fingerprint() -> str:
    h = hashlib.sha256()
    for f in (ROOT / "pyproject.toml", CONSTRAINTS):
        if f.is_file():
            h.update(f.read_bytes())
    h.update(sys.version.encode())
    return h.hexdigest()


def _run(cmd: list[str], **kwargs: object) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, **kwargs)  # type: ignore[call-overload]


def setup() -> None:
    """Create ./.venv if absent and install estatesplan with its extras and test tools."""
    if sys.version_info < (3, 11):
        sys.exit(f"estatesplan needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not _bin("python").exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    want = _fingerprint()
    if STAMP.is_file() and STAMP.read_text() == want:
        return
    py = str(_bin("python"))
    cmd = [py, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", ".[all,test,bench]"]
    if CONSTRAINTS.is_file():
        cmd[6:6] = ["-c", str(CONSTRAINTS)]
    _run(cmd)
    STAMP.write_text(want)


def demo(args: list[str]) -> int:
    """Build the demo study into ./demo-study and serve the app."""
    setup()
    cmd = [str(_bin("estatesplan")), "demo", "--out", "demo-study", "--serve", *args]
    print("+", " ".join(cmd), flush=True)
    try:
        return subprocess.call(cmd, cwd=ROOT)
    except KeyboardInterrupt:
        return 0


def _ensure_chromium() -> None:
    """Install Debian's chromium for the browser test when it is missing and we can (root
    with apt-get); otherwise the test skips (or fails under CI=true) and says why."""
    import shutil

    if shutil.which("chromium") or os.environ.get("ESTATESPLAN_CHROMIUM"):
        return
    if not shutil.which("apt-get") or not hasattr(os, "geteuid") or os.geteuid() != 0:
        print("note: chromium is not installed; the browser test needs Debian's chromium",
              flush=True)  # fmt: skip
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"]):  # fmt: skip
        print("+", " ".join(cmd), flush=True)
        if subprocess.call(cmd, env=env):
            print("note: could not install chromium; the browser test will say so", flush=True)
            return


def test(args: list[str]) -> int:
    """Lint and type-check, then run every test (unit, integration, app, browser, notebooks)
    and the doctests."""
    setup()
    _ensure_chromium()
    py = str(_bin("python"))
    for name, check in (
        ("ruff", [py, "-m", "ruff", "check", "estatesplan", "tests", "app.py", "dev.py"]),
        ("mypy --strict", [py, "-m", "mypy"]),
    ):
        print("+", " ".join(check), flush=True)
        status = subprocess.call(check, cwd=ROOT)
        if status:
            print(f"{name} found problems (above)", file=sys.stderr)
            return status
    workers = "2" if (os.cpu_count() or 1) >= 2 else "0"
    cmd = [py, "-m", "pytest", "-n", workers, "--doctest-modules", "estatesplan", "tests", *args]
    print("+", " ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=ROOT)


def main() -> int:
    """Dispatch ``demo``, ``test`` or ``setup``."""
    if len(sys.argv) < 2 or sys.argv[1] not in {"demo", "test", "setup"}:
        print(__doc__)
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    if command == "setup":
        setup()
        return 0
    return demo(rest) if command == "demo" else test(rest)


if __name__ == "__main__":
    sys.exit(main())
