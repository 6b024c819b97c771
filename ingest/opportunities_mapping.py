"""The mapping file of a CRM opportunities export (``mauzo ingest --dataset pipeline --mapping``).

Same TOML conventions as the sales mapping (``ingest.mapping``): the format keys (encoding,
delimiter, date_format, decimal, thousands, sheet, [filter]) mean the same and are validated by the
same code; [columns] and [constants] name the opportunity columns; [stages] says which stage names
mean won, lost and open; [lookups.NAME] enrich the deals from other files joined on a key. A wrong
key is an error, never silently ignored. Paths are relative to the mapping file (or ``lookup_dir``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.headers import normalise
from ingest.mapping import Mapping, MappingError, mapping_from_dict
from ingest.opportunities import DEFAULT_LOST, DEFAULT_WON, DIMENSIONS, SOURCE_COLUMNS, StageRules
from ingest.report import Problem

FORMAT_KEYS = ("encoding", "delimiter", "date_format", "decimal", "thousands", "sheet", "filter")
TOP_KEYS = {*FORMAT_KEYS, "columns", "constants", "stages", "lookup_dir", "lookups"}
LOOKUP_KEYS = {"file", "join", "key", "set", "aliases", "unmatched", "open_value"}
UNMATCHED = ("reject", "unassigned")

# Header spellings recognised without a mapping (compared after ``ingest.headers.normalise``).
ALIASES: dict[str, tuple[str, ...]] = {
    "opportunity_id": ("opportunityid", "opportunity", "oppid", "dealid", "opportunityno", "opportunitynumber",
                       "dealno", "dealnumber"),
    "salesperson": ("salesperson", "salesagent", "salesrep", "owner", "opportunityowner", "dealowner", "agent", "rep",
                    "accountexecutive"),
    "manager": ("manager", "salesmanager", "teamlead"),
    "branch": ("branch", "regionaloffice", "region", "office", "territory"),
    "product": ("product", "productname"),
    "product_line": ("productline", "series", "productseries", "productfamily"),
    "customer": ("customer", "account", "accountname", "company", "client", "customername"),
    "sector": ("sector", "industry"),
    "lead_source": ("leadsource", "source", "channel"),
    "stage": ("stage", "dealstage", "stagename", "pipelinestage"),
    "engage_date": ("engagedate", "createddate", "createdate", "opendate", "startdate"),
    "close_date": ("closedate", "closeddate", "dateclosed"),
    "value": ("value", "closevalue", "amount", "dealvalue", "opportunityamount"),
}
_LOOKUP: dict[str, str] = {alias: target for target, names in ALIASES.items() for alias in names}


@dataclass(frozen=True)
class Lookup:
    """Enrich deals from another file: the deal's ``join`` column is looked up in the file's ``key``
    column, and the file's ``set`` columns fill the named canonical columns."""

    name: str
    path: Path
    join: str
    key: str
    set: dict[str, str]  # lookup column -> canonical column
    aliases: dict[str, str] = field(default_factory=dict)  # deal value -> lookup key
    unmatched: str = "reject"  # or "unassigned": the set columns of an unmatched deal become Unassigned
    open_value: str | None = None  # lookup column: the value of open deals that have none (an expected value)

    @property
    def label(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class PipelineMapping:
    """Everything that says how to read one opportunities export."""

    format: Mapping = field(default_factory=Mapping)  # encoding, delimiter, dates, decimals, sheet, [filter]
    columns: dict[str, str] = field(default_factory=dict)  # source header -> canonical
    constants: dict[str, str] = field(default_factory=dict)  # canonical -> value for every row
    stages: StageRules = field(default_factory=StageRules)
    lookups: tuple[Lookup, ...] = ()

    def looked_up(self) -> set[str]:
        """Canonical columns some lookup fills."""
        return {target for lookup in self.lookups for target in lookup.set.values()}


def _table(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise MappingError(f"{where} must be a table")
    return raw


def _names(raw: Any, where: str) -> tuple[str, ...]:
    values = raw if isinstance(raw, list) else [raw]
    if not values or not all(isinstance(v, str) and v.strip() for v in values):
        raise MappingError(f"{where} must be a stage name or a list of non-empty stage names")
    return tuple(v.strip() for v in values)


def _target(name: Any, where: str, allowed: tuple[str, ...] = SOURCE_COLUMNS) -> str:
    if name not in allowed:
        raise MappingError(f"{where}: {name!r} is not an opportunity column; use one of {list(allowed)}")
    return name


def _stages(raw: dict[str, Any]) -> StageRules:
    unknown = set(raw) - {"won", "lost", "open"}
    if unknown:
        raise MappingError(f"[stages]: unknown keys {sorted(unknown)}; allowed: won, lost, open")
    won = _names(raw.get("won", list(DEFAULT_WON)), "[stages] won")
    lost = _names(raw.get("lost", list(DEFAULT_LOST)), "[stages] lost")
    opened = _names(raw["open"], "[stages] open") if "open" in raw else None
    seen: dict[str, str] = {}
    for kind, names in (("won", won), ("lost", lost), ("open", opened or ())):
        for name in names:
            if name.lower() in seen:
                raise MappingError(f"[stages]: {name!r} is listed as {seen[name.lower()]} and as {kind}")
            seen[name.lower()] = kind
    return StageRules(won, lost, opened)


def _lookup(name: str, raw: Any, base: Path) -> Lookup:
    where = f"[lookups.{name}]"
    raw = _table(raw, where)
    unknown = set(raw) - LOOKUP_KEYS
    if unknown:
        raise MappingError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(LOOKUP_KEYS)}")
    missing = [k for k in ("file", "join", "key") if not isinstance(raw.get(k), str) or not raw.get(k)]
    if missing:
        raise MappingError(f"{where}: needs {', '.join(missing)} (text)")
    join = _target(raw["join"], f"{where} join", DIMENSIONS)
    sets = {str(src): _target(dst, f"{where} set {src!r}", DIMENSIONS)
            for src, dst in _table(raw.get("set", {}), f"{where} set").items()}
    if join in sets.values():
        raise MappingError(f"{where}: sets {join!r}, the column it joins on")
    open_value = raw.get("open_value")
    if open_value is not None and not isinstance(open_value, str):
        raise MappingError(f"{where} open_value must name a column of {raw['file']}")
    if not sets and open_value is None:
        raise MappingError(f"{where}: set at least one column (set = {{ lookup_column = \"canonical\" }}) "
                           "or open_value")
    unmatched = raw.get("unmatched", "reject")
    if unmatched not in UNMATCHED:
        raise MappingError(f"{where} unmatched must be one of {list(UNMATCHED)}, not {unmatched!r}")
    aliases = {str(k): str(v) for k, v in _table(raw.get("aliases", {}), f"{where} aliases").items()}
    return Lookup(name, (base / raw["file"]).resolve(), join, raw["key"], sets, aliases, unmatched, open_value)


def pipeline_mapping_from_dict(raw: dict[str, Any], base: Path) -> PipelineMapping:
    """Validate a parsed TOML document (``base``: the mapping file's directory); raises ``MappingError``."""
    unknown = set(raw) - TOP_KEYS
    if unknown:
        raise MappingError(f"unknown mapping keys {sorted(unknown)}; allowed: {sorted(TOP_KEYS)}")
    fmt = mapping_from_dict({k: raw[k] for k in FORMAT_KEYS if k in raw})
    columns = {str(src): _target(dst, f"[columns] {src!r}")
               for src, dst in _table(raw.get("columns", {}), "[columns]").items()}
    targets = list(columns.values())
    repeated = sorted({t for t in targets if targets.count(t) > 1})
    if repeated:
        raise MappingError(f"[columns] maps several source columns to {repeated}")
    constants = {_target(k, "[constants]"): str(v) for k, v in _table(raw.get("constants", {}), "[constants]").items()}
    both = sorted(set(constants) & set(targets))
    if both:
        raise MappingError(f"{both} given both as a column and as a constant")
    lookup_dir = raw.get("lookup_dir", ".")
    if not isinstance(lookup_dir, str):
        raise MappingError("lookup_dir must be a path (relative to the mapping file)")
    lookups = tuple(_lookup(str(name), spec, base / lookup_dir)
                    for name, spec in _table(raw.get("lookups", {}), "[lookups]").items())
    filled: dict[str, str] = {}
    for lookup in lookups:
        for target in lookup.set.values():
            if target in filled:
                raise MappingError(f"{target!r} is set by both [lookups.{filled[target]}] and [lookups.{lookup.name}]")
            if target in targets or target in constants:
                raise MappingError(f"{target!r} comes both from the file ([columns] or [constants]) and from "
                                   f"[lookups.{lookup.name}]")
            filled[target] = lookup.name
    joins = {lookup.join for lookup in lookups}
    chained = sorted(joins & set(filled))
    if chained:
        raise MappingError(f"{chained} is joined on but filled by another lookup; join on columns of the file")
    stages = _stages(_table(raw.get("stages", {}), "[stages]"))
    return PipelineMapping(fmt, columns, constants, stages, lookups)


def load_pipeline_mapping(path: Path) -> PipelineMapping:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"mapping file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{path} is not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"cannot read mapping file {path}: {exc}") from None
    return pipeline_mapping_from_dict(raw, path.resolve().parent)


def recognise(header: str) -> str | None:
    """The opportunity column a header spelling stands for, if any."""
    key = normalise(header)
    return key if key in SOURCE_COLUMNS else _LOOKUP.get(key)


def score(headers: list[str]) -> int:
    """How many headers are recognised: ranks candidate delimiters while sniffing."""
    return sum(recognise(h) is not None for h in headers)


@dataclass
class ColumnPlan:
    sources: dict[str, str] = field(default_factory=dict)  # canonical -> source header
    ignored: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def plan_columns(headers: list[str], mapping: PipelineMapping) -> ColumnPlan:
    """Explicit [columns] win; other headers are recognised by spelling, except columns the mapping
    fills itself (a constant or a lookup). Two headers for one column are refused, not guessed."""
    plan = ColumnPlan()
    for source, target in mapping.columns.items():
        if source not in headers:
            plan.problems.append(Problem(
                target, "mapping_column_missing",
                f"the mapping reads column {source!r}, which the file does not have (columns: {headers})", 0))
        else:
            plan.sources[target] = source
    supplied = set(mapping.constants) | mapping.looked_up()
    claimed: dict[str, list[str]] = {}
    for header in headers:
        if header in mapping.columns:
            continue
        target = recognise(header)
        if target is None or target in plan.sources or target in supplied:
            plan.ignored.append(header)
            continue
        claimed.setdefault(target, []).append(header)
    for target, sources in claimed.items():
        if len(sources) > 1:
            plan.problems.append(Problem(target, "ambiguous_column",
                                         f"several columns look like {target}: {sources}; name one in a mapping file",
                                         0))
        else:
            plan.sources[target] = sources[0]
    return plan
