"""Tampering `wardgate audit verify` must also catch, beyond tests/shared/test_audit_trail.py
(an edited, deleted or reordered row): a forged seal. (Swapped row contents are an edit of
each row: the "edited" case there.)"""

from __future__ import annotations

from tests.shared.test_audit_trail import _audit_cli, _fill, _unguarded, _verify


def test_verify_catches_a_forged_seal(make_client, idp, database_url, backend):
    client = make_client("screening")
    _fill(client, idp, 5)
    url = database_url("screening")
    assert _audit_cli("seal", url).returncode == 0
    assert _verify(url).returncode == 0
    _unguarded(url, backend, "UPDATE audit_seal SET hash = '" + "0" * 64 + "' WHERE seq = 3")
    broken = _verify(url)
    assert broken.returncode == 1, broken.stdout
    assert "was changed" in broken.stdout, broken.stdout
