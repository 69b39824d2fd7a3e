"""The `wardgate` command: migrate, run, serve, token, demo, user, audit verify/seal/checkpoint."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from shared.accounts import AccountError, AccountStore
from shared.auth.roles import ALL_ROLES
from shared.health_code_cli import add_health_code_commands
from shared.import_results import add_import_commands
from shared.migrate import SERVICES, upgrade
from shared.settings import WardGateSettings
from shared.supervisor import ServiceSupervisor

PORTS = {"appointments": 8001, "screening": 8002, "discharge": 8003}
DEMO_ROLES = ("nurse", "doctor", "infection_control", "auditor", "admin", "integration")


def _settings(service: str = "wardgate") -> WardGateSettings:
    return WardGateSettings(service_name=service)


def cmd_migrate(args: argparse.Namespace) -> int:
    """Bring one service's DATABASE_URL to the newest revision."""
    upgrade(args.service)
    print(f"{args.service}: migrated to head")
    return 0


def _serve_command(service: str, host: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        f"services.{service}.main:app",
        "--host",
        host,
        "--port",
        str(port),
        "--no-access-log",
        *_settings(service).uvicorn_proxy_flags(),  # X-Forwarded-For: WARDGATE_TRUSTED_PROXIES
    ]


def cmd_serve(args: argparse.Namespace) -> int:
    """Start one service in the foreground."""
    port = args.port or PORTS[args.service]
    os.execv(sys.executable, _serve_command(args.service, args.host, port))  # noqa: S606
    return 0  # pragma: no cover


def cmd_mllp(args: argparse.Namespace) -> int:
    """Run the screening service's HL7 v2 MLLP listener (same DATABASE_URL) in the foreground."""
    command = [sys.executable, "-m", "services.screening.hl7.mllp"]
    command += ["--host", args.host, "--port", str(args.port)]
    os.execv(sys.executable, command)  # noqa: S606
    return 0  # pragma: no cover


def cmd_token(args: argparse.Namespace) -> int:
    """Print a token signed with the local development key."""
    from shared.auth import mint_dev_token

    s = _settings()
    print(
        mint_dev_token(
            s.wardgate_data_dir,
            sub=args.sub,
            roles=args.role or [],
            issuer=s.auth_issuer,
            audience=s.auth_audience,
            ttl_s=args.ttl,
        )
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Fill the running services with a realistic hospital day through their APIs."""
    from shared.demo.command import main as demo_main

    return demo_main(_settings())


def _run_environment(ports: dict[str, int]) -> dict[str, str]:
    """The services' environment: SQLite files, and each told where the others listen."""
    os.environ.pop("DATABASE_URL", None)
    for svc, port in ports.items():
        url = f"http://127.0.0.1:{port}"
        os.environ.setdefault(f"{svc.upper()}_URL", url)
        os.environ.setdefault(f"WARDGATE_{svc.upper()}_PUBLIC_URL", url)
    return dict(os.environ)


def cmd_run(args: argparse.Namespace) -> int:
    """The embedded default: migrate the SQLite files and start all three services."""
    from shared.auth import mint_dev_token

    supervisor = ServiceSupervisor(grace_s=args.stop_grace)
    supervisor.catch_signals()  # a stop asked for during start-up is honoured, not fatal
    ports = {svc: getattr(args, f"{svc}_port") for svc in SERVICES}
    env = _run_environment(ports)
    for service in SERVICES:
        upgrade(service)
    if supervisor.stopping:
        return 0
    pids = {
        svc: supervisor.start(svc, _serve_command(svc, args.host, ports[svc]), env)
        for svc in SERVICES
    }
    s = _settings()
    print("\nWardGate is starting (SQLite files under", Path(s.wardgate_data_dir).resolve(), ")")
    for svc in SERVICES:
        print(f"  {svc:<13} http://{args.host}:{ports[svc]}/docs  (pid {pids[svc]})")
    _print_web_sign_in(s)
    print("\nDemo tokens (12 h), use as 'Authorization: Bearer <token>':")
    for role in DEMO_ROLES:
        token = mint_dev_token(
            s.wardgate_data_dir,
            sub=f"demo-{role}",
            roles=[role],
            issuer=s.auth_issuer,
            audience=s.auth_audience,
            ttl_s=12 * 3600,
        )
        print(f"  {role:<18} {token}")
    print("\nMore: .venv/bin/wardgate token --sub ID --role ROLE [--ttl SECONDS]\n", flush=True)
    return supervisor.run()


def _print_web_sign_in(s: WardGateSettings) -> None:
    """Create the missing demo accounts and print where and how to sign in."""
    accounts = AccountStore(s.users_path()).ensure_demo_accounts()
    print("\nWeb pages (sign in with a demo account):")
    for svc, url in s.public_urls().items():
        print(f"  {svc:<13} {url}/ui/")
    print(f"\nDemo accounts ({s.users_path().resolve()}):")
    for username, password in accounts:
        shown = password or f"(exists; change with: wardgate user passwd --username {username})"
        print(f"  {username:<18} {shown}")


def _new_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise AccountError("the two passwords differ")
    return first


def cmd_user_add(args: argparse.Namespace) -> int:
    """Create a local account for the web pages."""
    store = AccountStore(_settings().users_path())
    try:
        account = store.add(args.username, args.role, _new_password(args))
    except AccountError as exc:
        print(f"wardgate user add: {exc}", file=sys.stderr)
        return 1
    print(f"user {account.username} added (roles: {', '.join(account.roles)})")
    return 0


def cmd_user_passwd(args: argparse.Namespace) -> int:
    """Set a local account's password."""
    store = AccountStore(_settings().users_path())
    try:
        if store.get(args.username) is None:
            raise AccountError(f"no user {args.username!r}")
        store.set_password(args.username, _new_password(args))
    except AccountError as exc:
        print(f"wardgate user passwd: {exc}", file=sys.stderr)
        return 1
    print(f"password of {args.username} changed")
    return 0


def _add_user_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("user", help="local accounts for the web pages (WARDGATE_USERS_FILE)")
    users = p.add_subparsers(dest="user_command", required=True)
    stdin_help = "read the password from the first line of standard input"
    a = users.add_parser("add", help="create a local account")
    a.add_argument("--username", required=True)
    a.add_argument("--role", action="append", required=True, choices=sorted(ALL_ROLES))
    a.add_argument("--password-stdin", action="store_true", help=stdin_help)
    a.set_defaults(func=cmd_user_add)
    w = users.add_parser("passwd", help="set a local account's password")
    w.add_argument("--username", required=True)
    w.add_argument("--password-stdin", action="store_true", help=stdin_help)
    w.set_defaults(func=cmd_user_passwd)


def _audit_engine_and_table(service: str) -> tuple[Any, Any]:
    from sqlalchemy import MetaData

    from shared.audit import define_audit_table
    from shared.db import make_engine

    return make_engine(_settings(service).resolved_database_url()), define_audit_table(MetaData())


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Walk a service's audit chain (and compare it with a checkpoint); non-zero names the row."""
    from shared.audit import verify_chain
    from shared.audit.chain import stale_pending
    from shared.audit.checkpoint import CheckpointError, compare_with_checkpoint, load_checkpoint

    try:
        checkpoint = load_checkpoint(args.checkpoint, args.service) if args.checkpoint else None
    except CheckpointError as exc:
        print(f"wardgate audit verify: {exc}", file=sys.stderr)
        return 2
    engine, table = _audit_engine_and_table(args.service)
    with engine.connect() as conn:
        report = verify_chain(conn, table)
        if checkpoint is not None and not report.problem:
            report.problem = compare_with_checkpoint(conn, table, report, checkpoint)
    engine.dispose()
    if report.problem:
        print(
            f"{args.service}: audit trail BROKEN after {report.sealed} good rows: {report.problem}"
        )
        return 1
    pending = f"; {report.pending} newer rows awaiting their seal" if report.pending else ""
    if stale_pending(report):
        print(
            f"{args.service}: audit trail UNSEALED: rows since {report.oldest_pending} "
            "were never sealed (is a service running its sealer?); run `wardgate audit seal`"
        )
        return 1
    pinned = f"; matches the checkpoint of {checkpoint.at}" if checkpoint else ""
    print(f"{args.service}: audit trail intact ({report.sealed} rows{pending}{pinned})")
    return 0


def cmd_audit_checkpoint(args: argparse.Namespace) -> int:
    """Seal, verify and write the chain's head; POST it to WARDGATE_AUDIT_CHECKPOINT_URL."""
    from shared.audit import AuditSealer, verify_chain
    from shared.audit.checkpoint import (
        CheckpointError,
        checkpoint_of,
        send_checkpoint,
        write_checkpoint,
    )

    engine, table = _audit_engine_and_table(args.service)
    AuditSealer(engine, table).seal_now()  # the checkpoint covers every row written so far
    with engine.connect() as conn:
        report = verify_chain(conn, table)
    engine.dispose()
    try:
        checkpoint = checkpoint_of(args.service, report)
    except CheckpointError as exc:
        print(f"{args.service}: {exc}")
        return 1
    if args.out:
        write_checkpoint(args.out, checkpoint)
        print(f"{args.service}: checkpoint of {checkpoint.rows} rows written to {args.out}")
    else:
        print(checkpoint.to_json(), end="")
    url = _settings(args.service).wardgate_audit_checkpoint_url
    failure = send_checkpoint(url, checkpoint) if url else None
    if failure:
        print(f"{args.service}: checkpoint not delivered to {url}: {failure}", file=sys.stderr)
        return 1
    return 0


def cmd_audit_seal(args: argparse.Namespace) -> int:
    """Seal pending audit rows now (services do this every second on their own)."""
    from shared.audit import AuditSealer

    engine, table = _audit_engine_and_table(args.service)
    sealed = AuditSealer(engine, table).seal_now()
    engine.dispose()
    print(f"{args.service}: sealed {sealed} rows")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="wardgate", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="migrate a service's DATABASE_URL to head")
    p.add_argument("service", choices=SERVICES)
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("run", help="migrate and start all three services (SQLite)")
    p.add_argument("--host", default="127.0.0.1")
    for svc in SERVICES:
        p.add_argument(f"--{svc}-port", type=int, default=PORTS[svc], metavar="PORT")
    p.add_argument(
        "--stop-grace",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="on stop, how long the services may finish their requests before they are killed",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("serve", help="start one service")
    p.add_argument("service", choices=SERVICES)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("mllp", help="HL7 v2 MLLP listener of the screening service")
    p.add_argument("--host", default="127.0.0.1", help="bind address (interface-engine network)")
    p.add_argument("--port", type=int, default=2575)
    p.set_defaults(func=cmd_mllp)

    p = sub.add_parser("token", help="print a token signed with the development key")
    p.add_argument("--sub", required=True)
    p.add_argument("--role", action="append", default=[])
    p.add_argument("--ttl", type=int, default=3600)
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("demo", help="fill the running services with a realistic hospital day")
    p.set_defaults(func=cmd_demo)

    _add_user_commands(sub)
    add_health_code_commands(sub)
    add_import_commands(sub)

    p = sub.add_parser("audit", help="audit trail tools")
    audit_sub = p.add_subparsers(dest="audit_command", required=True)
    v = audit_sub.add_parser("verify", help="verify a service's audit hash chain")
    v.add_argument("service", choices=SERVICES)
    v.add_argument("--checkpoint", type=Path, help="also fail unless the chain still holds it")
    v.set_defaults(func=cmd_audit_verify)
    c = audit_sub.add_parser("checkpoint", help="write the chain's head (keep it off the box)")
    c.add_argument("service", choices=SERVICES)
    c.add_argument("--out", type=Path, help="write it here (default: standard output)")
    c.set_defaults(func=cmd_audit_checkpoint)
    s = audit_sub.add_parser("seal", help="seal pending audit rows into the hash chain now")
    s.add_argument("service", choices=SERVICES)
    s.set_defaults(func=cmd_audit_seal)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
