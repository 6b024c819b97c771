"""The app shell: navigation, global filters and the page container."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html


def build_layout() -> html.Div:
    return html.Div(
        [
            dbc.NavbarSimple(
                brand="Mauzo",
                brand_href="/",
                children=[
                    dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"]))
                    for page in dash.page_registry.values()
                ],
                color="primary",
                dark=True,
            ),
            dbc.Container(dash.page_container, fluid=True, className="py-3"),
        ]
    )
