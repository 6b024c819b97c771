"""WSGI entry point for gunicorn: ``gunicorn app.wsgi:server`` (each worker builds its own app)."""

from app import create_app

app = create_app()
server = app.server
