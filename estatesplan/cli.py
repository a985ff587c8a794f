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
from typing import TextIO

import numpy as np

from . import __version__, export, pipeline
from .errors import EstatesplanError
from .progress import tqdm_progress
from .study import Study

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


def _cmd_matrix(args: argparse.Namespace) -> int:
    from .matrices import matrix_from_files

    matrix = matrix_from_files(
        args.osm, args.origins, args.destinations, mode=args.mode, cutoff_min=args.cutoff,
        origin_id=args.origin_id, destination_id=args.destination_id, max_snap_m=args.max_snap_m,
        crs=args.crs,
    )  # fmt: skip
    matrix.save(args.out)
    n_o, n_d = matrix.minutes.shape
    reached = int(np.isfinite(matrix.minutes).sum())
    print(
        f"{args.mode} matrix: {n_o:,} origins × {n_d:,} destinations, {reached:,} pairs within "
        f"{args.cutoff:g} min, written to {args.out}"
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

    m = sub.add_parser("matrix", help="travel times between two layers over an OSM extract")
    m.add_argument("--osm", required=True, help="OpenStreetMap extract (.osm.pbf or .osm)")
    m.add_argument("--origins", required=True, help="point or polygon layer (or CSV) of origins")
    m.add_argument("--destinations", required=True, help="point or polygon layer of destinations")
    m.add_argument("--mode", required=True, choices=("walk", "cycle", "drive"))
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
