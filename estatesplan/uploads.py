"""A study from files a user uploads (in the map app), validated like any other study.

The uploaded bytes are written, under their own (sanitised) file names, into a folder
named by a digest of their contents, beside a study config written for them; the study
is then loaded through :func:`estatesplan.workspace.load_workspace`, so the very same
readers and data contracts check them as for ``estatesplan run``, and error messages
name the uploaded file. Uploading the same files again reuses the folder. Nothing is
executed or unpickled: the files are read only by the geospatial readers (GeoPackage,
GeoJSON, CSV) and the OSM extract reader.

What can be uploaded: zones (required: polygons with ``zone_id`` and ``population``,
optionally the Census age bands and other cohort columns), assets (required: points, or
a CSV with easting/northing or longitude/latitude, with the asset contract's columns),
neighbourhoods (optional polygons with ``neighbourhood_id`` and ``name``; without them,
neighbourhoods are proposed from the zones) and a street extract (optional
``.osm.pbf``; with it, travel times, access, carbon and co-location are computed too)
and a public transport timetable (optional GTFS ``.zip``, with the street extract; with it
the ``transit`` mode is measured too).
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import tomli_w

from .cache import cache_dir
from .errors import DataSourceError

if TYPE_CHECKING:
    from .progress import Progress
    from .workspace import Workspace

__all__ = ["LAYER_SUFFIXES", "MAX_UPLOAD_BYTES", "Upload", "prepare_uploads", "study_from_uploads"]

logger = logging.getLogger(__name__)

LAYER_SUFFIXES: Final = {
    "zones": (".gpkg", ".geojson", ".json"),
    "assets": (".gpkg", ".geojson", ".json", ".csv"),
    "neighbourhoods": (".gpkg", ".geojson", ".json"),
    "network": (".osm.pbf", ".pbf", ".osm"),
    "timetable": (".zip",),
}
"""File types accepted per upload slot."""
MAX_UPLOAD_BYTES: Final = 500 * 1024 * 1024
"""Largest file accepted (500 MiB)."""
_SAFE: Final = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the name the user's browser gave and its bytes."""

    name: str
    data: bytes


def _safe_name(slot: str, name: str) -> str:
    base = _SAFE.sub("_", Path(name).name).strip("._") or slot
    lower = base.lower()
    suffixes = LAYER_SUFFIXES[slot]
    if not lower.endswith(suffixes):
        msg = (
            f"{name}: not a {slot} file this app can read; give one of "
            f"{', '.join(suffixes)}."
        )
        raise DataSourceError(msg)
    return base


def _check(slot: str, up: Upload) -> str:
    name = _safe_name(slot, up.name)
    if not up.data:
        msg = f"{up.name}: the uploaded {slot} file is empty; upload it again."
        raise DataSourceError(msg)
    if len(up.data) > MAX_UPLOAD_BYTES:
        msg = (
            f"{up.name}: {len(up.data) / 2**20:,.0f} MiB is larger than the "
            f"{MAX_UPLOAD_BYTES / 2**20:,.0f} MiB the app accepts; run "
            "`estatesplan run CONFIG` on it instead."
        )
        raise DataSourceError(msg)
    return name


def prepare_uploads(
    files: Mapping[str, Upload | None],
    *,
    name: str = "Uploaded study",
    folder: str | Path | None = None,
) -> Path:
    """Write uploaded files and a study config for them; return the config's path.

    Parameters
    ----------
    files
        Slot ("zones", "assets", "neighbourhoods", "network", "timetable") → upload or
        None. Zones and assets are required; a timetable needs the network too.
    name
        Study name shown in the app.
    folder
        Parent folder (default: ``<cache>/uploads``); the files go into a sub-folder
        named by a digest of their contents and names, written atomically (a
        temporary folder renamed into place).

    Returns
    -------
    Path
        ``study.toml`` in that folder.

    Raises
    ------
    DataSourceError
        A required file missing, an unknown slot, a file type that cannot be read, an
        empty or too large file.
    """
    unknown = sorted(set(files) - set(LAYER_SUFFIXES))
    if unknown:
        msg = f"unknown upload slot(s) {', '.join(unknown)}; use {', '.join(LAYER_SUFFIXES)}."
        raise DataSourceError(msg)
    missing = [slot for slot in ("zones", "assets") if files.get(slot) is None]
    if missing:
        msg = (
            f"upload the {' and '.join(missing)} file(s) too: a study needs zones "
            "(polygons with zone_id and population) and assets."
        )
        raise DataSourceError(msg)
    if files.get("timetable") is not None and files.get("network") is None:
        msg = (
            "upload the street network (.osm.pbf) too: public transport times need it for the "
            "walks to and from stops."
        )
        raise DataSourceError(msg)
    named: dict[str, tuple[str, bytes]] = {}
    h = hashlib.sha256(name.encode())
    for slot in LAYER_SUFFIXES:
        up = files.get(slot)
        if up is None:
            continue
        fname = _check(slot, up)
        if any(fname == other for other, _ in named.values()):
            fname = f"{slot}_{fname}"
        named[slot] = (fname, up.data)
        h.update(slot.encode() + b"\0" + fname.encode() + b"\0" + up.data)
    parent = Path(folder) if folder is not None else cache_dir() / "uploads"
    target = parent / h.hexdigest()[:20]
    toml = target / "study.toml"
    if toml.is_file():
        return toml
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".upload-", dir=parent))
    try:
        for fname, data in named.values():
            (staging / fname).write_bytes(data)
        (staging / "study.toml").write_text(tomli_w.dumps(_config(name, named)), "utf-8")
        try:
            staging.rename(target)
        except OSError:  # written meanwhile by another session: same contents
            if not toml.is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("uploads written to %s: %s", target, ", ".join(f for f, _ in named.values()))
    return toml


def _config(name: str, named: Mapping[str, tuple[str, bytes]]) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "study": {"name": name, "synthetic": False},
        "zones": {"file": named["zones"][0]},
        "assets": {"files": [{"path": named["assets"][0]}]},
    }
    if "neighbourhoods" in named:
        cfg["neighbourhoods"] = {"file": named["neighbourhoods"][0], "method": "file"}
    if "network" in named:
        cfg["network"] = {"osm": named["network"][0]}
    if "timetable" in named:
        cfg["transit"] = {"gtfs": named["timetable"][0]}
    return cfg


def study_from_uploads(
    files: Mapping[str, Upload | None],
    *,
    name: str = "Uploaded study",
    folder: str | Path | None = None,
    progress: Progress | None = None,
) -> Workspace:
    """Load a study from uploaded files (see :func:`prepare_uploads`).

    Returns
    -------
    Workspace
        The study with its config.

    Raises
    ------
    EstatesplanError
        As :func:`prepare_uploads`, or when the files break the data contracts (the
        message names the file, the column or rows and what to do).
    """
    from .workspace import load_workspace

    return load_workspace(prepare_uploads(files, name=name, folder=folder), progress=progress)
