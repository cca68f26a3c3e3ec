"""One-line messages: what a student reads when something goes wrong, terminal or notebook."""

from __future__ import annotations

import re
import textwrap

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # terminal colour codes inside a library's message


def plain_text(text: object, width: int = 300) -> str:
    """``text`` on one line, without terminal colour codes, shortened at a word boundary (never
    mid-word): how a reason reads the same in a terminal and in a notebook."""
    flat = " ".join(_ANSI.sub("", str(text)).split())
    return textwrap.shorten(flat, width, placeholder=" [...]")


__all__ = ["plain_text"]
