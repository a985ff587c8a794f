"""Atomic writes leave nothing behind on failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from estatesplan._io import atomic_path, check_input_file, write_text_atomic
from estatesplan.errors import DataSourceError


def test_atomic_success(tmp_path: Path) -> None:
    target = tmp_path / "out" / "a.txt"
    write_text_atomic(target, "hello")
    assert target.read_text() == "hello"
    assert [p.name for p in target.parent.iterdir()] == ["a.txt"]


def test_atomic_failure_leaves_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer crashed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_check_input_file(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="file not found"):
        check_input_file(tmp_path / "x.csv", what="age table")
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(DataSourceError, match=r"age table: file is empty \(0 bytes\)"):
        check_input_file(tmp_path / "e.csv", what="age table")
    with pytest.raises(DataSourceError, match="is a directory"):
        check_input_file(tmp_path, what="age table")
