"""The command line arranges calls into the core: outputs, summaries and clean errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from estatesplan import cli


def test_demo_writes_layers_and_says_synthetic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    assert cli.main(["demo", "--out", str(out), "--seed", "3"]) == 0
    captured = capsys.readouterr()
    assert "Demoborough (synthetic) [SYNTHETIC DATA]" in captured.out
    # one summary line per stage on stderr
    for stage in ("area:", "zones:", "assets:", "neighbourhoods:", "cohorts:"):
        assert stage in captured.err, stage
    for name in (
        "assets.geojson",
        "zones.geojson",
        "neighbourhoods.geojson",
        "study.gpkg",
        "manifest.json",
    ):
        assert (out / name).is_file()
    assert (out / "inputs" / "demo.toml").is_file()
    assert (out / "inputs" / "README.txt").read_text().lower().count("synthetic") >= 1
    doc = json.loads((out / "neighbourhoods.geojson").read_text())
    assert doc["estatesplan"]["synthetic"] is True
    assert 4 <= len(doc["features"]) <= 8


def test_run_and_validate_on_demo_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from estatesplan import demo

    toml = demo.write_demo(tmp_path / "inputs", seed=0)
    assert cli.main(["-q", "validate", str(toml)]) == 0
    assert "valid: every layer meets the data contracts" in capsys.readouterr().out
    assert cli.main(["-q", "run", str(toml), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "zones.csv").is_file()


def test_error_is_a_message_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[study]\nname = "x"\n[zones]\nfile = "missing.gpkg"\n')
    assert cli.main(["run", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "[zones] file: file not found" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists(), "nothing written on failure"


def test_console_script_entry_point() -> None:
    res = subprocess.run(
        [sys.executable, "-m", "estatesplan.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert res.stdout.startswith("estatesplan ")


def test_import_does_not_pull_in_streamlit_or_do_work() -> None:
    code = (
        "import sys, estatesplan, estatesplan.pipeline, estatesplan.maps; "
        "assert 'streamlit' not in sys.modules, 'core imported streamlit'; "
        "import logging; assert not logging.getLogger().handlers"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_tqdm_progress_adapter(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    import tqdm.auto

    from estatesplan.progress import null_progress, tqdm_progress

    bars: list[tqdm.auto.tqdm] = []

    class Recorded(tqdm.auto.tqdm):  # type: ignore[misc]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            bars.append(self)

    monkeypatch.setattr(tqdm.auto, "tqdm", Recorded)
    out = io.StringIO()
    p = tqdm_progress(file=out, leave=True)
    p(0, 3, "zones")
    assert len(bars) == 1
    assert (bars[0].n, bars[0].total, bars[0].desc, bars[0].disable) == (0, 3, "zones", False)
    p(2, 3, "assets")  # same total: the same bar, moved on and relabelled
    assert len(bars) == 1
    assert (bars[0].n, bars[0].total, bars[0].desc) == (2, 3, "assets")
    p(3, 3, "assets")  # done: the bar is full and closed
    assert (bars[0].n, bars[0].disable) == (3, True)
    assert "assets" in out.getvalue() and "3/3" in out.getvalue()
    p(1, 4, "walk matrix")  # a new stage after a closed bar: a new bar
    assert len(bars) == 2
    assert (bars[1].n, bars[1].total, bars[1].desc) == (1, 4, "walk matrix")
    p(1, 2, "drive matrix")  # another total: the open bar is closed, a new one drawn
    assert bars[1].disable and len(bars) == 3
    assert (bars[2].n, bars[2].total, bars[2].desc) == (1, 2, "drive matrix")
    p(2, 2, "drive matrix")
    assert bars[2].disable
    null_progress(1, 2, "x")  # takes the same calls and draws nothing
