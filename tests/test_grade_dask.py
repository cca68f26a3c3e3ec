"""The same per-submission job on a Dask cluster (``--scheduler``, through
``Client.get_executor()``), here a LocalCluster; skipped where the dask extra is missing."""

from __future__ import annotations

import csv

import pytest

from course_utils.grade.__main__ import main
from course_utils.grade.synthetic import notebook, write

distributed = pytest.importorskip("distributed")


def test_scheduler_grades_like_local_workers(tmp_path, capsys):
    subs = tmp_path / "subs"
    write(subs / "a.ipynb", notebook("03"))
    write(subs / "b.ipynb", notebook("03", "student"))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        code = main([str(subs), "--out", str(tmp_path / "dask"), "--scheduler",
                     cluster.scheduler_address, "--seed", "2", "--timeout", "20"])
    assert code == 0, capsys.readouterr()
    assert main([str(subs), "--out", str(tmp_path / "local"), "--workers", "2", "--seed", "2",
                 "--timeout", "20"]) == 0
    tables = []
    for out in ("dask", "local"):
        with open(tmp_path / out / "grades.csv", newline="") as file:
            tables.append(list(csv.DictReader(file)))
    assert tables[0] == tables[1]
    assert [r["total"] for r in tables[0]] == ["4", "0"]
