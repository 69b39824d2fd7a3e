"""MLLP listener: HL7 v2 over TCP for interface engines, stored and ACKed like `POST /hl7/v2`.

`python -m services.screening.feeds.mllp --port 2575` (or `wardgate mllp`). There is no
token on MLLP: bind it to the interface-engine network only (default 127.0.0.1). Its audit
rows carry actor "mllp" and the peer's address.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.screening.feeds.hl7_intake import receive
from services.screening.feeds.intake import Feeder
from services.screening.models import audit_log
from services.screening.settings import ScreeningSettings
from shared.audit import AuditEntry, append_entry
from shared.db import make_engine

log = logging.getLogger("wardgate.mllp")
START, END = b"\x0b", b"\x1c\r"
MAX_FRAME = 10 * 1024 * 1024
ACTOR = "mllp"


class _MllpAudit:
    """Audit rows for one frame, in the frame's transaction."""

    def __init__(self, session: Session, table: Table, client: str) -> None:
        self._session, self._table, self._client = session, table, client

    def record(self, action: str, resource: str, outcome: str = "ok", **detail: Any) -> None:
        """Append one row with actor 'mllp'."""
        entry = AuditEntry(
            actor=ACTOR,
            roles="integration",
            action=action,
            resource=resource,
            outcome=outcome,
            client=self._client,
            detail=detail,
        )
        append_entry(self._session.connection(), self._table, entry)


def handle_frame(engine: Engine, data: bytes, settings: ScreeningSettings, client: str) -> bytes:
    """Store one framed message (or batch) in its own transaction; the ACK to send back."""
    with Session(engine, expire_on_commit=False) as session:
        audit = _MllpAudit(session, audit_log, client)
        feeder = Feeder(ACTOR, "hl7", audit.record)
        answer = receive(session, data, feeder, settings.timezone, datetime.now(UTC))
        session.commit()
    return answer.encode("utf-8")


class MllpServer:
    """An asyncio MLLP server; each frame is handled in a worker thread (blocking SQL)."""

    def __init__(self, settings: ScreeningSettings) -> None:
        self.settings = settings
        self.engine = make_engine(settings.resolved_database_url())

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        client = str(peer[0]) if peer else ""
        try:
            while True:
                try:
                    frame = await reader.readuntil(END)
                except asyncio.IncompleteReadError:
                    return
                except asyncio.LimitOverrunError:
                    log.warning("frame over %s bytes from %s: closing", MAX_FRAME, client)
                    return
                data = frame[frame.find(START) + 1 :] if START in frame else frame
                ack = await asyncio.to_thread(
                    handle_frame, self.engine, data[: -len(END)], self.settings, client
                )
                writer.write(START + ack + END)
                await writer.drain()
        except (ConnectionError, OSError):
            return
        except Exception:  # one bad frame must not stop the listener
            log.exception("MLLP frame from %s failed", client)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def serve(self, host: str, port: int, ready: asyncio.Event | None = None) -> None:
        """Listen until cancelled (SIGTERM/SIGINT when run as a program)."""
        server = await asyncio.start_server(self._connection, host, port, limit=MAX_FRAME)
        log.info("MLLP listener on %s:%s", host, port)
        print(f"wardgate mllp listening on {host}:{port}", flush=True)
        if ready is not None:
            ready.set()
        try:
            async with server:
                await server.serve_forever()
        finally:
            self.engine.dispose()


async def _main(host: str, port: int) -> None:
    server = MllpServer(ScreeningSettings())
    task = asyncio.create_task(server.serve(host, port))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


def main(argv: list[str] | None = None) -> int:
    """Run the listener in the foreground."""
    parser = argparse.ArgumentParser(prog="wardgate mllp", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default loopback)")
    parser.add_argument("--port", type=int, default=2575)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    asyncio.run(_main(args.host, args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
