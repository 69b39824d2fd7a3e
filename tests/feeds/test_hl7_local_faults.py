"""A bad field stays local to the OBX/order/patient that owns it; the ACK names what was skipped.

Real senders put broken values in fields WardGate never reads (a Ct-value OBX with a doubled
OBX-14 made a whole message AE and dropped its two Detected results). What can be stored is
stored; a broken field in an OBX that is itself a result refuses that result only (AE names
it); other tests' results are ignored and counted (AA when every screening result was stored).
"""

from __future__ import annotations

import socket

import pytest

from tests.feeds.conftest import ack_segments, msa, unique
from tests.feeds.test_mllp import exchange

BROKEN_TS = "201904020721-0500201902281257-0500"  # as a real Meditech-style sender wrote it
NAAT = "94309-2^SARS-CoV-2 (COVID-19) RNA [Presence] in Unspecified specimen by NAA^LN"
DETECTED = "260373001^Detected^SCT"
FLU = "85477-8^Influenza virus A RNA [Presence] in Upper respiratory specimen by NAA^LN"


def obx(set_id: int, code: str, value: str, *, kind: str = "CWE", obx14: str = "") -> str:
    when = obx14 or "20240110080000-0500"
    return f"OBX|{set_id}|{kind}|{code}||{value}||||||F|||{when}|||||20240110091500-0500"


def oru(*segments: str, control: str | None = None, mrn: str = "H1", kind: str = "MR") -> str:
    """A small ELR 2.5.1 message: one patient, one order, the given OBX (and more) segments."""
    return "\r".join(
        [
            "MSH|^~\\&#|LIS^1.2.3^ISO|LAB^12D4567890^CLIA|WARDGATE|HOSP|20240110100000-0500||"
            f"ORU^R01^ORU_R01|{control or unique('LF')}|P|2.5.1",
            f"PID|1||{mrn}^^^HOSP^{kind}||Doe^Jane||19800101|F",
            f"ORC|RE||{unique('ACC')}",
            f"OBR|1||{unique('ACC')}|{NAAT}|||20240110080000-0500",
            *segments,
        ]
    )


def errs(body: str) -> list[list[str]]:
    return [s for s in ack_segments(body) if s[0] == "ERR"]


def by_location(body: str) -> dict[str, list[str]]:
    """ERR segments by ERR-2 (segment^sequence^field), v2.5 layout."""
    return {e[2]: e for e in errs(body)}


def test_broken_obx14_in_a_ct_value_obx_does_not_drop_the_results(feeds):
    feeds.person("H1")
    control = unique("CT")
    message = oru(
        obx(1, NAAT, DETECTED),
        obx(2, NAAT, DETECTED),
        obx(3, "CT^Ct value^L", "27.4", kind="NM", obx14=BROKEN_TS),
        control=control,
    )
    answer = feeds.hl7(message)
    [ack] = msa(answer.text)
    assert ack[1:3] == ["AA", control], answer.text
    assert "stored 2" in ack[3] and "skipped 1" in ack[3]
    err = by_location(answer.text)["OBX^3^14"]
    assert err[3].startswith("102^") and err[4] == "W"
    assert "OBX[3]-14" in err[8]
    stored = feeds.results("H1")
    assert sorted(r["result"] for r in stored) == ["positive", "positive"]
    assert {r["specimen_collected_at"] for r in stored} == {"2024-01-10T13:00:00Z"}
    assert feeds.inbox() == []


def test_bad_number_in_an_unused_obx_is_only_a_warning(feeds):
    feeds.person("H1")
    message = oru(obx(1, NAAT, DETECTED), obx(2, "CT^Ct value^L", "twenty", kind="NM"))
    answer = feeds.hl7(message)
    assert msa(answer.text)[0][1] == "AA", answer.text
    assert by_location(answer.text)["OBX^2^5"][4] == "W"
    assert [r["result"] for r in feeds.results("H1")] == ["positive"]


def test_broken_field_of_a_result_refuses_that_result_only(feeds):
    feeds.person("H1")
    control = unique("RF")
    good = obx(1, NAAT, DETECTED)
    message = oru(good, obx(2, NAAT, DETECTED, obx14=BROKEN_TS), control=control)
    answer = feeds.hl7(message)
    [ack] = msa(answer.text)
    assert ack[1:3] == ["AE", control], answer.text
    assert "stored 1" in ack[3] and "refused 1" in ack[3]
    err = by_location(answer.text)["OBX^2^14"]
    assert err[3].startswith("102^") and err[4] == "E"
    [stored] = feeds.results("H1")
    assert stored["external_id"].endswith("-1")
    # The sender fixes OBX-14 and sends again under the same control id: the refused result
    # is stored now, the one stored before is recognised.
    fixed = message.replace(BROKEN_TS, "20240110080000-0500")
    again = msa(feeds.hl7(fixed).text)[0]
    assert again[1] == "AA" and "stored 1" in again[3] and "already stored 1" in again[3]
    assert len(feeds.results("H1")) == 2


def test_a_patient_without_usable_id_refuses_only_that_patients_results(feeds):
    feeds.person("H1")
    first = oru(obx(1, NAAT, DETECTED))
    second = oru(obx(1, NAAT, DETECTED), mrn="!!").split("\r", 1)[1]
    answer = feeds.hl7(first + "\r" + second)
    [ack] = msa(answer.text)
    assert ack[1] == "AE" and "stored 1" in ack[3], answer.text
    assert by_location(answer.text)["PID^1^3"][3].startswith("101^")
    assert len(feeds.results("H1")) == 1


@pytest.mark.parametrize("kind", ["MR", "MRN", "PI", ""])
def test_medical_record_number_types_identify_the_person(feeds, kind):
    feeds.person("H1")
    answer = feeds.hl7(oru(obx(1, NAAT, DETECTED), kind=kind))
    assert msa(answer.text)[0][1:4:2] == ["AA", "stored 1"], answer.text
    assert len(feeds.results("H1")) == 1


def test_other_tests_are_ignored_counted_and_listed(feeds):
    feeds.person("H1")
    message = oru(obx(1, NAAT, DETECTED), obx(2, FLU, DETECTED))
    answer = feeds.hl7(message)
    [ack] = msa(answer.text)
    assert ack[1] == "AA", answer.text
    assert "stored 1" in ack[3] and "ignored 1 result of other tests" in ack[3]
    [info] = [e for e in errs(answer.text) if e[4] == "I"]
    assert info[3].startswith("0^") and "85477-8" in info[8]
    assert len(feeds.results("H1")) == 1 and feeds.inbox() == []


def test_a_message_of_other_tests_only_is_aa_and_stores_nothing(feeds):
    feeds.person("H1")
    flu_b = FLU.replace("85477-8", "92141-1").replace("virus A", "virus B")
    message = oru(obx(1, FLU, DETECTED), obx(2, flu_b, "260415000^Not detected^SCT"))
    answer = feeds.hl7(message)
    [ack] = msa(answer.text)
    assert ack[1] == "AA", answer.text
    assert "ignored 2 results of other tests" in ack[3]
    assert feeds.results("H1") == [] and feeds.inbox() == []


def test_the_same_over_mllp(feeds, listener):
    feeds.person("H1")
    server = listener()
    message = oru(obx(1, NAAT, DETECTED), obx(2, "CT^Ct value^L", "31", kind="NM", obx14=BROKEN_TS))
    with server.connect() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        answer = exchange(sock, message.encode())
    assert msa(answer)[0][1] == "AA", answer
    assert by_location(answer)["OBX^2^14"][4] == "W"
    assert [r["result"] for r in feeds.results("H1")] == ["positive"]


def test_a_result_the_rules_refuse_leaves_the_others_stored(feeds):
    feeds.person("H1")
    refused = obx(2, NAAT, DETECTED).replace("||||||F|||", "||||||Q|||")  # unknown OBX-11
    answer = feeds.hl7(oru(obx(1, NAAT, DETECTED), refused))
    [ack] = msa(answer.text)
    assert ack[1] == "AE" and "stored 1" in ack[3] and "refused 1" in ack[3], answer.text
    assert by_location(answer.text)["OBX^2"][4] == "E"
    assert [r["external_id"][-2:] for r in feeds.results("H1")] == ["-1"]


def test_a_gene_target_is_not_promoted_when_its_overall_result_is_refused(feeds):
    """Refusing the overall result must not turn its N-gene detail into a stored result."""
    feeds.person("H1")
    overall = obx(1, NAAT, DETECTED, obx14=BROKEN_TS)
    n_gene = obx(2, "94533-7^SARS-CoV-2 (COVID-19) N gene [Presence]^LN", DETECTED)
    answer = feeds.hl7(oru(overall, n_gene))
    [ack] = msa(answer.text)
    assert ack[1] == "AE", answer.text
    assert by_location(answer.text)["OBX^1^14"][4] == "E"
    assert feeds.results("H1") == [] and feeds.inbox() == []


def test_a_broken_order_field_refuses_its_results_but_not_another_orders(feeds):
    feeds.person("H1")
    message = oru(obx(1, NAAT, DETECTED))
    second = f"OBR|2||{unique('ACC')}|{NAAT}|||{BROKEN_TS}\r" + obx(1, NAAT, DETECTED)
    answer = feeds.hl7(message + "\r" + second)
    [ack] = msa(answer.text)
    assert ack[1] == "AE" and "stored 1" in ack[3] and "refused 1" in ack[3], answer.text
    assert by_location(answer.text)["OBR^1^7"][3].startswith("102^")
    assert len(feeds.results("H1")) == 1


def test_a_broken_order_field_of_other_tests_only_is_a_warning(feeds):
    feeds.person("H1")
    flu_order = f"OBR|2||{unique('ACC')}|{FLU}|||20240110080000-0500|||||||||||||||{BROKEN_TS}"
    message = oru(obx(1, NAAT, DETECTED)) + "\r" + flu_order + "\r" + obx(1, FLU, DETECTED)
    answer = feeds.hl7(message)
    [ack] = msa(answer.text)
    assert ack[1] == "AA", answer.text
    assert "stored 1" in ack[3] and "ignored 1" in ack[3] and "skipped 1" in ack[3]
    assert by_location(answer.text)["OBR^1^22"][4] == "W"


def test_version_23_names_the_skipped_field_in_err1(feeds):
    feeds.person("H1")
    message = oru(obx(1, NAAT, DETECTED), obx(2, "CT^Ct value^L", "27", kind="NM", obx14=BROKEN_TS))
    message = message.replace("|P|2.5.1", "|P|2.3", 1)
    answer = feeds.hl7(message)
    assert msa(answer.text)[0][1] == "AA", answer.text
    assert "ERR|OBX^2^14^102&Data type error&HL70357" in answer.text.split("\r")
    assert len(feeds.results("H1")) == 1


def test_an_antigen_only_message_with_a_local_value_code_is_aa_ignored(feeds):
    """A code the table knows as another test is counted even when its value is not readable."""
    feeds.person("H1")
    antigen = "94558-4^SARS-CoV-2 (COVID-19) Ag [Presence] by Rapid immunoassay^LN"
    answer = feeds.hl7(oru(obx(1, antigen, "POS^Positive (local)^L")))
    [ack] = msa(answer.text)
    assert ack[1:4:2] == ["AA", "ignored 1 result of other tests"], answer.text
    assert feeds.results("H1") == [] and feeds.inbox() == []
