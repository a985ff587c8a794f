"""A content-addressed disk cache: results keyed by a digest of their inputs and settings.

The key hashes the bytes of every input file, every setting that changes the result
and the estatesplan version, so a re-run with nothing changed is instant and any
change rebuilds. An entry that cannot be read is rebuilt, never trusted. Entries are
plain files (Parquet, GeoPackage, JSON), never pickles.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from ._io import atomic_path

__all__ = ["cache_dir", "cache_key", "file_digest", "load_or_build"]

logger = logging.getLogger(__name__)
T = TypeVar("T")

_DIGESTS: dict[tuple[str, int, int], str] = {}


def cache_dir() -> Path:
    """Return the per-user cache folder: ``$ESTATESPLAN_CACHE_DIR``, else the XDG cache.

    Returns
    -------
    Path
        The folder (created on first write, not here).
    """
    env = os.environ.get("ESTATESPLAN_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "estatesplan"


def file_digest(path: str | os.PathLike[str]) -> str:
    """Return the SHA-256 of a file's bytes (memoised by path, size and mtime).

    Parameters
    ----------
    path
        File to hash.

    Returns
    -------
    str
        64 hex characters.
    """
    p = Path(path)
    st = p.stat()
    memo = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    if memo in _DIGESTS:
        return _DIGESTS[memo]
    h = hashlib.sha256()
    with p.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    digest = h.hexdigest()
    if len(_DIGESTS) > 256:  # bounded memo: a long-lived app process must not grow it forever
        _DIGESTS.clear()
    _DIGESTS[memo] = digest
    return digest


def cache_key(kind: str, *, files: Iterable[str | os.PathLike[str]] = (), **settings: Any) -> str:
    """Return the cache key for a result built from ``files`` with ``settings``.

    Parameters
    ----------
    kind
        What is cached (e.g. ``"matrix"``), part of the key.
    files
        Input files whose bytes the result depends on.
    **settings
        Every setting that changes the result; must be JSON-serialisable (arrays and
        frames should be passed as their own digests).

    Returns
    -------
    str
        64 hex characters.

    Examples
    --------
    >>> cache_key("matrix", mode="walk", cutoff_min=30) == cache_key("matrix", cutoff_min=30, mode="walk")
    True
    >>> cache_key("matrix", mode="walk") == cache_key("matrix", mode="drive")
    False
    """
    from . import __version__

    payload = {
        "kind": kind,
        "version": __version__,
        "files": sorted(file_digest(f) for f in files),
        "settings": settings,
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def load_or_build(
    key: str,
    *,
    suffix: str,
    build: Callable[[], T],
    save: Callable[[T, Path], None],
    load: Callable[[Path], T],
    folder: str | os.PathLike[str] | None = None,
) -> T:
    """Return the cached result for ``key``, building and storing it when absent or unreadable.

    Parameters
    ----------
    key
        From :func:`cache_key`.
    suffix
        File suffix of the entry (e.g. ``".parquet"``).
    build
        Computes the result.
    save
        Writes a result to a path (called on a temporary path, then renamed).
    load
        Reads a result from a path; any exception means "unreadable".
    folder
        Cache folder (default :func:`cache_dir`).

    Returns
    -------
    object
        The result, from the cache or freshly built.
    """
    base = Path(folder) if folder is not None else cache_dir()
    path = base / key[:2] / f"{key}{suffix}"
    if path.is_file():
        try:
            result = load(path)
        except Exception as err:  # an unreadable entry is rebuilt, never trusted
            logger.warning("cache entry %s unreadable (%s); rebuilding", path.name, err)
        else:
            logger.debug("cache hit %s", path.name)
            return result
    t0 = time.perf_counter()
    result = build()
    try:
        with atomic_path(path) as tmp:
            save(result, tmp)
    except OSError as err:  # a read-only or full cache must not fail the analysis
        logger.warning("could not write cache entry %s (%s)", path, err)
    logger.debug("cache miss %s: built in %.1f s", path.name, time.perf_counter() - t0)
    return result
