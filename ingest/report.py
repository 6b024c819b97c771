"""Problems found in a file and the report that lists them, as text for people and JSON for tools.

A report must let someone fix the file without opening a debugger: every problem names the column,
the check, how many rows fail and the first few file line numbers with the raw values as written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

MAX_EXAMPLES = 5
# An example value longer than this is cut, and says how long it was: a 5 MB cell must not be
# echoed whole to a terminal or into the JSON report.
MAX_VALUE_CHARS = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def visible(text: str) -> str:
    """``text`` with control characters written as escapes (``\\x00``, ``\\n``), for one-line output."""
    def escape(match: re.Match[str]) -> str:
        return match.group().encode("unicode_escape").decode("ascii")
    return _CONTROL.sub(escape, text)


def truncate(value: str, limit: int = MAX_VALUE_CHARS) -> str:
    """The first ``limit`` characters of a long value, saying how long the whole value is."""
    if len(value) <= limit:
        return value
    return f"{value[:limit]}… ({len(value):,} characters)"


@dataclass
class Problem:
    """One failed check. ``examples`` hold (line number, raw value) pairs, first lines first."""

    column: str | None
    check: str
    message: str
    count: int = 1
    examples: list[tuple[int, str | None]] = field(default_factory=list)
    unit: str = "line"  # "line" for CSV/XLSX rows, "row" for Parquet

    def __post_init__(self) -> None:
        # A cell value is cut at MAX_VALUE_CHARS; a file-level example (column None) is a sentence
        # built by the check, which cuts the raw text it quotes, so it only gets a generous cap.
        limit = MAX_VALUE_CHARS if self.column is not None else 4 * MAX_VALUE_CHARS
        self.examples = [(line, truncate(value, limit) if isinstance(value, str) else value)
                         for line, value in self.examples]

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "check": self.check,
            "message": self.message,
            "count": self.count,
            "examples": [{self.unit: line, "value": value} for line, value in self.examples],
        }

    def lines(self) -> list[str]:
        """Text form: a headline, then one indented line per example."""
        rows = "row" if self.count == 1 else "rows"
        where = f"{self.column}: " if self.column else ""
        head = f"{where}{self.message} [{self.check}]"
        if self.examples or self.count > 1:
            head += f" — {self.count:,} {rows}"
        out = [head]
        for line, value in self.examples:
            if self.column is None:
                out.append(f"    {self.unit} {line:,}: {visible(str(value))}")
                continue
            shown = "(empty)" if value is None or value == "" else visible(json.dumps(value, ensure_ascii=False))
            out.append(f"    {self.unit} {line:,}: {self.column} = {shown}")
        if self.count > len(self.examples) and self.examples:
            out.append(f"    ... and {self.count - len(self.examples):,} more")
        return out


def problem_from_mask(
    column: str,
    check: str,
    message: str,
    failing: pl.Series,
    lines: pl.Series,
    raw: pl.Series,
    unit: str,
) -> Problem | None:
    """Build a problem from a boolean mask over the rows; None when no row fails."""
    count = int(failing.sum())
    if count == 0:
        return None
    picked = pl.DataFrame({"line": lines, "raw": raw}).filter(failing).head(MAX_EXAMPLES)
    examples = [(int(line), "" if value is None else value) for line, value in picked.iter_rows()]
    return Problem(column, check, message, count, examples, unit)


@dataclass
class Report:
    """Everything an ingest learnt about a file; ``problems`` empty means the file is valid."""

    file: str
    status: str = "rejected"  # ok | dry_run | rejected
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "status": self.status, **self.facts, "notes": self.notes,
                "problems": [p.to_dict() for p in self.problems]}

    def write_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n",
                        encoding="utf-8")

    def text(self) -> str:
        """The rejection report (or the notes of a valid file) as plain text."""
        rows = self.facts.get("source_rows")
        size = f" ({rows:,} data rows)" if isinstance(rows, int) else ""
        if not self.problems:
            return "\n".join([f"{self.file}{size}: valid"] + [f"  note: {n}" for n in self.notes])
        count = len(self.problems)
        out = [f"REJECTED {self.file}{size}: {count} problem{'s' if count > 1 else ''}; nothing was written."]
        for problem in self.problems:
            first, *rest = problem.lines()
            out.append(f"  - {first}")
            out.extend(f"  {line}" for line in rest)
        out.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(out)
