"""Small file helpers: atomic writes and readable errors for missing or empty inputs."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import DataSourceError

__all__ = ["atomic_path", "check_input_file", "write_text_atomic"]


def check_input_file(path: str | os.PathLike[str], *, what: str) -> Path:
    """Return ``path`` as a Path after checking that it exists and is not empty.

    Parameters
    ----------
    path
        File to check.
    what
        What the file is meant to hold, for the message (e.g. "Census TS007A age table").

    Returns
    -------
    Path
        The same path.

    Raises
    ------
    DataSourceError
        If the file does not exist, is a directory, or has zero bytes.
    """
    p = Path(path)
    if not p.exists():
        msg = f"{what}: file not found: {p}. Check the path (relative paths in a study config are relative to the config file)."
        raise DataSourceError(msg)
    if p.is_dir():
        msg = f"{what}: {p} is a directory, expected a file."
        raise DataSourceError(msg)
    if p.stat().st_size == 0:
        msg = f"{what}: file is empty (0 bytes): {p}. Re-download or re-export it."
        raise DataSourceError(msg)
    return p


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    Nothing is left at ``target`` (and the temporary file is removed) if the block
    raises, so a failed export never leaves a half-written file.

    Parameters
    ----------
    target
        The final file path.

    Yields
    ------
    Path
        A temporary path in the same directory, with the same suffix.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=f".tmp{target.suffix}", dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp
        tmp.replace(target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text_atomic(target: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``target`` atomically and return the path.

    Parameters
    ----------
    target
        The final file path.
    text
        Content to write.

    Returns
    -------
    Path
        ``target`` as a Path.
    """
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)
