"""Under CI=true a missing real-data pack fails the run; elsewhere those tests skip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA_TEST = "tests/unit/test_config.py::test_camden_example_parses"


def _run(ci: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CI=ci, ESTATESPLAN_SHARED_DATA=str(tmp_path / "no-pack-here"))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", DATA_TEST],
        cwd=REPO, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(("ci", "outcome", "code"), [("true", "1 error", 1), ("", "1 skipped", 0)])
def test_missing_pack(tmp_path: Path, ci: str, outcome: str, code: int) -> None:
    res = _run(ci, tmp_path)
    assert res.returncode == code, res.stdout
    assert outcome in res.stdout
    assert "real open-data pack not found" in res.stdout
