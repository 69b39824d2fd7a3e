"""Tampering `wardgate audit verify` must also catch, beyond tests/shared/test_audit_trail.py
(an edited, deleted or reordered row): a forged seal, and a row whose content was swapped
with another's while both ids stayed in place."""

from __future__ import annotations

import pytest

from tests.shared.test_audit_trail import _audit_cli, _fill, _unguarded, _verify


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        ("UPDATE audit_seal SET hash = '" + "0" * 64 + "' WHERE seq = 3", "was changed"),
        (
            "UPDATE audit_log SET actor = 'nurse-x' WHERE id = 2; "
            "UPDATE audit_log SET actor = 'nurse-1' WHERE id = 4; "
            "UPDATE audit_log SET actor = 'nurse-3' WHERE id = 2",
            "row 2 was changed",
        ),
    ],
    ids=["forged-seal", "content-swapped"],
)
def test_verify_catches_forged_seals_and_swapped_content(
    make_client, idp, database_url, backend, tamper, named
):
    client = make_client("screening")
    _fill(client, idp, 5)
    url = database_url("screening")
    assert _audit_cli("seal", url).returncode == 0
    assert _verify(url).returncode == 0
    _unguarded(url, backend, tamper)
    broken = _verify(url)
    assert broken.returncode == 1, broken.stdout
    assert named in broken.stdout, broken.stdout
