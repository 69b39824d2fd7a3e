"""The background sealer each service runs: extends the audit hash chain every second."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine, Table

from shared.audit.chain import SEAL_BATCH, seal_pending

log = logging.getLogger("wardgate.audit")


class AuditSealer:
    """Seals new audit rows on a short interval, and once more on shutdown."""

    def __init__(self, engine: Engine, table: Table, interval_s: float = 1.0) -> None:
        self._engine, self._table, self._interval = engine, table, interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def seal_now(self) -> int:
        """Seal everything pending now; returns the number of rows sealed."""
        total = 0
        while True:
            with self._engine.begin() as conn:
                done = seal_pending(conn, self._table)
            total += done
            if done < SEAL_BATCH:
                return total

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.seal_now()
            except Exception:  # keep sealing on the next tick; the rows wait, nothing is lost
                log.exception("audit sealing failed; will retry")

    def start(self) -> None:
        """Start the background thread."""
        self._thread = threading.Thread(target=self._run, name="audit-sealer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and seal what is left."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
        try:
            self.seal_now()
        except Exception:
            log.exception("final audit sealing failed; the next start seals the rest")
