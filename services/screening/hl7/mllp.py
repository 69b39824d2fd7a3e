"""MLLP listener: HL7 v2 over TCP for interface engines, stored and ACKed like `POST /hl7/v2`.

`python -m services.screening.hl7.mllp --port 2575` (or `wardgate mllp`). There is no
token on MLLP: bind it to the interface-engine network only (default 127.0.0.1). Its audit
rows carry actor "mllp" and the peer's address, written by `shared.audit`'s one writer
(`AuditTrail.of_caller`) in the frame's transaction, on an engine sized by the service's pool
settings.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.screening.feeds.hl7.envelope import refusal
from services.screening.feeds.hl7.frames import END, HEAD, MAX_FRAME, START, FrameReader, Oversized
from services.screening.hl7.service import receive
from services.screening.intake.service import Feeder
from services.screening.models import audit_log
from services.screening.settings import ScreeningSettings
from shared.audit import AuditTrail
from shared.audit.trail import AuditCaller
from shared.auth.roles import INTEGRATION
from shared.db import settings_engine

log = logging.getLogger("wardgate.mllp")
ACTOR = "mllp"


def _trail(session: Session, client: str) -> AuditTrail:
    """The listener as an audited caller, in the frame's transaction."""
    return AuditTrail.of_caller(session, audit_log, AuditCaller(ACTOR, INTEGRATION, client))


def handle_frame(engine: Engine, data: bytes, settings: ScreeningSettings, client: str) -> bytes:
    """Store one framed message (or batch) in its own transaction; the ACK to send back."""
    with Session(engine, expire_on_commit=False) as session:
        audit = _trail(session, client)
        feeder = Feeder(ACTOR, "hl7", audit)
        answer = receive(session, data, feeder, settings.timezone, datetime.now(UTC))
        session.commit()
    return answer.encode("utf-8")


def refuse_frame(
    engine: Engine, head: bytes, settings: ScreeningSettings, client: str, code: str, detail: str
) -> bytes:
    """An AR for a frame not taken (too large, or the listener failed), audited when possible."""
    answer, control = refusal(head, detail, code, settings.timezone, datetime.now(UTC))
    try:
        with Session(engine) as session:
            audit = AuditTrail.of_caller(
                session, audit_log, AuditCaller(ACTOR, INTEGRATION, client)
            )
            audit.record(
                "hl7.message", f"hl7/{control}"[:300], "rejected", ack="AR", detail=detail[:200]
            )
            session.commit()
    except Exception:  # the sender still gets its AR when the database is the trouble
        log.exception("audit of a refused MLLP frame from %s failed", client)
    return answer.encode("utf-8")


class MllpServer:
    """An asyncio MLLP server; each frame is handled in a worker thread (blocking SQL)."""

    def __init__(self, settings: ScreeningSettings) -> None:
        self.settings = settings
        self.engine = settings_engine(settings)
        self._open: set[FrameReader] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._high_water = 0

    def connections(self) -> int:
        """Connections open now."""
        return len(self._open)

    def buffered(self) -> int:
        """Bytes of unfinished frames held for all open connections now."""
        return sum(frames.held for frames in self._open)

    def high_water(self) -> int:
        """The most bytes any one connection has held at once."""
        return max([self._high_water, *(frames.peak for frames in self._open)])

    def _answer(self, frame: bytes | Oversized, client: str) -> bytes:
        if isinstance(frame, Oversized):
            detail = f"the frame is over 10 MiB ({MAX_FRAME} bytes): not read"
            return refuse_frame(self.engine, frame.head, self.settings, client, "207", detail)
        try:
            return handle_frame(self.engine, frame, self.settings, client)
        except Exception:  # an engine re-sends what got no ACK: answer, never drop the frame
            log.exception("MLLP frame from %s failed", client)
            detail = "the message could not be processed now: send it again later"
            return refuse_frame(self.engine, frame[:HEAD], self.settings, client, "207", detail)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        client = str(peer[0]) if peer else ""
        idle_s = self.settings.wardgate_mllp_idle_s
        frames = FrameReader(reader, idle_s)
        self._open.add(frames)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            while (frame := await frames.next_frame()) is not None:
                ack = await asyncio.to_thread(self._answer, frame, client)
                writer.write(START + ack + END)
                await asyncio.wait_for(writer.drain(), idle_s)
        except OSError:  # the peer went away, or stopped reading our ACKs (TimeoutError)
            return
        finally:
            self._tasks.discard(task)
            self._open.discard(frames)
            self._high_water = max(self._high_water, frames.peak)
            frames.release()
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def serve(self, host: str, port: int, ready: asyncio.Event | None = None) -> None:
        """Listen until cancelled (SIGTERM/SIGINT when run as a program)."""
        # The stream's own buffer stays at asyncio's 64 KiB default; FrameReader holds frames.
        server = await asyncio.start_server(self._connection, host, port)
        log.info("MLLP listener on %s:%s", host, port)
        print(f"wardgate mllp listening on {host}:{port}", flush=True)
        if ready is not None:
            ready.set()
        try:
            async with server:
                await server.serve_forever()
        finally:
            # Stopping closes the open connections too (asyncio leaves them running before 3.12).
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
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
