"""Shared fixtures: the real open-data pack (read in place) and tiny factories."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _shared_data_dir() -> Path:
    env = os.environ.get("ESTATESPLAN_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real open-data pack, read in place; never copied into the repository.

    Skipped with a reason when absent, except under ``CI=true``, where a missing
    pack is a failure.
    """
    path = _shared_data_dir()
    if not (path / "london" / "camden").is_dir():
        reason = f"real open-data pack not found at {path} (set ESTATESPLAN_SHARED_DATA)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def camden_dir(shared_data: Path) -> Path:
    """The Camden folder of the pack."""
    return shared_data / "london" / "camden"


@pytest.fixture(scope="session")
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _isolated_cache(_session_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never use the user's cache directory.

    One folder per test session (per xdist worker): entries are keyed by content
    digests, so sharing them between tests is safe and saves rebuilding matrices.
    """
    monkeypatch.setenv("ESTATESPLAN_CACHE_DIR", str(_session_cache))


@pytest.fixture(autouse=True)
def _keep_main_module() -> Iterator[None]:
    """Put back ``sys.modules["__main__"]`` after each test.

    Streamlit's AppTest runs its script as ``__main__`` and can leave that module in
    place; a later test that starts worker processes by spawning (Dask's LocalCluster)
    then re-runs the AppTest script in the child, which fails to start. Seen once the
    app tests and the Dask tests shared an xdist worker.
    """
    main = sys.modules.get("__main__")
    yield
    if main is not None and sys.modules.get("__main__") is not main:
        sys.modules["__main__"] = main
