"""The key of the residents' person ids: WARDGATE_PERSON_ID_KEY, else a key file in the data dir.

The file (`person-id.key`, mode 600) is made on first use, as the web UI's secret is
(`shared.auth.sessions.ui_secret`), and never committed. Keep it (or set the variable) for
good: another key maps the same ID number to another person.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from services.appointments.settings import AppointmentsSettings

KEY_FILE = "person-id.key"


def person_id_key(settings: AppointmentsSettings) -> bytes:
    """The HMAC key the residents' person ids are made with."""
    if settings.wardgate_person_id_key:
        return settings.wardgate_person_id_key.encode()
    path = Path(settings.wardgate_data_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        try:
            with contextlib.suppress(FileExistsError):  # another process won: keep its key
                os.link(tmp, path)
        finally:
            tmp.unlink()
    return path.read_text().strip().encode()
