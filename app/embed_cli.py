"""``mauzo embed-link``: print a signed URL of one chart (``/embed/<chart>``) or one whole page
rendered without navigation (``/<page>?embed=1``), filters and branch scope locked (docs/embedding.md).

Kept out of ``ingest.cli`` (which only registers it) so the CLI module stays about loading data.
"""

from __future__ import annotations

import argparse
import sys

from app.config import Settings
from app.embed_link import DevSecretKey, link_scope, parse_duration, signed_url
from data.dimensions import FILTER_DIMENSIONS
from data.errors import InvalidFilter
from data.filters import Filters


def _embed_link(args: argparse.Namespace) -> int:
    from app import create_app
    from app.embed import chart_ids, page_paths

    settings = Settings.from_env()
    create_app(settings)  # registers the pages, hence the chart ids
    if args.chart is not None and args.chart not in chart_ids():
        print(f"unknown chart {args.chart!r}; embeddable charts: {', '.join(chart_ids())}", file=sys.stderr)
        return 2
    page = (args.page.rstrip("/") or "/") if args.page is not None else None
    if page is not None and page not in page_paths():
        print(f"unknown page {args.page!r}; pages: {', '.join(page_paths())}", file=sys.stderr)
        return 2
    try:
        expires_in = parse_duration(args.expires)
        chosen = {d.name: getattr(args, d.name) or [] for d in FILTER_DIMENSIONS}
        filters = Filters.create(start=args.startDate, end=args.endDate, compare=args.compare, **chosen)
        url = signed_url(settings, args.base_url, page or args.chart, filters,
                         link_scope(filters, args.scope_branch), expires_in)
    except DevSecretKey as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    except (ValueError, InvalidFilter) as exc:
        details = getattr(exc, "details", None)
        print(f"invalid link: {exc}{f' {details}' if details else ''}", file=sys.stderr)
        return 2
    print(url)
    return 0


def add_embed_link_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``embed-link`` on the ``mauzo`` command's subparsers."""
    cmd = sub.add_parser("embed-link", help="print a signed URL embedding one chart or page with locked filters")
    what = cmd.add_mutually_exclusive_group(required=True)
    what.add_argument("--chart", help="chart id (docs/embedding.md lists them)")
    what.add_argument("--page", help="a whole page, rendered without navigation: /, /salespeople, /branches...")
    for dim in FILTER_DIMENSIONS:
        cmd.add_argument(f"--{dim.arg}", dest=dim.name, action="append", metavar="VALUE",
                         help=f"lock the {dim.label.lower()} filter (repeat for several)")
    cmd.add_argument("--startDate", help="YYYY-MM-DD")
    cmd.add_argument("--endDate", help="YYYY-MM-DD")
    cmd.add_argument("--compare", help="comparison period (auto, previous, lastYear)")
    cmd.add_argument("--scope-branch", action="append", metavar="BRANCH",
                     help="branch scope of the link (default: the --branch values, else every branch)")
    cmd.add_argument("--expires", default="1h", help="lifetime: 30m, 1h, 7d... (default 1h)")
    cmd.add_argument("--base-url", default="http://127.0.0.1:8050", help="where the app is served")
    cmd.set_defaults(func=_embed_link)
