"""MLLP framing (`<VT> message <FS><CR>`) read with bounded memory and an idle limit.

A connection never holds more than one largest legal frame: a frame over 10 MiB is handed
on as `Oversized` (the listener answers AR) and the rest of it is discarded as it arrives.
A connection that sends nothing for the idle time ends like a hang-up, freeing its buffer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Final

START: Final = b"\x0b"
END: Final = b"\x1c\r"
MAX_FRAME: Final = 10 * 1024 * 1024  # the message (or batch) between START and END
HEAD: Final = 64 * 1024  # what is kept of a refused frame: enough to echo its MSH
_CHUNK: Final = 64 * 1024


@dataclass(frozen=True)
class Oversized:
    """A frame over MAX_FRAME: its first bytes, for the AR to echo MSH-10."""

    head: bytes


class FrameReader:
    """Frames from one connection; `held` and `peak` say how many bytes it keeps."""

    def __init__(self, reader: asyncio.StreamReader, idle_s: float, limit: int = MAX_FRAME):
        self._reader, self._idle_s, self._limit = reader, idle_s, limit
        # The most one legal frame occupies on the wire; the buffer never grows past it.
        self.capacity = limit + len(START) + len(END)
        self._buffer = bytearray()
        self._scanned = 0  # END does not start before this index (no re-scanning 10 MiB)
        self._discarding = False
        self.peak = 0

    @property
    def held(self) -> int:
        """Bytes buffered now."""
        return len(self._buffer)

    def release(self) -> None:
        """Drop whatever is buffered (the connection is closing)."""
        self._buffer = bytearray()
        self._scanned = 0

    async def _read(self, size: int) -> bytes:
        try:
            return await asyncio.wait_for(self._reader.read(size), self._idle_s)
        except TimeoutError:
            return b""  # idle: treated as a hang-up

    def _take(self, end: int) -> bytes | Oversized | None:
        frame = bytes(self._buffer[:end])
        del self._buffer[: end + len(END)]
        self._scanned = 0
        if self._discarding:  # the tail of a refused frame
            self._discarding = False
            return None
        start = frame.find(START)
        payload = frame[start + 1 :] if start >= 0 else frame
        if len(payload) > self._limit:
            return Oversized(payload[:HEAD])
        return payload

    def _refuse(self) -> Oversized:
        start = self._buffer.find(START, 0, HEAD)
        head = bytes(self._buffer[start + 1 if start >= 0 else 0 : HEAD])
        # Keep the last byte: it may be the FS that the CR of the next read completes.
        del self._buffer[: len(self._buffer) - (len(END) - 1)]
        self._scanned, self._discarding = 0, True
        return Oversized(head)

    async def next_frame(self) -> bytes | Oversized | None:
        """The next frame's message, Oversized, or None at the end of the connection."""
        while True:
            end = self._buffer.find(END, self._scanned)
            if end >= 0:
                frame = self._take(end)
                if frame is not None:
                    return frame
                continue
            if self._discarding:
                del self._buffer[: len(self._buffer) - (len(END) - 1)]
            elif len(self._buffer) >= self.capacity:
                return self._refuse()
            self._scanned = max(0, len(self._buffer) - (len(END) - 1))
            data = await self._read(min(_CHUNK, self.capacity - len(self._buffer)))
            if not data:
                return None
            self._buffer += data
            self.peak = max(self.peak, len(self._buffer))
