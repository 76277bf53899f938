"""ASGI entry point for uvicorn (`server.http.asgi:app`). Migrations ran in `tagtrack serve`
before the workers started, so workers do not race to migrate."""

from server.http.app import create_app

app = create_app(run_migrations=False)
