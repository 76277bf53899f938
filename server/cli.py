"""The `tagtrack` command: serve, migrate, createuser, token, verify, demo."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import secrets
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from server.domain.actors import SYSTEM
from server.domain.errors import DomainError
from server.settings import Settings, reload_settings


async def _with_db(settings: Settings, work: Callable[[], Awaitable[Any]]) -> Any:
    from server.db import engine as db_engine
    from server.db.migrate import migrate

    await migrate(settings)
    engine = db_engine.make_engine(settings.database_url)
    db_engine.bind(engine)
    await db_engine.start(engine)
    try:
        return await work()
    finally:
        await db_engine.stop(engine)


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from server.db.migrate import migrate

    asyncio.run(migrate(settings, verbose=True))
    return 0


def cmd_createuser(settings: Settings, args: argparse.Namespace) -> int:
    from server.services import auth

    password = args.password
    if password is None:
        password = getpass.getpass(f"Password for {args.name}: ")
        if password != getpass.getpass("Again: "):
            print("The two passwords differ; nothing was changed.", file=sys.stderr)
            return 2
    must_change = not args.no_password_change
    asyncio.run(_with_db(settings, lambda: auth.create_user(
        SYSTEM, args.name, args.role, password, must_change_password=must_change)))
    then = (" They choose their own password at their first login." if must_change else "")
    print(f"Created user {args.name} with role {args.role}.{then}")
    return 0


def cmd_token(settings: Settings, args: argparse.Namespace) -> int:
    from server.db import users_repo
    from server.services import auth

    async def work() -> str:
        user = await users_repo.by_name(args.name)
        if user is None:
            raise DomainError(f"no user {args.name}: create it with tagtrack createuser",
                              field="name")
        _, token = await auth.create_token(SYSTEM, user["id"], args.label)
        return token

    print(asyncio.run(_with_db(settings, work)))
    return 0


def cmd_verify(settings: Settings, args: argparse.Namespace) -> int:
    """Exit 0 when all is well, 1 when something is wrong (each problem on a line, the
    chain's first), 2 when the head to check against cannot be read. With --chain-head,
    the head goes to stdout (or the file) as JSON and everything else to stderr."""
    import datetime as dt
    import json
    from pathlib import Path

    from server.domain.chain import Head
    from server.services.verify import check

    since = None
    if args.since_head:
        try:
            since = Head.parse(json.loads(Path(args.since_head).read_text()))
        except (OSError, ValueError) as exc:
            print(f"verify: cannot read the chain head in {args.since_head}: {exc}",
                  file=sys.stderr)
            return 2
    report = asyncio.run(_with_db(settings, lambda: check(since)))
    out = sys.stderr if args.chain_head == "-" else sys.stdout
    for line in report.problems:
        print(line, file=out)
    if report.problems:
        print(f"verify: {len(report.problems)} problem(s) in the history or between the "
              "events and the tables", file=out)
        return 1
    head = report.head
    held = f"; the chain still holds the head of event {since.event_id}" if since else ""
    print(f"verify: the chain of {head.count} events is intact (head: event {head.event_id}, "
          f"{head.hash}){held}; the tables match the events", file=out)
    if args.chain_head:
        exported = {**head.as_json(),
                    "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        text = json.dumps(exported, indent=2) + "\n"
        if args.chain_head == "-":
            sys.stdout.write(text)
        else:
            Path(args.chain_head).write_text(text)
            print(f"verify: chain head written to {args.chain_head}", file=out)
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from server.services.demo import load_demo

    loaded = asyncio.run(_with_db(settings, lambda: load_demo(force=args.force)))
    print("Loaded the demo catalog." if loaded else
          "The database already has items: demo not loaded (use --force to add it anyway).")
    return 0


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from server.import_command import cmd_import as run

    return run(settings, args, lambda s, work: asyncio.run(_with_db(s, work)))


async def ensure_first_admin() -> str | None:
    """On a database with no users, create `admin` with a one-time password."""
    from server.db import users_repo
    from server.services import auth

    if await users_repo.list_users():
        return None
    password = secrets.token_urlsafe(12)
    await auth.create_user(SYSTEM, "admin", "admin", password)
    return password


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from server import serving

    tls = serving.check_tls(settings.certfile if args.certfile is None else args.certfile,
                            settings.keyfile if args.keyfile is None else args.keyfile)
    given = settings.public_url_given
    if not given:
        # set, not only computed: the workers read their settings from the environment
        os.environ["PUBLIC_URL"] = serving.address_served(args.host, args.port, tls)
        settings = reload_settings()

    async def prepare() -> str | None:
        if args.demo:
            from server.services.demo import load_demo

            await load_demo(force=False)
        return await ensure_first_admin()

    password = asyncio.run(_with_db(settings, prepare))
    if password:
        print(f"\nFirst start: created user 'admin' with the one-time password: {password}\n"
              "Log in with it and choose your own password (the login asks for it).\n",
              flush=True)
    from server.http.app import WEB

    if not (WEB / "static" / "vendor" / "zxing_reader.wasm").exists():
        print("warning: the scanning page's barcode decoder is missing from "
              f"{WEB / 'static' / 'vendor'}: run `make web-assets` (needs npm). Without it, "
              "browsers with no built-in barcode detector cannot scan with the camera and "
              "the page cannot be installed for offline use.", file=sys.stderr, flush=True)
    warning = serving.public_url_warning(settings.public_url, given, args.host, args.port, tls)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    scheme = "https" if tls else "http"
    print(f"Tagtrack on {scheme}://{args.host}:{args.port} (database: {settings.engine}); "
          f"labels point at {settings.public_url}", flush=True)
    uvicorn.run("server.http.asgi:app", host=args.host, port=args.port, workers=args.workers,
                log_level="warning", access_log=False, proxy_headers=True,
                ssl_certfile=tls.certfile if tls else None,
                ssl_keyfile=tls.keyfile if tls else None)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tagtrack", description="Inventory and asset tracking.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the web server (migrates first)")
    s.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    s.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    s.add_argument("--workers", type=int, default=1,
                   help="server processes (PostgreSQL recommended for more than one)")
    s.add_argument("--demo", action="store_true", help="load the demo catalog if empty")
    s.add_argument("--certfile", help="serve HTTPS with this PEM certificate (chain); "
                   "default TAGTRACK_CERTFILE")
    s.add_argument("--keyfile", help="the certificate's PEM private key; default "
                   "TAGTRACK_KEYFILE")
    s.set_defaults(run=cmd_serve)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(run=cmd_migrate)
    c = sub.add_parser("createuser", help="create a user")
    c.add_argument("name")
    c.add_argument("--role", required=True,
                   choices=["admin", "manager", "operator", "viewer", "kiosk"])
    c.add_argument("--password", help="(otherwise asked at a prompt)")
    c.add_argument("--no-password-change", action="store_true",
                   help="the user need not choose their own password at their first login "
                   "(accounts of scripts and door screens; by default they must)")
    c.set_defaults(run=cmd_createuser)
    t = sub.add_parser("token", help="print a new API token for a user")
    t.add_argument("name")
    t.add_argument("--label", default="cli", help="a name to recognise the token by")
    t.set_defaults(run=cmd_token)
    v = sub.add_parser("verify", help="check the history's hash chain, rebuild the state "
                       "from the events and compare")
    v.add_argument("--chain-head", nargs="?", const="-", metavar="FILE",
                   help="when all is well, export the chain head as JSON (to FILE, or to "
                   "stdout) for an auditor to keep")
    v.add_argument("--since-head", metavar="FILE",
                   help="also check that the chain still holds this exported head unchanged")
    v.set_defaults(run=cmd_verify)
    d = sub.add_parser("demo", help="load a realistic demo catalog")
    d.add_argument("--force", action="store_true", help="load even if items exist")
    d.set_defaults(run=cmd_demo)
    from server.import_command import add_parser as add_import

    add_import(sub, cmd_import)
    from server.cli_backup import register as add_backup

    add_backup(sub)
    from server.cli_export import add_parser as add_export

    add_export(sub, _with_db)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = reload_settings()
    try:
        code: int = args.run(settings, args)
        return code
    except DomainError as exc:
        print(f"tagtrack: {exc.message}", file=sys.stderr)
        return 2
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"tagtrack: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
