"""The content-digest cache: hits when nothing changed, rebuilds on change or damage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from estatesplan.cache import cache_key, file_digest, load_or_build


def _save(obj: dict[str, int], path: Path) -> None:
    path.write_text(json.dumps(obj))


def _load(path: Path) -> dict[str, int]:
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    return data


def test_hit_miss_and_damage(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    def build() -> dict[str, int]:
        calls.append(1)
        return {"n": len(calls)}

    key = cache_key("demo", x=1)
    args = {"suffix": ".json", "build": build, "save": _save, "load": _load, "folder": tmp_path}
    assert load_or_build(key, **args) == {"n": 1}
    assert load_or_build(key, **args) == {"n": 1}  # hit: not rebuilt
    assert len(calls) == 1
    (entry,) = tmp_path.rglob("*.json")
    entry.write_text("{not json")  # damaged entry
    with caplog.at_level("WARNING", logger="estatesplan.cache"):
        assert load_or_build(key, **args) == {"n": 2}
    assert "unreadable" in caplog.text
    assert len(calls) == 2


def test_key_depends_on_file_bytes_and_settings(tmp_path: Path) -> None:
    f = tmp_path / "in.txt"
    f.write_text("a")
    k1 = cache_key("m", files=[f], mode="walk")
    assert cache_key("m", files=[f], mode="walk") == k1
    assert cache_key("m", files=[f], mode="drive") != k1
    f.write_text("b")
    assert cache_key("m", files=[f], mode="walk") != k1
    assert len(file_digest(f)) == 64
