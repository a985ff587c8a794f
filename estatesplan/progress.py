"""Progress reporting as a plain callback, so the core never depends on a UI library."""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["Progress", "null_progress", "tqdm_progress"]


class Progress(Protocol):
    """Called as work advances: ``progress(done, total, label)``."""

    def __call__(self, done: int, total: int, label: str) -> None:
        """Report that ``done`` of ``total`` steps of ``label`` are finished."""


def null_progress(done: int, total: int, label: str) -> None:
    """Ignore progress.

    Parameters
    ----------
    done
        Steps finished.
    total
        Steps in all.
    label
        What is being done.
    """


class _TqdmProgress:
    """Adapter that drives one tqdm bar, re-labelled as stages change."""

    def __init__(self, **kwargs: Any) -> None:
        from tqdm.auto import tqdm

        self._tqdm = tqdm
        self._kwargs = kwargs
        self._bar: Any = None

    def __call__(self, done: int, total: int, label: str) -> None:
        if self._bar is None or self._bar.total != total:
            if self._bar is not None:
                self._bar.close()
            self._bar = self._tqdm(total=total, **self._kwargs)
        self._bar.set_description_str(label)
        self._bar.n = done
        self._bar.refresh()
        if done >= total:
            self._bar.close()
            self._bar = None


def tqdm_progress(**kwargs: Any) -> Progress:
    """Return a progress callback that draws a tqdm bar (terminal or notebook).

    Parameters
    ----------
    **kwargs
        Passed to ``tqdm`` (e.g. ``disable=True``, ``leave=False``).

    Returns
    -------
    Progress
        A callable ``(done, total, label) -> None``.
    """
    return _TqdmProgress(**kwargs)
