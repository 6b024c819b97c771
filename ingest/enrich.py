"""Enrich deals from lookup files joined on a key (salesperson -> branch and manager, product ->
product line, account -> sector).

A lookup is read with the same readers as a data file (CSV, Excel, Parquet; encoding and delimiter
detected) and must be a clean table: the key and every column used present, no key listed twice
with different values. A deal whose key is not in the lookup is never dropped nor silently left
blank: by default the file is rejected, naming each missing key with its row count and first file
lines (``product "GTXPro" not in products.csv``); the mapping can instead rename keys (``aliases``)
or accept the misses as ``Unassigned`` (``unmatched = "unassigned"``), which the report notes.
A deal with no key at all (a blank cell) is not a miss: its looked-up columns are ``Unassigned``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from data.schema import UNASSIGNED
from ingest.opportunities_mapping import Lookup
from ingest.parse import parse_numbers
from ingest.readers import read_source
from ingest.report import MAX_EXAMPLES, Problem
from ingest.source import ReadError

MAX_KEYS_NAMED = 5


def _deals(count: int, what: str = "deals") -> str:
    return f"{count:,} {what if count != 1 else what[:-1]}"


@dataclass
class LookupTable:
    """A validated lookup: one row per ``key``, each ``set`` column as text (``set:<column>``) and
    ``open_value`` as KSh."""

    lookup: Lookup
    frame: pl.DataFrame


@dataclass
class Enriched:
    frame: pl.DataFrame
    raw: pl.DataFrame
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    facts: dict[str, dict[str, int]] = field(default_factory=dict)


def _file_problem(lookup: Lookup, check: str, message: str, examples: list | None = None, count: int = 0) -> Problem:
    return Problem(None, check, f"[lookups.{lookup.name}] {lookup.path.name}: {message}", count, examples or [])


def load_lookup(lookup: Lookup) -> tuple[LookupTable | None, list[Problem]]:
    """Read and check one lookup file; returns the table, or None and the problems that refuse it."""
    path = lookup.path
    if not path.is_file():
        what = "is a directory, not a file" if path.is_dir() else "does not exist"
        return None, [_file_problem(lookup, "lookup_file", f"{path} {what}")]
    try:
        table = read_source(path)
    except ReadError as exc:
        return None, [_file_problem(lookup, exc.problem.check, exc.problem.message)]
    except Exception as exc:  # noqa: BLE001 - a bad lookup must end in a report, never a traceback
        return None, [_file_problem(lookup, "unreadable", f"cannot read it: {type(exc).__name__}: {exc}")]
    problems = [_file_problem(lookup, p.check, p.message, p.examples, p.count) for p in table.problems]
    needed = [lookup.key, *lookup.set, *([lookup.open_value] if lookup.open_value else [])]
    missing = [c for c in needed if c not in table.frame.columns]
    if missing:
        problems.append(_file_problem(lookup, "lookup_column_missing",
                                      f"has no column {', '.join(map(repr, missing))} "
                                      f"(columns: {table.frame.columns})"))
    if problems or table.frame.height == 0:
        return None, problems or [_file_problem(lookup, "empty_file", "has a header but no rows")]
    frame = table.frame.select(
        pl.col(lookup.key).cast(pl.String).str.strip_chars().alias("key"),
        *[pl.col(c).cast(pl.String).str.strip_chars().alias(f"set:{c}") for c in lookup.set],
    ).with_columns(table.lines.alias("line"))
    if lookup.open_value:
        text = table.frame[lookup.open_value].cast(pl.String).str.strip_chars()
        value = parse_numbers(text, ".", ",")
        failing = value.is_null() & text.is_not_null() & (text != "")
        failing |= value < 0
        if failing.any():
            picked = pl.DataFrame({"line": table.lines, "v": text}).filter(failing).head(MAX_EXAMPLES)
            problems.append(Problem(f"{path.name}:{lookup.open_value}", "number_format",
                                    "not a non-negative number", int(failing.sum()), list(picked.iter_rows())))
        frame = frame.with_columns(value.alias("open_value"))
    frame = frame.filter(pl.col("key").is_not_null() & (pl.col("key") != ""))
    values = [c for c in frame.columns if c not in ("key", "line")]
    conflicting = frame.group_by("key", maintain_order=True).agg(pl.struct(values).n_unique().alias("n"),
                                                                  pl.col("line"))
    conflicting = conflicting.filter(pl.col("n") > 1)
    if conflicting.height:
        examples = [(int(line), key) for key, lines in conflicting.select("key", "line").iter_rows()
                    for line in lines][:MAX_EXAMPLES]
        problems.append(Problem(f"{path.name}:{lookup.key}", "lookup_duplicate_key",
                                "key listed more than once with different values (which one applies?)",
                                int(conflicting["line"].list.len().sum()), examples))
    if problems:
        return None, problems
    return LookupTable(lookup, frame.unique("key", keep="first", maintain_order=True).drop("line")), []


def _named(keys: pl.DataFrame, column: str, label: str) -> str:
    """``product "GTXPro" not in products.csv`` or ``3 product values not in products.csv: "A" (10 rows), ...``."""
    if keys.height == 1:
        return f'{column} "{keys["key"][0]}" not in {label}'
    shown = ", ".join(f'"{k}" ({n:,} row{"s" if n != 1 else ""})' for k, n in keys.head(MAX_KEYS_NAMED).iter_rows())
    more = f", and {keys.height - MAX_KEYS_NAMED:,} more" if keys.height > MAX_KEYS_NAMED else ""
    return f"{keys.height:,} {column} values not in {label}: {shown}{more}"


def apply_lookup(frame: pl.DataFrame, raw: pl.DataFrame, lines: pl.Series, table: LookupTable, unit: str,
                 enriched: Enriched) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Join one lookup onto the deals. ``frame[join]`` holds the cleaned key, null where blank;
    ``frame["outcome"]`` must be derived already (``open_value`` applies to open deals only)."""
    lookup = table.lookup
    join, label = lookup.join, lookup.label
    key = frame[join]
    renamed = key.replace_strict(lookup.aliases, default=key, return_dtype=pl.String) if lookup.aliases else key
    aliased = int((renamed != key).fill_null(False).sum())
    joined = pl.DataFrame({"key": renamed}).join(table.frame.with_columns(pl.lit(True).alias("found")), on="key",
                                                 how="left", maintain_order="left")
    found = joined["found"].fill_null(False)
    blank = renamed.is_null()
    missing = ~found & ~blank
    facts = {"matched": int(found.sum()), "blank": int(blank.sum()), "unmatched": int(missing.sum()),
             "aliased": aliased}
    enriched.facts[lookup.name] = facts
    if facts["unmatched"]:
        keys = (pl.DataFrame({"key": renamed}).filter(missing).group_by("key").len()
                .sort(["len", "key"], descending=[True, False]))
        message = _named(keys, join, label)
        if lookup.unmatched == "reject":
            picked = pl.DataFrame({"line": lines, "key": key}).filter(missing).head(MAX_EXAMPLES)
            enriched.problems.append(Problem(
                join, "lookup_unmatched",
                f"{message} (add it to {label}, map it with aliases, or set unmatched = \"unassigned\" "
                f"in [lookups.{lookup.name}])", facts["unmatched"], list(picked.iter_rows()), unit))
        else:
            targets = ", ".join(lookup.set.values()) or "value"
            verb = "is" if len(lookup.set) == 1 else "are"
            enriched.notes.append(f"[lookups.{lookup.name}] {_deals(facts['unmatched'])}: {message}; their {targets} "
                                  f"{verb} {UNASSIGNED} (unmatched = \"unassigned\")")
    if aliased:
        enriched.notes.append(f"[lookups.{lookup.name}] {aliased:,} {join} values renamed by aliases "
                              f"({', '.join(f'{a!r} -> {b!r}' for a, b in list(lookup.aliases.items())[:3])})")
    if facts["blank"] and lookup.set:
        enriched.notes.append(f"[lookups.{lookup.name}] {_deals(facts['blank'])} without {join}: their "
                              f"{', '.join(lookup.set.values())} {'is' if len(lookup.set) == 1 else 'are'} "
                              f"{UNASSIGNED}")
    looked_up = [joined[f"set:{src}"].alias(dst) for src, dst in lookup.set.items()]
    for src, values in zip(lookup.set, looked_up, strict=True):
        empty = int((found & (values.is_null() | (values == ""))).sum())
        if empty:
            enriched.notes.append(f"[lookups.{lookup.name}] {_deals(empty)} matched a row of {label} whose {src} is "
                                  f"blank: their {values.name} is {UNASSIGNED}")
    frame = frame.with_columns(renamed.alias(join), *looked_up)
    raw = raw.with_columns(looked_up)
    if lookup.open_value:
        fill = (frame["outcome"] == "open") & frame["value"].is_null() & found
        filled = int(fill.sum())
        facts["open_valued"] = filled
        if filled:
            enriched.notes.append(f"[lookups.{lookup.name}] {_deals(filled, 'open deals')} without a value valued at "
                                  f"{label} {lookup.open_value} (an expected value)")
        frame = frame.with_columns(pl.when(pl.lit(fill)).then(pl.lit(joined["open_value"]))
                                   .otherwise(pl.col("value")).alias("value"))
        shown = raw["value"] if "value" in raw.columns else pl.Series([None] * raw.height, dtype=pl.String)
        raw = raw.with_columns(pl.when(pl.lit(fill)).then(pl.lit(joined["open_value"].cast(pl.String)))
                               .otherwise(pl.lit(shown.cast(pl.String))).alias("value"))
    return frame, raw


def enrich(frame: pl.DataFrame, raw: pl.DataFrame, lines: pl.Series, tables: list[LookupTable],
           unit: str) -> Enriched:
    """Apply every lookup in mapping order; problems list the unmatched keys of rejecting lookups."""
    enriched = Enriched(frame, raw)
    for table in tables:
        enriched.frame, enriched.raw = apply_lookup(enriched.frame, enriched.raw, lines, table, unit, enriched)
    return enriched
