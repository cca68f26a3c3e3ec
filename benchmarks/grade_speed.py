"""How fast ``python -m course_utils.grade`` grades a class: 40 synthetic submissions (each the
solution notebooks 01-03 in one student folder, 8 exercises) with 1 and then 2 sandboxes in
parallel; prints submissions per minute and the speed-up. Not a test: run it by hand,
``.venv/bin/python benchmarks/grade_speed.py [--students 40]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from course_utils.grade import BatchOptions, grade_all
from course_utils.grade.sandbox import detect
from course_utils.grade.synthetic import notebook, write


def _class(root: Path, students: int) -> Path:
    for i in range(students):
        for number in ("01", "02", "03"):
            write(root / f"student{i:03d}" / f"{number}.ipynb", notebook(number))
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    args = parser.parse_args()
    rates = {}
    with tempfile.TemporaryDirectory() as folder:
        submissions = _class(Path(folder) / "submissions", args.students)
        for workers in (1, 2):
            out = Path(folder) / f"out{workers}"
            start = time.perf_counter()
            summary = grade_all(BatchOptions(submissions, out, workers=workers, seed=1))
            seconds = time.perf_counter() - start
            assert len(summary.graded) == args.students
            rates[workers] = args.students / seconds * 60
            print(f"{workers} worker(s): {args.students} submissions in {seconds:.1f} s = "
                  f"{rates[workers]:.0f} submissions/min")
    print(f"speed-up 2 vs 1 worker: {rates[2] / rates[1]:.2f}x")
    caps = detect()
    print(f"isolation available: uid={caps.uid_drop} netns={caps.netns} mountns={caps.mountns} "
          f"cgroup-mem={caps.cgroup_memory is not None} cgroup-pids={caps.cgroup_pids is not None}"
          f" cgroup-cpu={caps.cgroup_cpu is not None}")


if __name__ == "__main__":
    main()
