"""The response envelope and its JSON/CSV renderings.

Why one module: every route, success or error, must produce the same envelope with camelCase
keys, so clients parse one shape; CSV is rendered from the very rows the JSON carries, so the two
formats cannot disagree.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
from flask import Response, g

from app.observability import current_stats, elapsed_ms
from components.csv_safety import safe_cell
from data.filters import Filters

JSON_MIMETYPE = "application/json"
CSV_MIMETYPE = "text/csv"


def camel(name: str) -> str:
    """``gross_profit`` -> ``grossProfit``; names already in camelCase pass through."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def jsonable(value: Any) -> Any:
    """Plain JSON values with camelCase keys: dates become ISO strings, NaN/inf become null."""
    if isinstance(value, Mapping):
        return {camel(str(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def frame_records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows of a data-layer frame as JSON-ready dicts (column order kept)."""
    return [jsonable(row) for row in frame.to_dicts()]


def metadata(filters: dict[str, Any] | None, row_count: int, cached: bool | None = None) -> dict[str, Any]:
    """The envelope's ``metadata`` for this request; ``cached`` defaults to "every query of this
    request was served from the cache" (a cached response passes True)."""
    if cached is None:
        stats = current_stats()
        cached = bool(stats and stats.all_cached)
    g.mauzo_rows = row_count
    return {
        "requestId": g.get("request_id"),
        "generatedAt": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "filters": filters,
        "rowCount": row_count,
        "cached": cached,
        "durationMs": elapsed_ms(),
    }


def envelope(data: Any, filters: Filters | None, row_count: int,
             error: dict[str, Any] | None = None) -> dict[str, Any]:
    """The one response shape. ``rowCount`` is the number of rows the data's CSV form has."""
    return {"data": data, "error": error,
            "metadata": metadata(filters.as_dict() if filters is not None else None, row_count)}


def dumps(value: Any) -> str:
    """Compact JSON in key order (Flask's provider would sort keys); NaN is refused, it is not JSON."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def envelope_json(data_json: str, error: dict[str, Any] | None, meta: dict[str, Any]) -> str:
    """The envelope's JSON from its data already serialized: exactly ``dumps`` of the whole envelope,
    so a cached response (``app.cache_response``) re-serializes only the per-request metadata."""
    return f'{{"data":{data_json},"error":{dumps(error)},"metadata":{dumps(meta)}}}'


def json_response(payload: dict[str, Any], status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """Serialize in key order. An envelope's serialized data is kept on ``g.mauzo_data_json`` for
    the response cache, with its metadata."""
    if list(payload) == ["data", "error", "metadata"]:
        data_json = dumps(payload["data"])
        g.mauzo_data_json = (data_json, payload["metadata"])
        body = envelope_json(data_json, payload["error"], payload["metadata"])
    else:
        body = dumps(payload)
    return Response(body, status=status, mimetype=JSON_MIMETYPE, headers=dict(headers or {}))


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    # Text from ingested files (names) must not run as a formula in a spreadsheet; numbers stay numbers.
    return str(safe_cell(value))


def csv_text(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """CSV with a header row; cells are written as the JSON would show them (floats via repr),
    except that text starting like a formula gets a leading quote (``components.csv_safety``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(col)) for col in columns])
    return buffer.getvalue()


def csv_response(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], name: str,
                 headers: Mapping[str, str] | None = None) -> Response:
    g.mauzo_rows = len(rows)
    response = Response(csv_text(rows, columns), mimetype=CSV_MIMETYPE, headers=dict(headers or {}))
    response.headers["Content-Disposition"] = f'inline; filename="{name}.csv"'
    return response
