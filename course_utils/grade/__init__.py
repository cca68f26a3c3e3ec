"""Grading a whole class's notebooks: sandboxed, parallel, tamper-proof (docs/grading.md).

``python -m course_utils.grade SUBMISSIONS --out OUT`` grades the by-hand exercises of notebooks
01-04, 06 and 08. The student's code runs only in ``worker`` (a separate, sandboxed process that
sends back plain data); this process compares with the references of ``course_utils.checks``.

Modules: ``registry`` (the exercises), ``hidden`` (seeded hidden cases), ``worker`` (the
sandboxed side), ``channel`` (plain data across the wall), ``sandbox`` (what the machine
enforces), ``runner`` (one submission's sandboxed run), ``judge`` and ``rules`` (verdicts, the
by-hand rule), ``grading`` (one student), ``submissions``, ``batch``, ``gradebook``,
``feedback``, ``exports`` (Canvas, Gradescope), ``config``.
"""

__all__ = ["BatchOptions", "grade_all"]

from course_utils.grade.batch import BatchOptions, grade_all
