"""The `wardgate` command: migrate, run, serve, token, audit verify."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from shared.migrate import SERVICES, upgrade
from shared.settings import WardGateSettings

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
    ]


def cmd_serve(args: argparse.Namespace) -> int:
    """Start one service in the foreground."""
    port = args.port or PORTS[args.service]
    os.execv(sys.executable, _serve_command(args.service, args.host, port))  # noqa: S606
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


def cmd_run(args: argparse.Namespace) -> int:
    """The embedded default: migrate the SQLite files and start all three services."""
    from shared.auth import mint_dev_token

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    os.environ.pop("DATABASE_URL", None)
    for service in SERVICES:
        upgrade(service)
    procs = [
        subprocess.Popen(_serve_command(svc, args.host, PORTS[svc]), env=env)  # noqa: S603
        for svc in SERVICES
    ]
    s = _settings()
    print("\nWardGate is starting (SQLite files under", Path(s.wardgate_data_dir).resolve(), ")")
    for svc in SERVICES:
        print(f"  {svc:<13} http://{args.host}:{PORTS[svc]}/docs")
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
    return _supervise(procs)


def _supervise(procs: list[subprocess.Popen[bytes]]) -> int:
    def stop(*_: object) -> None:
        for p in procs:
            p.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    stop()
    for p in procs:
        p.wait(timeout=10)
    return max((p.returncode or 0) for p in procs) if any(p.returncode for p in procs) else 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Walk a service's audit chain; non-zero exit naming the first bad row."""
    from sqlalchemy import MetaData

    from shared.audit import define_audit_table, verify_chain
    from shared.db import make_engine

    table = define_audit_table(MetaData())
    engine = make_engine(_settings(args.service).resolved_database_url())
    with engine.connect() as conn:
        checked, problem = verify_chain(conn, table)
    engine.dispose()
    if problem:
        print(f"{args.service}: audit trail BROKEN after {checked} good rows: {problem}")
        return 1
    print(f"{args.service}: audit trail intact ({checked} rows)")
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
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("serve", help="start one service")
    p.add_argument("service", choices=SERVICES)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("token", help="print a token signed with the development key")
    p.add_argument("--sub", required=True)
    p.add_argument("--role", action="append", default=[])
    p.add_argument("--ttl", type=int, default=3600)
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("audit", help="audit trail tools")
    audit_sub = p.add_subparsers(dest="audit_command", required=True)
    v = audit_sub.add_parser("verify", help="verify a service's audit hash chain")
    v.add_argument("service", choices=SERVICES)
    v.set_defaults(func=cmd_audit_verify)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
