"""Benchmark: how quickly the map app answers, on the demo and (with the pack) Camden.

    .venv/bin/python benchmarks/bench_app.py            # demo, and Camden when the pack is there
    .venv/bin/python benchmarks/bench_app.py --no-camden

Targets (issue 7): first page usable within 3 s of the server being up once matrices
are cached; re-ranking after a weight change within 300 ms; the map responsive with
every layer on (simplified geometry, only what is drawn is sent).

What is measured, each in the same run:

- **load**: a fresh Python process loads the study as the app does
  (``workspace.load_workspace`` on the output folder written by ``estatesplan demo`` /
  ``estatesplan run``; the folder is built first if absent, untimed), imports included:
  what the first visitor waits for after the server is up. Peer: the same study
  computed from its config (``run_study`` with every matrix in the on-disk cache), what
  the app would do without the outputs.
- **first page**: Streamlit's AppTest runs the whole app script (sidebar, estate map
  with every layer, tables) on the loaded workspace: the server-side time of one page.
  Each other page is run the same way.
- **re-rank**: ``options.rank_options`` on the stored measures with one weight moved
  (what the co-location page's sliders call), median of 20; peer: measuring the options
  again from the travel times (``study_options.study_options``), what a re-rank would
  cost without the stored measures.
- **map payload**: the bytes of the estate map with every layer on, as sent to the
  browser (folium's rendered HTML), and the time to build it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PACK = Path(os.environ.get("ESTATESPLAN_SHARED_DATA", REPO.parent / "shared" / "data"))
OUT = Path(tempfile.gettempdir()) / "estatesplan-bench-app"

_LOAD = """
import time, warnings
t0 = time.perf_counter()
warnings.simplefilter("ignore")
from estatesplan.workspace import load_workspace
ws = load_workspace({source!r})
print(time.perf_counter() - t0)
"""


def _outputs(name: str, build: list[str]) -> Path:
    """The study's output folder, written once by the CLI (untimed)."""
    folder = OUT / name
    if not (folder / "manifest.json").is_file():
        print(f"  (building {folder} once: {' '.join(build)})", flush=True)
        subprocess.run([sys.executable, "-m", "estatesplan.cli", "-q", *build, "--out",
                        str(folder)], check=True, cwd=REPO)  # fmt: skip
    return folder


def _load_seconds(source: str) -> float:
    out = subprocess.run([sys.executable, "-c", _LOAD.format(source=source)], check=True,
                         capture_output=True, text=True, cwd=REPO)  # fmt: skip
    return float(out.stdout.strip().splitlines()[-1])


def _page_seconds(ws: Any, page: str) -> tuple[float, bool]:
    from streamlit.testing.v1 import AppTest

    def script(ws: object, page: str) -> None:
        import streamlit as st

        from estatesplan.app import main, views

        st.session_state.setdefault(views.PAGE, page)
        main(loader=lambda _source: ws)

    at = AppTest.from_function(script, kwargs={"ws": ws, "page": page}, default_timeout=300)
    t0 = time.perf_counter()
    at.run()
    return time.perf_counter() - t0, not at.exception and not at.error


def bench(name: str, source_build: list[str], config: Path | None) -> None:
    from estatesplan import maps, options, pipeline, study_options
    from estatesplan.app import views
    from estatesplan.workspace import load_workspace

    folder = _outputs(name, source_build)
    print(f"\n## {name}: {folder}")
    load = min(_load_seconds(str(folder)) for _ in range(2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = load_workspace(str(folder))
        cfg_path = Path(ws.study.config_path) if config is None else config
        t0 = time.perf_counter()
        pipeline.run_study(cfg_path)
        recompute = time.perf_counter() - t0
    print(f"  load outputs (fresh process)  {load:8.2f} s   vs computing from the config "
          f"(matrices cached) {recompute:8.2f} s  ({recompute / load:.0f}×)")  # fmt: skip
    for i, page in enumerate(views.PAGES):
        first, ok = _page_seconds(ws, page)
        again, _ = _page_seconds(ws, page)
        print(f"  page {page:<18} first {first:6.2f} s, again {again:6.2f} s"
              f"{'' if ok else '  (errors shown)'}")  # fmt: skip
        if i == 0:
            usable = load + first
            print(f"  first page usable (load + estate page) {usable:6.2f} s   target ≤ 3 s: "
                  f"{'met' if usable <= 3 else 'NOT MET'}")  # fmt: skip
    study = ws.study
    if study.options is not None and not study.options.options.empty:
        measures = study.options.options.drop(columns=[c for c in study.options.options
                                                       if c.startswith("score_")
                                                       or c in ("total", "rank")])  # fmt: skip
        weights = dict(options.DEFAULT_WEIGHTS)
        first_key = next(iter(weights))
        times = []
        for i in range(20):
            weights[first_key] = 1.0 + 0.05 * i
            t0 = time.perf_counter()
            options.rank_options(measures, weights)
            times.append(time.perf_counter() - t0)
        rerank = statistics.median(times)
        cfg = ws.require_config("the re-measure peer")
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            study_options.study_options(study, cfg)
        remeasure = time.perf_counter() - t0
        print(f"  re-rank after a weight change {rerank * 1000:8.1f} ms  vs re-measuring "
              f"{remeasure * 1000:8.0f} ms ({remeasure / rerank:.0f}×)   target ≤ 300 ms: "
              f"{'met' if rerank <= 0.3 else 'NOT MET'}")  # fmt: skip
    t0 = time.perf_counter()
    fmap = maps.estate_map(study, cohort="over_65" if "over_65" in study.cohort_weights
                           else None, measure="share", owner_types=None, asset_types=None,
                           tiles=None)  # fmt: skip
    html = fmap.get_root().render()
    build = time.perf_counter() - t0
    print(f"  estate map, every layer: {len(html) / 1e6:6.2f} MB of HTML, built in "
          f"{build:5.2f} s ({len(study.zones)} zones, {len(study.assets)} assets)")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-camden", action="store_true", help="the demo only")
    args = ap.parse_args(argv)
    import logging

    import streamlit.logger

    streamlit.logger.set_log_level("error")  # AppTest's bare-mode notices
    for name in ("streamlit.runtime.scriptrunner_utils.script_run_context",
                 "streamlit.runtime.caching.cache_data_api"):  # fmt: skip
        logging.getLogger(name).setLevel(logging.ERROR)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; one run")
    bench("demo", ["demo"], None)
    camden = REPO / "examples" / "camden.toml"
    if not args.no_camden:
        if (PACK / "london" / "camden").is_dir():
            bench("camden", ["run", str(camden)], camden)
        else:
            print(f"\nNOTE: Camden skipped: {PACK / 'london' / 'camden'} not found")
    print("\nOne run: on a shared machine times vary between runs; compare within a run.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
