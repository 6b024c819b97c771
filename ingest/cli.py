"""The ``mauzo`` command line: ingest files, generate demo data, serve the app."""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

from data.store import SnapshotStore


def _demo(args: argparse.Namespace) -> int:
    import datetime as dt

    from data.schema import OPPORTUNITIES_TABLE
    from ingest.demo import generate
    from ingest.demo_pipeline import commit_demo_deals, demo_deals, store_has_data
    from ingest.pipeline import druid_settings
    from ingest.storage import commit_lines
    from ingest.validate_canonical import validate_canonical

    store = SnapshotStore(args.data_dir)
    if args.if_empty and store_has_data(store):
        manifest = store.manifest()
        print(f"store already holds {manifest.rows:,} rows and {manifest.rows_of(OPPORTUNITIES_TABLE):,} deals "
              f"(data version {manifest.version}); no demo generated")
        return 0
    end = dt.date.fromisoformat(args.end_date) if args.end_date else None
    started = time.perf_counter()
    frame = generate(rows=args.rows, seed=args.seed, end=end)
    generated = time.perf_counter() - started
    failures = validate_canonical(frame)
    if failures is not None:
        print(f"demo data failed validation (a bug):\n{failures.head(20)}", file=sys.stderr)
        return 3
    label = f"demo(rows={args.rows}, seed={args.seed}, end={frame['sale_date'].max()})"
    deals, deal_failures = demo_deals(frame, args.seed, label)
    if deal_failures is not None:
        print(f"demo pipeline failed validation (a bug):\n{deal_failures.head(20)}", file=sys.stderr)
        return 3
    sha = hashlib.sha256(label.encode()).hexdigest()
    druid = druid_settings(args)
    if druid is not None:  # the sales lines go to Druid; the CRM pipeline is served from the local store only
        from data.engines.druid_ingest import ingest_storage_frame, progress_printer
        from ingest.storage import to_storage

        entry = ingest_storage_frame(to_storage(frame), settings=druid, mode=args.mode, file_name=label, sha256=sha,
                                     on_progress=progress_printer())
        print(f"demo: {frame.height:,} rows loaded into Druid datasource {druid.datasource} "
              f"(data version {entry['data_version']}); the demo pipeline is not loaded into Druid")
        return 0
    entry = commit_lines(frame, data_dir=store.data_dir, file_name=label, sha256=sha, mode=args.mode)
    entry = commit_demo_deals(deals, data_dir=store.data_dir, label=label, mode=args.mode) or entry
    seconds = time.perf_counter() - started
    print(
        f"demo: {frame.height:,} rows and {deals.height:,} deals in {seconds:.1f} s ({frame.height / seconds:,.0f} "
        f"rows/s; generate {generated:.1f} s) -> {store.data_dir} data version {entry['data_version']}"
    )
    return 0


def _ingest(args: argparse.Namespace) -> int:
    if args.dataset == "pipeline":
        from ingest.opportunities_ingest import run_pipeline_cli

        return run_pipeline_cli(args)
    from ingest.pipeline import run_ingest_cli

    return run_ingest_cli(args)


def _upgrade(args: argparse.Namespace) -> int:
    store = SnapshotStore(args.data_dir)
    before = store.manifest()
    if store.upgrade():
        after = store.manifest()
        assert before is not None and after is not None
        change = (f"from storage format {before.storage_format} to {after.storage_format}"
                  if before.storage_format < after.storage_format else "(rollups rebuilt)")
        print(f"upgraded {store.data_dir} {change}: {after.rows:,} rows, data version {after.version}")
    else:
        print(f"{store.data_dir}: nothing to upgrade")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from app.config import Settings

    # The gunicorn workers read their settings from the environment they inherit.
    os.environ["MAUZO_DATA_DIR"] = str(Path(args.data_dir).resolve() if args.data_dir else Settings.from_env().data_dir)
    if args.dev:
        from app import create_app

        create_app().run(host=args.host, port=args.port, debug=True)
        return 0
    command = [
        sys.executable, "-m", "gunicorn", "app.wsgi:server",
        "--bind", f"{args.host}:{args.port}",
        "--workers", str(args.workers),
        "--threads", str(args.threads),
        "--timeout", "120",
        "--no-control-socket",
        # Long shareable URLs (many branches) must reach the app, not gunicorn's HTML 414.
        "--limit-request-line", "8190",
    ]
    os.execv(sys.executable, command)
    return 0  # pragma: no cover


def _delimiter(value: str) -> str:
    named = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "pipe": "|"}
    value = named.get(value.lower(), value)
    if value not in (",", ";", "\t", "|"):
        raise argparse.ArgumentTypeError("use one of , ; | tab")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mauzo", description="Mauzo sales analytics")
    parser.add_argument("--data-dir", default=None, help="store directory (default $MAUZO_DATA_DIR or ./var)")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="validate and load a CSV, Excel (.xlsx) or Parquet file")
    ingest.add_argument("path", type=Path)
    ingest.add_argument("--dataset", choices=("sales", "pipeline"), default="sales",
                        help="sales lines (default) or CRM opportunities (won, lost and open deals)")
    ingest.add_argument("--mapping", type=Path, help="TOML file mapping source columns and formats")
    ingest.add_argument("--mode", choices=("append", "replace"), default="append")
    ingest.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
    ingest.add_argument("--report", type=Path, help="write a JSON report here")
    ingest.add_argument("--encoding", help="CSV encoding (default: detect utf-8 / utf-8-sig / cp1252)")
    ingest.add_argument("--delimiter", type=_delimiter,
                        help="CSV delimiter: , ; | or tab (default: detect from the header)")
    ingest.add_argument("--force", action="store_true",
                        help="append even if this file, or some of its lines, are already in the current data")
    ingest.add_argument("--engine", choices=("duckdb", "druid"), default=None,
                        help="where to load: the local DuckDB store (default) or Apache Druid (DRUID_* settings; "
                             "default: MAUZO_ENGINE)")
    ingest.add_argument("--dedupe", choices=("refuse", "skip"), default="refuse",
                        help="append: lines already in the store (same invoice, date, branch, item, people, "
                             "quantity and amounts) refuse the file (default) or are skipped")
    ingest.set_defaults(func=_ingest)

    demo = sub.add_parser("demo", help="generate and load deterministic demo data")
    demo.add_argument("--rows", type=int, default=200_000)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--end-date", help="last sale date, YYYY-MM-DD (default: yesterday)")
    demo.add_argument("--mode", choices=("append", "replace"), default="replace")
    demo.add_argument("--if-empty", action="store_true", help="do nothing when the store has data")
    demo.add_argument("--engine", choices=("duckdb", "druid"), default=None,
                      help="load into the local store (default) or Apache Druid (default: MAUZO_ENGINE)")
    demo.set_defaults(func=_demo)

    upgrade = sub.add_parser("upgrade", help="bring a store written by an older Mauzo to the current format "
                                            "(also done automatically when the app opens it)")
    upgrade.set_defaults(func=_upgrade)

    serve = sub.add_parser("serve", help="serve the dashboard and REST API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8050)
    serve.add_argument("--workers", type=int, default=2)
    serve.add_argument("--threads", type=int, default=4)
    serve.add_argument("--dev", action="store_true", help="Dash debug server with hot reload")
    serve.set_defaults(func=_serve)

    from app.embed_cli import add_embed_link_parser  # noqa: PLC0415 - the app is imported only when needed

    add_embed_link_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
