"""One data-state component for every page section: loading, empty, error, or content.

Sections are ``section(id)`` containers filled by one callback each; callbacks wrap their body in
``render_section`` so a failure shows an error panel with the request id, and an empty result
shows "No sales match these filters": never a blank page, a Dash error popup or a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from data.context import current_request_id
from data.errors import DataLayerError, EngineUnavailable, InvalidFilter

log = logging.getLogger("mauzo.pages")

EMPTY_MESSAGE = "No sales match these filters"


class NoData(Exception):
    """Raised by a section body when the filtered data is empty."""


def section(section_id: str, min_height: int = 120, **kwargs: Any) -> dcc.Loading:
    """A container whose content a callback fills; shows a spinner while the callback runs."""
    return dcc.Loading(
        html.Div(id=section_id, style={"minHeight": f"{min_height}px"}, **kwargs),
        type="dot",
        delay_show=150,
        parent_className="mauzo-section",
    )


def empty_state(message: str = EMPTY_MESSAGE, hint: str = "Widen the date range or clear a filter.") -> html.Div:
    return html.Div(
        [html.Div(message, className="fw-semibold"), html.Div(hint, className="small text-muted")],
        className="mauzo-empty text-center p-4 border rounded",
        **{"data-state": "empty"},
    )


def error_state(message: str, request_id: str | None) -> html.Div:
    return html.Div(
        dbc.Alert(
            [
                html.Div(message, className="fw-semibold"),
                html.Div(f"Request id: {request_id or 'n/a'}", className="small font-monospace mauzo-request-id"),
            ],
            color="danger",
            className="mb-0",
        ),
        className="mauzo-error",
        **{"data-state": "error"},
    )


def render_section(build: Callable[[], Any]) -> Any:
    """Run a section body and turn every failure into a visible, explained state."""
    try:
        return build()
    except NoData:
        return empty_state()
    except InvalidFilter as exc:
        details = "; ".join(f"{k}: {v}" for k, v in exc.details.items()) or str(exc)
        return error_state(f"These filters are not valid ({details}).", current_request_id())
    except EngineUnavailable as exc:
        log.warning("engine unavailable: %s", exc)
        return error_state(
            "The sales store is not available: no data has been loaded yet, or it cannot be opened.",
            current_request_id(),
        )
    except DataLayerError:
        log.exception("data layer failed (request %s)", current_request_id())
        return error_state("The figures could not be computed.", current_request_id())
    except Exception:  # noqa: BLE001 - a page section must never show a traceback
        log.exception("section failed (request %s)", current_request_id())
        return error_state("Something went wrong while building this view.", current_request_id())
