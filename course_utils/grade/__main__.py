"""``python -m course_utils.grade SUBMISSIONS --out OUT [--workers N] [--timeout SECONDS]
[--memory-mb MB] [--scheduler ADDRESS] [--regrade] [--canvas-export FILE] [--config FILE]
[--seed N]`` and ``python -m course_utils.grade --gradescope``.

Exit codes: 0 done, 1 some student could not be graded (grader error), 2 bad input (one line
on stderr, no traceback), 130 interrupted (finished rows kept; rerun to continue).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from course_utils.grade.batch import BatchOptions, grade_all
from course_utils.grade.config import ConfigError
from course_utils.grade.exports import canvas_csv, gradescope
from course_utils.grade.gradebook import Gradebook
from course_utils.grade.sandbox import detect
from course_utils.grade.submissions import InputError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.grade",
        description="Grade a class's notebooks (01-04, 06, 08) in sandboxes: OUT/grades.csv and "
                    "OUT/feedback/<student>.html.")
    parser.add_argument("submissions", nargs="?", type=Path,
                        help="<student>.ipynb files or <student>/ folders")
    parser.add_argument("--out", type=Path, help="output folder (grades.csv, feedback/, rows/)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="sandboxes in parallel (default: CPU count)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds for one student's whole notebook (default 60)")
    parser.add_argument("--memory-mb", type=int, default=1024,
                        help="memory per sandbox in MB (default 1024)")
    parser.add_argument("--scheduler", help="Dask scheduler address (needs the dask extra)")
    parser.add_argument("--regrade", action="store_true",
                        help="grade every student again, changed or not")
    parser.add_argument("--canvas-export", type=Path, metavar="FILE",
                        help="also write a Canvas gradebook import CSV")
    parser.add_argument("--config", type=Path, help="grading settings (TOML, see docs)")
    parser.add_argument("--seed", type=int, help="seed of the hidden cases")
    parser.add_argument("--gradescope", action="store_true",
                        help="run inside Gradescope's autograder (/autograder)")
    return parser


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.gradescope:
        results = gradescope(args.timeout, args.memory_mb)
        print(f"score {results['score']:g}: {results['output']}")
        return 0
    if args.submissions is None or args.out is None:
        return _fail("give SUBMISSIONS and --out OUT (or --gradescope)")
    if args.workers < 1 or args.timeout <= 0 or args.memory_mb < 64:
        return _fail("--workers must be >= 1, --timeout > 0 and --memory-mb >= 64")
    options = BatchOptions(submissions=args.submissions, out=args.out, workers=args.workers,
                           timeout_s=args.timeout, memory_mb=args.memory_mb,
                           regrade=args.regrade, scheduler=args.scheduler, config=args.config,
                           seed=args.seed)
    try:
        summary = grade_all(options, progress=print)
    except (InputError, ConfigError) as err:
        return _fail(str(err))
    except (OSError, RuntimeError) as err:
        return _fail(f"{type(err).__name__}: {err}")
    for note in summary.notes:
        print(f"note: {note}", file=sys.stderr)
    book = Gradebook(args.out, summary.exercises)
    if args.canvas_export:
        canvas_csv(book.rows(), args.canvas_export)
    caps = detect()
    print(f"{len(summary.graded)} graded, {len(summary.skipped)} unchanged (skipped); "
          f"{args.out / 'grades.csv'}" + "".join(f"; {n}" for n in caps.notes))
    if summary.interrupted:
        print("interrupted: finished students are kept; run again to grade the rest",
              file=sys.stderr)
        return 130
    return 1 if any("not graded" in n for n in summary.notes) else 0


if __name__ == "__main__":
    sys.exit(main())
