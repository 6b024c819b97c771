"""Tick-label helpers: long category names wrapped for narrow screens.

Wrapping happens in ``ticktext`` only, so the category value (what a click reports and what the
cross-filter uses) stays the real name.
"""

from __future__ import annotations


def wrap_label(text: str, width: int = 12) -> str:
    """Break ``text`` at spaces into lines of about ``width`` characters, joined with ``<br>``."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    return "<br>".join(lines)


def shorten(text: str, limit: int = 24) -> str:
    """Long names cut with an ellipsis, so bars keep their room on a phone (hover has the full name)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
