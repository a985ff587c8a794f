"""Rasters: a travel-time surface to the nearest site, and population summed per zone.

Needs the optional extra ``raster`` (rasterio): ``pip install "estatesplan[raster]"``.
rasterio is imported only when a function here is called, so the rest of estatesplan
works without it.

Notes
-----
**Travel-time surface.** :func:`travel_time_surface` lays a grid of square cells
(``cell_m`` metres, aligned to multiples of ``cell_m`` in the network's projected CRS)
over the area's bounding box. Each cell whose centre lies in the area (or on its edge) is an
origin
for :func:`estatesplan.travel_times.matrix_from_network` (so its time includes the walk
from the cell centre to the nearest street); the cell's value is the minutes to the
nearest destination. Cells outside the area, cells whose centre is further than
``max_snap_m`` from the network, and cells from which no destination is reached within
``cutoff_min`` are NaN (the GeoTIFF's nodata). The GeoTIFF is float32, single band,
deflate-compressed, north-up, in the network's CRS, with the band described and tagged
``units=minutes`` and the dataset tagged with the mode, cut-off, cell size and the
network's source; it is written atomically (a failed write leaves no file).

**Zonal population.** :func:`zonal_population` reprojects the zones to the raster's CRS,
burns them onto the raster's own grid (a cell belongs to the zone containing its
centre: ``all_touched=False``) and sums the valid cells per zone. Cells that are nodata
(the raster's nodata value, mask or NaN) are left out. A zone that contains no cell
centre (smaller than a cell) or only nodata cells gets NaN (unknown, not zero) and a
:class:`~estatesplan.errors.DataQualityWarning`; so does a raster that covers only part
of the zones (the share outside is given; population there is missed). Zones should not
overlap: where they do, a cell counts for the later zone only.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from ._io import atomic_path, check_input_file
from .errors import (
    ConfigError,
    CrsError,
    DataContractError,
    DataQualityWarning,
    DataSourceError,
    DuplicateIdError,
    GeometryError,
    MissingColumnError,
    OptionalDependencyError,
)
from .travel_times import matrix_from_network
from .validate import format_ids

if TYPE_CHECKING:
    import os

    from .graph import StreetNetwork
    from .progress import Progress

__all__ = ["TravelTimeSurface", "travel_time_surface", "zonal_population"]

logger = logging.getLogger(__name__)

_INSTALL_HINT: Final = 'pip install "estatesplan[raster]" (or: pip install rasterio)'
_MAX_CELLS: Final = 4_000_000
"""Default largest grid (cells in the area's bounding box) for a travel-time surface."""
_BATCH_VALUES: Final = 1 << 24
"""Origins per matrix call are capped so one call's matrix holds about this many values."""
_ALIGN_TOLERANCE_M: Final = 1e-3
"""Area bounds within this many metres of a grid line snap to it."""
_OUTSIDE_TOLERANCE: Final = 1e-3
"""Warn when more than this share of the zones' area lies outside the raster."""


def _rasterio() -> Any:
    """Return the ``rasterio`` module (with ``features`` loaded), or raise OptionalDependencyError."""
    try:
        import rasterio
        import rasterio.features
        import rasterio.transform
        import rasterio.windows
    except ImportError as exc:
        msg = (
            f"raster outputs need rasterio, which is not installed ({exc}). Install it with: "
            f"{_INSTALL_HINT}; or use zone counts instead of a population raster"
        )
        raise OptionalDependencyError(msg) from exc
    return rasterio


@dataclass(frozen=True, eq=False)
class TravelTimeSurface:
    """A grid of minutes to the nearest destination.

    Attributes
    ----------
    minutes
        ``(rows, cols)`` float32 minutes, row 0 the northernmost; NaN outside the area,
        where the cell centre is too far from the network, or where no destination is
        reached within the cut-off.
    transform
        The grid's affine transform (``affine.Affine``: cell corner coordinates in ``crs``).
    crs
        The network's CRS (projected, metres).
    path
        The GeoTIFF written, or None.
    mode, cutoff_min, cell_m
        The network's mode, the cut-off (minutes) and the cell size (metres).
    metadata
        ``source`` (the network's source), ``destinations``, ``cells_in_area``,
        ``cells_reached``, ``cells_flagged`` (too far from the network), ``seconds``.
    """

    minutes: npt.NDArray[np.float32]
    transform: Any
    crs: str
    path: Path | None
    mode: str
    cutoff_min: float
    cell_m: float
    metadata: dict[str, Any] = field(default_factory=dict)


def _area_geometry(area: Any, crs: str) -> BaseGeometry:
    if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        if area.crs is None:
            msg = "area: the layer has no coordinate reference system; set one (e.g. EPSG:27700) with .set_crs()"
            raise CrsError(msg)
        geom = area.to_crs(crs).union_all()
    elif isinstance(area, BaseGeometry):
        geom = area
    else:
        msg = (
            f"area must be a GeoDataFrame, GeoSeries or shapely polygon, got {type(area).__name__}"
        )
        raise ConfigError(msg)
    if geom is None or geom.is_empty or geom.area <= 0:
        msg = "area: no polygon with a positive area; give the study area's polygon(s)"
        raise GeometryError(msg)
    return geom


def travel_time_surface(
    net: StreetNetwork,
    destinations: gpd.GeoDataFrame,
    *,
    area: gpd.GeoDataFrame | gpd.GeoSeries | BaseGeometry,
    destination_id: str | None = None,
    cell_m: float = 100.0,
    cutoff_min: float = 60.0,
    max_snap_m: float = 500.0,
    walk_speed_kmh: float = 4.8,
    path: str | os.PathLike[str] | None = None,
    max_cells: int = _MAX_CELLS,
    progress: Progress | None = None,
) -> TravelTimeSurface:
    """Compute (and optionally write as a GeoTIFF) minutes to the nearest destination per cell.

    Parameters
    ----------
    net
        One mode's street network (projected CRS in metres).
    destinations
        Destination points (e.g. GP practices) in any CRS.
    area
        Polygon(s) to cover: a layer in any CRS (reprojected to ``net.crs``), or a
        shapely geometry taken to be in ``net.crs``.
    destination_id
        Unique id column of ``destinations``, for messages; default ``asset_id`` when
        present, else row positions.
    cell_m
        Cell size in metres.
    cutoff_min
        Longer times are NaN, in minutes.
    max_snap_m
        Cell centres or destinations further than this from the network are flagged
        (NaN, with a warning from the matrix), in metres.
    walk_speed_kmh
        Walking speed between a point and its street, km/h.
    path
        GeoTIFF to write (``.tif``), or None to only compute.
    max_cells
        Largest grid allowed (cells in the area's bounding box); raise ``cell_m`` for
        larger areas.
    progress
        Optional callback ``(done, total, label)``, passed to the matrix.

    Returns
    -------
    TravelTimeSurface
        The grid, its transform and CRS, and the path written.

    Raises
    ------
    OptionalDependencyError
        If rasterio is not installed.
    ConfigError
        If ``cell_m`` is not positive, the grid exceeds ``max_cells``, there are no
        destinations, or a matrix setting is out of range.
    CrsError
        If the network's CRS is not projected, the area has no CRS, or the area does
        not overlap the network (a sign of a wrong CRS).
    GeometryError
        If the area has no polygon.
    """
    rio = _rasterio()
    t0 = time.perf_counter()
    try:
        cell = float(cell_m)
    except (TypeError, ValueError):
        cell = math.nan
    if not (math.isfinite(cell) and cell > 0):
        msg = f"cell_m must be a positive number of metres, got {cell_m!r}"
        raise ConfigError(msg)
    if not CRS.from_user_input(net.crs).is_projected:
        msg = f"the {net.mode} network's CRS {net.crs} is not projected; build it in metres (e.g. EPSG:27700)"
        raise CrsError(msg)
    if len(destinations) == 0:
        msg = "travel_time_surface: no destinations given; select at least one site"
        raise ConfigError(msg)
    geom = _area_geometry(area, net.crs)
    minx, miny, maxx, maxy = geom.bounds
    if net.n_nodes and not shapely.box(
        float(net.x.min()), float(net.y.min()), float(net.x.max()), float(net.y.max())
    ).intersects(geom):
        msg = (
            f"area (bounds {minx:.0f}, {miny:.0f}, {maxx:.0f}, {maxy:.0f} in {net.crs}) does not "
            f"overlap the {net.mode} network; check the area's CRS (a bare polygon is taken to be "
            f"in the network's CRS, {net.crs})"
        )
        raise CrsError(msg)
    eps = _ALIGN_TOLERANCE_M  # bounds a reprojection moved by a hair keep the same grid
    west, north = math.floor((minx + eps) / cell) * cell, math.ceil((maxy - eps) / cell) * cell
    width = max(1, math.ceil((maxx - eps - west) / cell))
    height = max(1, math.ceil((north - miny - eps) / cell))
    if width * height > max_cells:
        msg = (
            f"a {cell:g} m grid over the area has {width} × {height} = {width * height:,} cells, "
            f"more than max_cells={max_cells:,}; use larger cells (cell_m) or raise max_cells"
        )
        raise ConfigError(msg)
    # built directly: rasterio's from_origin multiplies affines with `*`, which affine 3 deprecates
    transform = rio.transform.Affine(cell, 0.0, west, 0.0, -cell, north)
    cols, rows = np.meshgrid(np.arange(width), np.arange(height))
    cx = west + (cols.ravel() + 0.5) * cell
    cy = north - (rows.ravel() + 0.5) * cell
    shapely.prepare(geom)
    inside = np.flatnonzero(shapely.intersects_xy(geom, cx, cy))  # a centre on the edge is in
    if len(inside) == 0:
        msg = f"no {cell:g} m cell has its centre inside the area; use smaller cells (cell_m)"
        raise ConfigError(msg)
    dest = destinations.copy()
    if destination_id is None:
        ids = (
            dest["asset_id"].astype(str).tolist()
            if "asset_id" in dest.columns
            else [str(k) for k in range(len(dest))]
        )
        destination_id = "__destination_id__"
        dest[destination_id] = ids
    values = np.full(width * height, np.nan, dtype=np.float32)
    batch = max(1, _BATCH_VALUES // len(dest))
    flagged = 0
    for start in range(0, len(inside), batch):  # one matrix for all but huge grids
        part = inside[start : start + batch]
        origins = gpd.GeoDataFrame(
            {
                "cell": [
                    f"cell r{r}c{c}"
                    for r, c in zip(rows.ravel()[part], cols.ravel()[part], strict=True)
                ]
            },
            geometry=gpd.points_from_xy(cx[part], cy[part]),
            crs=net.crs,
        )
        m = matrix_from_network(
            net, origins, dest, origin_id="cell", destination_id=destination_id,
            cutoff_min=cutoff_min, max_snap_m=max_snap_m, walk_speed_kmh=walk_speed_kmh,
            progress=progress,
        )  # fmt: skip
        best = np.where(np.isnan(m.minutes), np.inf, m.minutes).min(axis=1, initial=np.inf)
        values[part] = np.where(np.isfinite(best), best, np.nan)
        flagged += len(m.metadata.get("flagged_origins", []))
    grid = values.reshape(height, width)
    source = str(net.report.get("source", "unknown"))
    meta = {
        "source": source,
        "destinations": len(dest),
        "cells_in_area": len(inside),
        "cells_reached": int(np.isfinite(grid).sum()),
        "cells_flagged": flagged,
    }
    written = None
    if path is not None:
        written = Path(path)
        tags = {
            "units": "minutes", "mode": net.mode, "cutoff_min": f"{float(cutoff_min):g}",
            "cell_m": f"{cell:g}", "source": source, "destinations": str(len(dest)),
            "nodata_means": "outside the area, too far from the network, or nothing within the cut-off",
            "created_by": "estatesplan",
        }  # fmt: skip
        with (
            atomic_path(written) as tmp,
            rio.open(
                tmp, "w", driver="GTiff", width=width, height=height, count=1, dtype="float32",
                crs=rio.crs.CRS.from_user_input(net.crs), transform=transform, nodata=np.nan,
                compress="deflate", predictor=3,
            ) as dst,
        ):  # fmt: skip
            dst.write(grid, 1)
            dst.set_band_description(
                1, f"minutes by {net.mode} to the nearest of {len(dest)} destinations"
            )
            dst.update_tags(**tags)
            dst.update_tags(1, units="minutes")
            dst.units = ("minutes",)
    meta["seconds"] = round(time.perf_counter() - t0, 3)
    logger.info(
        "%s travel-time surface: %d × %d cells of %g m, %d in area, %d reached within %g min, "
        "%d destinations, in %.2f s%s",
        net.mode, width, height, cell, len(inside), meta["cells_reached"], float(cutoff_min),
        len(dest), meta["seconds"], f", written to {written}" if written else "",
    )  # fmt: skip
    return TravelTimeSurface(
        minutes=grid, transform=transform, crs=net.crs, path=written, mode=net.mode,
        cutoff_min=float(cutoff_min), cell_m=cell, metadata=meta,
    )  # fmt: skip


def _zone_ids(zones: gpd.GeoDataFrame, id_column: str) -> list[str]:
    if id_column not in zones.columns:
        msg = f"zones: id column {id_column!r} not found (columns: {format_ids(zones.columns)}); name the right one"
        raise MissingColumnError(msg)
    raw = zones[id_column]
    blank = raw.isna().to_numpy() | (raw.astype("string").str.strip() == "").fillna(True).to_numpy()
    if blank.any():
        msg = f"zones: {int(blank.sum())} row(s) have no {id_column!r}; every zone needs an id"
        raise DataContractError(msg)
    ids = [str(x) for x in raw]
    dup = pd.Index(ids).duplicated(keep=False)
    if dup.any():
        msg = f"zones: {id_column!r} must be unique; repeated: {format_ids(sorted(set(np.asarray(ids)[dup])))}"
        raise DuplicateIdError(msg)
    return ids


def _window(src: Any, bounds: tuple[float, float, float, float], rio: Any) -> Any:
    """The raster window covering ``bounds`` (in the raster's CRS), clipped to the raster."""
    t = src.transform
    if t.b != 0 or t.d != 0:
        msg = f"{src.name}: rotated rasters are not supported; warp it north-up first (gdalwarp)"
        raise DataSourceError(msg)
    inv = ~t
    xs, ys = (
        (bounds[0], bounds[2], bounds[0], bounds[2]),
        (bounds[1], bounds[1], bounds[3], bounds[3]),
    )
    cr = [inv @ (x, y) for x, y in zip(xs, ys, strict=True)]
    c0 = max(0, math.floor(min(c for c, _ in cr)))
    c1 = min(src.width, math.ceil(max(c for c, _ in cr)))
    r0 = max(0, math.floor(min(r for _, r in cr)))
    r1 = min(src.height, math.ceil(max(r for _, r in cr)))
    return rio.windows.Window(c0, r0, max(0, c1 - c0), max(0, r1 - r0))


def zonal_population(
    raster_path: str | os.PathLike[str],
    zones: gpd.GeoDataFrame,
    *,
    id_column: str = "zone_id",
    band: int = 1,
    name: str = "population",
) -> pd.Series:
    """Sum a population raster's cells per zone (cells by centre; nodata ignored).

    Parameters
    ----------
    raster_path
        A raster readable by GDAL (e.g. a WorldPop or ONS 100 m GeoTIFF) whose cells hold
        people per cell, with a CRS.
    zones
        Zone polygons in any CRS (reprojected to the raster's CRS).
    id_column
        Unique zone id column.
    band
        Band to read (1-based).
    name
        Name of the returned series.

    Returns
    -------
    pandas.Series
        float64 people per zone, indexed by ``id_column`` (str) in the zones' row
        order; NaN for zones with no cell centre inside, or only nodata cells.

    Raises
    ------
    OptionalDependencyError
        If rasterio is not installed.
    DataSourceError
        If the file is missing, empty, not a raster, rotated, or lacks the band.
    CrsError
        If the raster or the zones have no CRS, or the raster does not overlap the
        zones at all (a sign of a wrong CRS; both CRSs are named).
    MissingColumnError, DuplicateIdError, DataContractError
        If the id column is missing, repeated or empty, or valid cells are negative
        (an undeclared nodata value).
    GeometryError
        If a zone has no geometry.

    Warns
    -----
    DataQualityWarning
        When zones get no cell centre or only nodata cells (named, with how many), or
        when part of the zones' area lies outside the raster (the share is given).
    """
    rio = _rasterio()
    t0 = time.perf_counter()
    p = check_input_file(raster_path, what="population raster")
    ids = _zone_ids(zones, id_column)
    if zones.crs is None:
        msg = "zones: the layer has no coordinate reference system; set one (e.g. EPSG:27700) with .set_crs()"
        raise CrsError(msg)
    missing = zones.geometry.isna().to_numpy() | zones.geometry.is_empty.to_numpy()
    if missing.any():
        msg = f"zones: {int(missing.sum())} zone(s) have no geometry ({format_ids(np.asarray(ids)[missing])}); give them a polygon or drop them"
        raise GeometryError(msg)
    try:
        src_cm = rio.open(p)
    except rio.errors.RasterioIOError as err:
        msg = f"population raster {p}: cannot read as a raster ({err}); give a GeoTIFF (or another GDAL raster)"
        raise DataSourceError(msg) from err
    with src_cm as src:
        if src.crs is None:
            msg = (
                f"population raster {p}: has no coordinate reference system; set one "
                "(e.g. gdal_edit.py -a_srs EPSG:27700 file.tif, or EPSG:4326 for WorldPop)"
            )
            raise CrsError(msg)
        if not 1 <= band <= src.count:
            msg = f"population raster {p}: band {band} asked for, the file has {src.count} band(s)"
            raise DataSourceError(msg)
        raster_crs = CRS.from_user_input(src.crs.to_wkt())
        same = CRS.from_user_input(zones.crs) == raster_crs
        z = zones if same else zones.to_crs(raster_crs)
        geoms = z.geometry.to_numpy()
        union = shapely.union_all(geoms)
        footprint = shapely.box(*src.bounds)
        covered = union.intersection(footprint).area / union.area if union.area > 0 else 0.0
        if covered <= 0:
            msg = (
                f"population raster {p} (bounds {', '.join(f'{v:.4g}' for v in src.bounds)} in "
                f"{src.crs.to_string()}) does not overlap the zones (bounds "
                f"{', '.join(f'{v:.4g}' for v in z.total_bounds)} once reprojected from "
                f"{CRS.from_user_input(zones.crs).to_string()}); check both CRSs"
            )
            raise CrsError(msg)
        if 1.0 - covered > _OUTSIDE_TOLERANCE:
            msg = (
                f"population raster {p} covers only part of the zones: {100 * (1 - covered):.1f}% of "
                "their area lies outside it, so population there is missed. Use a raster that "
                "covers the whole area"
            )
            warnings.warn(msg, DataQualityWarning, stacklevel=2)
        win = _window(src, tuple(z.total_bounds), rio)
        data = src.read(band, window=win).astype(np.float64)
        valid = (src.read_masks(band, window=win) > 0) & np.isfinite(data)
        t = src.transform  # the window's transform (not rasterio.windows.transform: see above)
        wt = rio.transform.Affine(
            t.a, t.b, t.c + win.col_off * t.a, t.d, t.e, t.f + win.row_off * t.e
        )
        cell_size = f"{abs(t.a):.4g} × {abs(t.e):.4g}"
        labels = rio.features.rasterize(
            ((g, k + 1) for k, g in enumerate(geoms)), out_shape=data.shape, transform=wt,
            fill=0, all_touched=False, dtype="int32",
        ) if data.size else np.zeros(data.shape, dtype=np.int32)  # fmt: skip
    neg = valid & (data < 0) & (labels > 0)
    if neg.any():
        msg = (
            f"population raster {p}: {int(neg.sum())} cell(s) inside the zones are negative "
            f"(e.g. {data[neg][0]:g}); population cannot be negative: declare the raster's nodata "
            "value (gdal_edit.py -a_nodata VALUE) or fix the cells"
        )
        raise DataContractError(msg)
    n = len(ids)
    lab = labels.ravel()
    cells = np.bincount(lab, minlength=n + 1)[1:]
    ok = valid.ravel()
    good = np.bincount(lab[ok], minlength=n + 1)[1:]
    sums = np.bincount(lab[ok], weights=data.ravel()[ok], minlength=n + 1)[1:]
    out = np.where(good > 0, sums, np.nan)
    arr = np.asarray(ids, dtype=object)
    no_cell = cells == 0
    only_nodata = (cells > 0) & (good == 0)
    if no_cell.any():
        msg = (
            f"{int(no_cell.sum())} of {n} zones contain no raster cell centre (smaller than a "
            f"{cell_size} cell, or outside the raster): {format_ids(arr[no_cell])}; their "
            f"{name} is NaN. Use a finer raster, or zone counts for them"
        )
        warnings.warn(msg, DataQualityWarning, stacklevel=2)
    if only_nodata.any():
        msg = (
            f"{int(only_nodata.sum())} of {n} zones have only nodata cells: "
            f"{format_ids(arr[only_nodata])}; their {name} is NaN"
        )
        warnings.warn(msg, DataQualityWarning, stacklevel=2)
    logger.info(
        "zonal %s from %s: %d zones, %d cells (%d nodata) in %s, total %.0f, in %.2f s%s",
        name, p.name, n, int(cells.sum()), int(cells.sum() - good.sum()), raster_crs.to_string(),
        float(np.nansum(out)), time.perf_counter() - t0,
        "" if same else " (zones reprojected to the raster's CRS)",
    )  # fmt: skip
    return pd.Series(
        out, index=pd.Index(ids, name=id_column, dtype="str"), name=name, dtype="float64"
    )
