"""MSH-2 with the v2.7 truncation character, and MSA-2 echoed when a whole body is refused."""

from __future__ import annotations

from tests.feeds.conftest import msa, naat_oru


def test_five_encoding_characters_are_taken(feeds):
    feeds.person("D1")
    message = naat_oru("D1", control="TRUNC-1").replace("MSH|^~\\&|", "MSH|^~\\&#|", 1)
    answer = feeds.hl7(message)
    assert msa(answer.text)[0][1:4] == ["AA", "TRUNC-1", "stored 1"]
    assert [r["result"] for r in feeds.results("D1")] == ["negative"]


def test_a_body_refused_whole_still_echoes_its_msh10(feeds):
    body = "PID|1||D2^^^HOSP^MR\r" + naat_oru("D2", control="ORPHAN-1")
    [ack] = msa(feeds.hl7(body).text)
    assert ack[1:3] == ["AR", "ORPHAN-1"]
    rows = feeds.audit(action="hl7.message")
    assert [r["resource"] for r in rows if r["outcome"] == "rejected"] == ["hl7/ORPHAN-1"]
