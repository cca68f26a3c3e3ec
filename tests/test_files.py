"""course_utils.training.files: a write either lands whole or leaves the old file and no
temporary."""

import json
import os

import pytest

from course_utils.training import files


@pytest.mark.parametrize("payload", [b"x" * 1000, lambda out: out.write(b"y" * 10)])
def test_an_interrupted_write_leaves_nothing_behind(tmp_path, monkeypatch, payload):
    target = tmp_path / "cache" / "file"

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        files.write_atomic(target, payload)
    assert list(target.parent.iterdir()) == [], "no half-written file or temporary left behind"


def test_a_failed_rewrite_keeps_the_old_file(tmp_path):
    target = files.write_json_atomic(tmp_path / "history.json", {"epochs_done": 1})

    def broken(out):
        out.write(b"{half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        files.write_atomic(target, broken)
    assert json.loads(target.read_text()) == {"epochs_done": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["history.json"]


def test_written_files_are_readable_by_others(tmp_path):
    target = files.write_atomic(tmp_path / "a" / "b.bin", b"abc")
    assert target.read_bytes() == b"abc"
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)
