"""Command line: ``estatesplan demo|run|validate|app``. It only arranges calls into the core."""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import numpy as np

from . import __version__, export, pipeline
from .errors import ConfigError, EstatesplanError
from .progress import tqdm_progress
from .study import Study

if TYPE_CHECKING:
    from ._config_transit import TransitConfig

__all__ = ["main"]

logger = logging.getLogger("estatesplan")


class _TqdmHandler(logging.Handler):
    """Write log lines through tqdm so they do not break a progress bar."""

    def emit(self, record: logging.LogRecord) -> None:
        from tqdm.auto import tqdm

        tqdm.write(self.format(record), file=sys.stderr)


class _StageFilter(logging.Filter):
    """Without --verbose, show stage summaries and warnings, not each loader's detail."""

    _SUMMARY = ("estatesplan.pipeline", "estatesplan.export", "estatesplan.cli")

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.startswith(self._SUMMARY)


def _configure_logging(verbose: bool, quiet: bool) -> None:
    level = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    handler = _TqdmHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    if not verbose:
        handler.addFilter(_StageFilter())
    root = logging.getLogger("estatesplan")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        from tqdm.auto import tqdm

        tqdm.write(f"warning: {message}", file=sys.stderr)

    warnings.showwarning = show


def _summary(study: Study, out: Path | None) -> None:
    tag = " [SYNTHETIC DATA]" if study.synthetic else ""
    in_area = int(study.assets["in_area"].sum()) if "in_area" in study.assets else len(study.assets)
    line = (
        f"{study.name}{tag}: {len(study.zones):,} zones, "
        f"{study.zones['population'].sum():,.0f} residents, {len(study.assets):,} assets "
        f"({in_area:,} in the area, {study.assets['asset_type'].nunique()} types), "
        f"{len(study.neighbourhoods)} neighbourhoods"
    )
    print(line)
    if study.access is not None and (headline := study.access.headline()):
        print(headline)
    if study.access is not None:
        from .study_transit import transit_sentence

        print(transit_sentence(study.access.settings.get("transit")))
    if study.carbon is not None and (headline := study.carbon.headline()):
        print(headline)
    if out is not None:
        print(f"outputs written to {out}")


def _write(study: Study, out: Path) -> None:
    export.write_study(study, out)
    _summary(study, out)


def _cmd_demo(args: argparse.Namespace) -> int:
    from . import demo

    out = Path(args.out)
    inputs = out / "inputs"
    logger.info("generating the synthetic demo area (seed %d) in %s", args.seed, inputs)
    toml = demo.write_demo(inputs, seed=args.seed)
    study = pipeline.run_study(toml, progress=tqdm_progress(leave=False, disable=args.quiet))
    _write(study, out)
    if args.serve:
        return _serve(str(out), port=args.port)
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    study = pipeline.run_study(args.config, progress=tqdm_progress(leave=False, disable=args.quiet))
    _write(study, Path(args.out))
    if args.serve:
        return _serve(str(Path(args.out)), port=args.port)
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    study = pipeline.run_study(args.config, progress=tqdm_progress(leave=False, disable=args.quiet))
    _summary(study, None)
    print("valid: every layer meets the data contracts")
    return 0


def _serve(source: str, *, port: int) -> int:
    script = Path(__file__).with_name("app") / "streamlit_app.py"
    env = dict(os.environ, ESTATESPLAN_STUDY=source)
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.enableStaticServing",  # Leaflet from estatesplan/app/static: no CDN
        "true",
    ]
    print(f"serving the map app at http://localhost:{port} (Ctrl+C to stop)")
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 0


def _transit_args(args: argparse.Namespace) -> TransitConfig | None:
    """The ``[transit]`` settings given on the command line (None unless a feed or mode asks)."""
    import datetime as dt

    from ._config_transit import TransitConfig, check_transit, parse_window

    given = [f"--{k}" for k in ("gtfs", "date", "window") if getattr(args, k) is not None]
    if args.mode != "transit":
        if given:
            msg = f"{', '.join(given)} only {'applies' if len(given) == 1 else 'apply'} to --mode transit"
            raise ConfigError(msg)
        return None
    if args.gtfs is None:
        msg = "--mode transit needs --gtfs FEED.zip (a GTFS timetable zip as published)"
        raise ConfigError(msg)
    try:
        date = None if args.date is None else dt.date.fromisoformat(args.date)
    except ValueError:
        msg = f"--date {args.date!r} must be a date like 2026-05-12"
        raise ConfigError(msg) from None
    try:
        window = parse_window(args.window) if args.window else TransitConfig().window
    except ValueError as err:
        msg = f"--window: {err}"
        raise ConfigError(msg) from None
    cfg = TransitConfig(
        gtfs=Path(args.gtfs), date=date, window=window, percentile=args.percentile,
        max_transfers=args.max_transfers, max_walk_min=args.max_walk_min,
    )  # fmt: skip
    if problems := check_transit(cfg):
        msg = "; ".join(f"--{p.replace('_', '-')}" for p in problems)
        raise ConfigError(msg)
    return cfg


def _percentile_list(text: str) -> list[float]:
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        values = []
    if not values or values != sorted(set(values)) or not all(0 <= v <= 100 for v in values):
        msg = f"--percentiles {text!r} must be increasing numbers in 0–100, like 5,25,50,75,95"
        raise ConfigError(msg)
    return values


def _cmd_transit_percentiles(args: argparse.Namespace, transit: TransitConfig) -> int:
    from ._io import atomic_path
    from .matrices import transit_percentiles_from_files

    table = transit_percentiles_from_files(
        args.osm, args.origins, args.destinations, transit=transit, cutoff_min=args.cutoff,
        percentiles=_percentile_list(args.percentiles), origin_id=args.origin_id,
        destination_id=args.destination_id, crs=args.crs, max_snap_m=args.max_snap_m,
    )  # fmt: skip
    with atomic_path(args.out) as tmp:
        table.to_parquet(tmp, index=False)
    tt = table.attrs.get("timetable") or {}
    cols = [col for col in table.columns if col.startswith("p")]
    print(
        f"transit percentiles {', '.join(cols)}: {len(table):,} pairs within {args.cutoff:g} min "
        f"at some percentile, written to {args.out}"
    )
    print(
        f"public transport: {tt.get('describe', '')}; departures {'–'.join(transit.window)} "
        "every minute, never slower than walking"
    )
    return 0


def _cmd_matrix(args: argparse.Namespace) -> int:
    from .matrices import matrix_from_files

    transit = _transit_args(args)
    if args.percentiles is not None:
        if transit is None:
            msg = "--percentiles only applies to --mode transit"
            raise ConfigError(msg)
        return _cmd_transit_percentiles(args, transit)
    matrix = matrix_from_files(
        args.osm, args.origins, args.destinations, mode=args.mode, cutoff_min=args.cutoff,
        origin_id=args.origin_id, destination_id=args.destination_id, max_snap_m=args.max_snap_m,
        crs=args.crs, transit=transit,
    )  # fmt: skip
    matrix.save(args.out)
    n_o, n_d = matrix.minutes.shape
    reached = int(np.isfinite(matrix.minutes).sum())
    print(
        f"{args.mode} matrix: {n_o:,} origins × {n_d:,} destinations, {reached:,} pairs within "
        f"{args.cutoff:g} min, written to {args.out}"
    )
    if transit is not None:
        tt = matrix.metadata.get("timetable") or {}
        s = matrix.metadata.get("settings") or {}
        print(
            f"public transport: {tt.get('describe', '')}; departures {'–'.join(transit.window)} "
            f"every minute, percentile {s.get('percentile', transit.percentile):g} of the window, "
            "never slower than walking"
        )
        if (served := tt.get("stops_served")) is not None:
            walkable = int(tt.get("stops_walkable", 0))
            print(
                f"stops: {walkable:,} of {int(served):,} served that day lie within the street "
                f"extract and can be walked to; {int(served) - walkable:,} beyond it are ridden through"
            )
    return 0


def _cmd_app(args: argparse.Namespace) -> int:
    return _serve(args.source, port=args.port)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="estatesplan",
        description="Spatial estates and co-location planner for integrated neighbourhood working.",
    )
    p.add_argument("--version", action="version", version=f"estatesplan {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log details of each stage")
    p.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="generate the synthetic demo area and write its study outputs")
    d.add_argument("--out", required=True, help="output folder")
    d.add_argument("--seed", type=int, default=0, help="demo seed (default 0)")
    d.add_argument("--serve", action="store_true", help="then serve the map app on the outputs")
    d.add_argument("--port", type=int, default=8501, help="app port (default 8501)")
    d.set_defaults(func=_cmd_demo)

    r = sub.add_parser("run", help="run a study config and write its outputs")
    r.add_argument("config", help="study config (.toml)")
    r.add_argument("--out", required=True, help="output folder")
    r.add_argument("--serve", action="store_true", help="then serve the map app on the outputs")
    r.add_argument("--port", type=int, default=8501, help="app port (default 8501)")
    r.set_defaults(func=_cmd_run)

    v = sub.add_parser("validate", help="load and validate a study config without writing")
    v.add_argument("config", help="study config (.toml)")
    v.set_defaults(func=_cmd_validate)

    m = sub.add_parser(
        "matrix",
        help="travel times between two layers over an OSM extract (and a GTFS feed for transit)",
    )
    m.add_argument("--osm", required=True, help="OpenStreetMap extract (.osm.pbf or .osm)")
    m.add_argument("--origins", required=True, help="point or polygon layer (or CSV) of origins")
    m.add_argument("--destinations", required=True, help="point or polygon layer of destinations")
    m.add_argument("--mode", required=True, choices=("walk", "cycle", "drive", "transit"))
    m.add_argument("--cutoff", type=float, default=60.0, help="minutes (default 60)")
    m.add_argument(
        "--origin-id", default=None, help="id column of the origins (detected if omitted)"
    )
    m.add_argument("--destination-id", default=None, help="id column of the destinations")
    m.add_argument(
        "--max-snap-m",
        type=float,
        default=500.0,
        help="flag points further than this from a street (default 500 m)",
    )
    m.add_argument(
        "--crs",
        default=None,
        help="projected CRS to route in (default: EPSG:27700 in Great Britain, else local UTM)",
    )
    m.add_argument("--gtfs", default=None, help="GTFS zip, for --mode transit")
    m.add_argument(
        "--date",
        default=None,
        help="service date YYYY-MM-DD, for --mode transit (default: a Tuesday the feed covers)",
    )
    m.add_argument(
        "--window", default=None, help="departure window, for --mode transit (default 07:00-10:00)"
    )
    m.add_argument(
        "--percentile",
        type=float,
        default=50.0,
        help="percentile of travel time over the window's minutes (default 50, the median)",
    )
    m.add_argument(
        "--percentiles",
        default=None,
        help="for --mode transit: write these percentiles of the window (e.g. 5,25,50,75,95) "
        "as columns p5, p25, ... instead of one minutes column",
    )
    m.add_argument("--max-transfers", type=int, default=7, help="changes per journey (default 7)")
    m.add_argument(
        "--max-walk-min",
        type=float,
        default=20.0,
        help="longest walk to and from stops, minutes (default 20)",
    )
    m.add_argument(
        "--out", required=True, help="output Parquet: origin_id, destination_id, minutes"
    )
    m.set_defaults(func=_cmd_matrix)

    a = sub.add_parser("app", help="serve the map app")
    a.add_argument(
        "source",
        nargs="?",
        default="demo",
        help="'demo', a study config (.toml) or an output folder (default: demo)",
    )
    a.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    a.set_defaults(func=_cmd_app)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 2 on a data or config error.
    """
    args = _parser().parse_args(argv)
    shown = warnings.showwarning
    _configure_logging(args.verbose, args.quiet)
    try:
        return int(args.func(args))
    except EstatesplanError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    finally:
        warnings.showwarning = shown  # leave the process as we found it


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
