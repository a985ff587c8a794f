"""Export a whole study, or the part of it in view (:mod:`estatesplan.export_view`), as
files other tools open.

Files: GeoJSON per layer (RFC 7946, EPSG:4326, through :func:`estatesplan.export.geojson_dict`),
one GeoPackage (layers in the analysis CRS, tables as attribute tables), CSV (layers
without geometry and tables) and a ``manifest.json`` with the view, counts, sources and
licences. Each is available as bytes (for downloads) or written to a folder
(:func:`write_bundle`), where files replace the old ones only once all were written.
Every file of a synthetic study says so.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any, Final

import pandas as pd
import pyogrio

from . import contracts as c
from . import export as _export
from .errors import ConfigError, DataSourceError
from .export_view import ExportSelection, ExportView, current_view, select_view
from .study import Study

__all__ = [
    "LAYER_CSV",
    "MANIFEST",
    "ExportSelection",
    "ExportView",
    "bundle_zip_bytes",
    "csv_zip_bytes",
    "current_view",
    "download_files",
    "file_name",
    "geojson_bytes",
    "gpkg_bytes",
    "manifest_dict",
    "select_view",
    "write_bundle",
]

logger = logging.getLogger(__name__)

MANIFEST: Final = "manifest.json"
GPKG_NAME: Final = "study.gpkg"
LAYER_CSV: Final[tuple[str, ...]] = ("assets", "zones", "neighbourhoods")
"""Layers also written as CSV (without geometry)."""

def _meta(sel: ExportSelection) -> dict[str, Any]:
    return {"study": sel.study_name, "view": sel.view.describe(),
            "config_digest": sel.config_digest}  # fmt: skip


def geojson_bytes(sel: ExportSelection, layer: str) -> bytes:
    """Return one layer as RFC 7946 GeoJSON (UTF-8 bytes).

    Parameters
    ----------
    sel
        The selection.
    layer
        A key of ``sel.layers`` ("assets", "zones", …).

    Returns
    -------
    bytes
        A FeatureCollection in EPSG:4326 (longitude, latitude), no ``crs`` member,
        with the study, view and (when synthetic) the notice under ``estatesplan``.

    Raises
    ------
    ConfigError
        If the selection has no such layer.
    """
    if layer not in sel.layers:
        msg = f"no layer {layer!r} in this export; layers: {', '.join(sel.layers)}."
        raise ConfigError(msg)
    doc = _export.geojson_dict(
        sel.layers[layer], name=layer, synthetic=sel.synthetic, metadata=_meta(sel)
    )
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def _flagged(frame: pd.DataFrame, synthetic: bool) -> pd.DataFrame:
    out = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    return out.assign(**{c.SYNTHETIC: True}) if synthetic else out


def _csv_files(sel: ExportSelection) -> dict[str, bytes]:
    frames = {n: sel.layers[n] for n in LAYER_CSV if n in sel.layers} | sel.tables
    return {
        f"{name}.csv": _flagged(frame, sel.synthetic).to_csv(index=False).encode("utf-8")
        for name, frame in frames.items()
    }


def manifest_dict(sel: ExportSelection, files: Iterable[str] = ()) -> dict[str, Any]:
    """Return the manifest of an export: study, view, counts, left-out tables, sources.

    Parameters
    ----------
    sel
        The selection.
    files
        Names of the files in the export.

    Returns
    -------
    dict
        JSON-ready: ``study``, ``synthetic``, ``notice``, ``view`` (fields and words),
        ``analysis_crs``, ``layers`` and ``tables`` (row counts), ``left_out``,
        ``sources`` (with licences) and ``files``.
    """
    from . import __version__

    crs = next((str(g.crs) for g in sel.layers.values() if g.crs is not None), None)
    return {
        "study": sel.study_name,
        "synthetic": sel.synthetic,
        "notice": _export.SYNTHETIC_NOTICE if sel.synthetic else None,
        "estatesplan_version": __version__,
        "config_digest": sel.config_digest,
        "view": {**asdict(sel.view), "description": sel.view.describe()},
        "analysis_crs": crs,
        "geojson_crs": "EPSG:4326 (RFC 7946, longitude/latitude)",
        "layers": {n: len(g) for n, g in sel.layers.items()},
        "tables": {n: len(t) for n, t in sel.tables.items()},
        "left_out": sel.left_out,
        "sources": [asdict(s) for s in sel.sources],
        "files": sorted(files),
    }


def _manifest_bytes(sel: ExportSelection, files: Iterable[str]) -> bytes:
    text = json.dumps(manifest_dict(sel, files), indent=2, default=str, allow_nan=False)
    return text.encode("utf-8")


def _zip(files: Mapping[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def csv_zip_bytes(sel: ExportSelection) -> bytes:
    """Return a zip of CSVs: the assets, zones and neighbourhoods layers without geometry,
    every table of the view, and ``manifest.json``.

    Parameters
    ----------
    sel
        The selection.

    Returns
    -------
    bytes
        The zip archive (UTF-8 CSVs with a ``synthetic`` column for the demo).
    """
    files = _csv_files(sel)
    files[MANIFEST] = _manifest_bytes(sel, [*files, MANIFEST])
    return _zip(files)


def bundle_zip_bytes(sel: ExportSelection, *, report_html: str | None = None) -> bytes:
    """Return a zip of every layer as GeoJSON, every CSV, the manifest and the report.

    Parameters
    ----------
    sel
        The selection.
    report_html
        The HTML report to add as ``report.html``; None leaves it out.

    Returns
    -------
    bytes
        The zip archive.
    """
    files = {f"{n}.geojson": geojson_bytes(sel, n) for n in sel.layers} | _csv_files(sel)
    if report_html is not None:
        files["report.html"] = report_html.encode("utf-8")
    files[MANIFEST] = _manifest_bytes(sel, [*files, MANIFEST])
    return _zip(files)


def _write_gpkg(sel: ExportSelection, path: Path) -> Path:
    """Layers (analysis CRS) and tables (attribute tables) into one new GeoPackage."""
    _export.to_gpkg(sel.layers, path, synthetic=sel.synthetic)
    meta = {"synthetic": str(sel.synthetic).lower()}
    for name, table in sel.tables.items():
        frame = _flagged(table, sel.synthetic)
        for col in frame.columns:  # GDAL has no type for Python objects: store them as text
            if frame[col].dtype == object:
                frame[col] = frame[col].map(lambda v: v if v is None else str(v))
        pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG", layer_metadata=meta)
    return path


def gpkg_bytes(sel: ExportSelection) -> bytes:
    """Return a GeoPackage of the view's layers and tables.

    Parameters
    ----------
    sel
        The selection.

    Returns
    -------
    bytes
        A GeoPackage file: the layers in the analysis CRS (EPSG:27700 by default) and
        each table as an attribute table of the same name.
    """
    with tempfile.TemporaryDirectory(prefix="estatesplan-gpkg-") as tmp:
        path = _write_gpkg(sel, Path(tmp) / GPKG_NAME)
        return path.read_bytes()


def file_name(study_name: str, view: ExportView, name: str) -> str:
    """Return a download's file name: the study name as a slug, "-view" for a view, ``name``.

    Examples
    --------
    >>> file_name("Demoborough (synthetic)", ExportView(cohort="over_65"), "report.html")
    'demoborough-synthetic-view-report.html'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", study_name.lower()).strip("-") or "study"
    return f"{slug}-{name}" if view.is_whole_study else f"{slug}-view-{name}"


def download_files(study: Study, view: ExportView | None = None) -> dict[str, bytes]:
    """Return every download of a study or a view.

    Parameters
    ----------
    study
        The study.
    view
        What to export; None exports the whole study.

    Returns
    -------
    dict of str to bytes
        In this order: ``<layer>.geojson`` for each layer (RFC 7946), ``study.gpkg``,
        ``tables.zip`` (CSVs and the manifest) and ``report.html``; name the files with
        :func:`file_name`.

    Raises
    ------
    ConfigError
        If the view names values the study does not have.
    """
    from .report import build_report

    t0 = time.perf_counter()
    sel = select_view(study, view)
    files = {f"{n}.geojson": geojson_bytes(sel, n) for n in sel.layers}
    files[GPKG_NAME] = gpkg_bytes(sel)
    files["tables.zip"] = csv_zip_bytes(sel)
    files["report.html"] = build_report(study, view=sel.view).encode("utf-8")
    logger.info("downloads (%s): %d files, %.1f MB in %.2f s", sel.view.describe(), len(files),
                sum(map(len, files.values())) / 1e6, time.perf_counter() - t0)  # fmt: skip
    return files


def write_bundle(
    study: Study,
    out_dir: str | os.PathLike[str],
    *,
    view: ExportView | None = None,
    report: bool = True,
) -> dict[str, Path]:
    """Write a study, or a view of it, into a folder: GeoJSON, GeoPackage, CSV, report.

    Writes ``<layer>.geojson`` for every layer (RFC 7946), ``study.gpkg``, ``<name>.csv``
    for the layers and tables, ``report.html`` (see :mod:`estatesplan.report`) and
    ``manifest.json``. Files go to a temporary folder beside ``out_dir`` first and
    replace existing files only once all were written; other files in ``out_dir`` are
    left alone.

    Parameters
    ----------
    study
        The study.
    out_dir
        Output folder; created if missing, but its parent must exist.
    view
        What to export; None exports the whole study.
    report
        Also write the self-contained HTML report.

    Returns
    -------
    dict of str to Path
        File name → written path.

    Raises
    ------
    DataSourceError
        If the parent of ``out_dir`` does not exist or ``out_dir`` is a file.
    ConfigError
        If the view names values the study does not have.
    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    if not out.parent.is_dir():
        msg = (
            f"cannot export to {out}: its folder {out.parent} does not exist. "
            "Create it first or choose another output folder."
        )
        raise DataSourceError(msg)
    if out.exists() and not out.is_dir():
        msg = f"cannot export to {out}: it is a file, not a folder. Choose a folder."
        raise DataSourceError(msg)
    sel = select_view(study, view)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        files: dict[str, bytes] = {f"{n}.geojson": geojson_bytes(sel, n) for n in sel.layers}
        files |= _csv_files(sel)
        if report:
            from .report import build_report

            files["report.html"] = build_report(study, view=sel.view).encode("utf-8")
        for name, data in files.items():
            (staging / name).write_bytes(data)
        _write_gpkg(sel, staging / GPKG_NAME)
        names = [*files, GPKG_NAME, MANIFEST]
        (staging / MANIFEST).write_bytes(_manifest_bytes(sel, names))
        out.mkdir(exist_ok=True)
        final: dict[str, Path] = {}
        for name in names:
            (staging / name).replace(out / name)
            final[name] = out / name
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("export bundle (%s): %d files to %s in %.2f s", sel.view.describe(), len(final),
                out, time.perf_counter() - t0)  # fmt: skip
    return final
