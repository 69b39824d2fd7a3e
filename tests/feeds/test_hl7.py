"""HL7 v2 over HTTP: ORU^R01 messages and FHS/BHS batches stored as results, answered with ACKs."""

from __future__ import annotations

import pytest

from tests.feeds.conftest import ack_segments, hl7_sample, msa, naat_oru, unique


def _err(body: str) -> list[str]:
    return next(s for s in ack_segments(body) if s[0] == "ERR")


def test_elr_message_is_stored_like_post_results_and_acked(feeds):
    feeds.person("P1")
    control = unique("CTL")
    answer = feeds.hl7(naat_oru("P1", control=control, accession="ACC-1"))
    assert answer.headers["content-type"].startswith("application/hl7-v2")
    segments = ack_segments(answer.text)
    assert segments[0][0] == "MSH" and segments[0][8] == "ACK^R01^ACK"
    assert segments[0][6].endswith("+0800")  # hospital local time with its offset
    assert msa(answer.text) == [["MSA", "AA", control, "stored 1"]]
    [stored] = feeds.results("P1")
    # AOE questions (symptoms, employment, age) were ignored; only the NAAT is a result.
    assert stored["external_id"] == "ACC-1-1"
    assert stored["test_type"] == "nucleic_acid"
    assert stored["result"] == "negative"
    assert stored["status"] == "final"
    assert stored["specimen_collected_at"] == "2024-01-10T00:00:00Z"  # SPM-17, +0800
    assert stored["resulted_at"] == "2024-01-10T01:15:00Z"  # OBX-19
    assert stored["performer"] == "Central Lab"
    actions = [row["action"] for row in feeds.audit(actor="integration")]
    assert "result.create" in actions and "hl7.message" in actions


def test_text_plain_is_answered_in_text_plain(feeds):
    feeds.person("P1")
    answer = feeds.hl7(naat_oru("P1").replace("\r", "\n"), content_type="text/plain")
    assert answer.headers["content-type"].startswith("text/plain")
    assert msa(answer.text)[0][1] == "AA"


def test_version_231_with_text_results_and_local_time(feeds):
    feeds.person("P2")
    message = hl7_sample("oru_r01_231_antibodies.hl7", MRN="P2", CONTROL="C231", ACCESSION="SER9")
    answer = feeds.hl7(message)
    assert msa(answer.text)[0][1:3] == ["AA", "C231"]
    assert ack_segments(answer.text)[0][8] == "ACK^R01^ACK"
    by_type = {r["test_type"]: r for r in feeds.results("P2")}
    assert by_type["antibody_igm"]["result"] == "negative"  # "Negative" text
    assert by_type["antibody_igg"]["result"] == "positive"  # "阳性" text
    assert by_type["antibody_igm"]["note"] == "Tested on analyser 2"  # NTE after the OBX
    # OBR-7 20240110073000 without offset: Asia/Shanghai local time (UTC+8).
    assert by_type["antibody_igm"]["specimen_collected_at"] == "2024-01-09T23:30:00Z"


def test_blood_count_panel_becomes_one_blood_routine_result(feeds):
    feeds.person("P3")
    message = hl7_sample("oru_r01_cbc.hl7", MRN="P3", CONTROL="CBC1", ACCESSION="CBC-7")
    assert msa(feeds.hl7(message).text)[0][1] == "AA"
    [stored] = feeds.results("P3")
    assert stored["test_type"] == "blood_routine"
    assert stored["result"] == "abnormal"  # WBC and lymphocytes flagged L
    assert stored["values"] == {
        "lymphocytes": {"value": 0.8, "unit": "10*9/L"},
        "lymphocytes_pct": {"value": 25.8, "unit": "%"},
        "wbc": {"value": 3.1, "unit": "10*9/L"},
    }


@pytest.mark.parametrize(
    ("spm", "obr7", "obx14", "expected"),
    [
        ("20240110080000+0800", "20240110070000+0800", "20240110060000+0800", "00:00"),
        ("", "20240110070000+0800", "20240110060000+0800", "23:00"),
        ("", "", "20240110060000+0800", "22:00"),
        ("", "", "202401100600", "22:00"),  # no offset: hospital local time
    ],
)
def test_specimen_time_from_spm17_else_obr7_else_obx14(feeds, spm, obr7, obx14, expected):
    feeds.person("P4")
    message = naat_oru("P4")
    message = message.replace("20240110080000+0800^20240110080000+0800", f"{spm}^{spm}")
    message = message.replace(
        "|||20240110080000+0800|||||20240110091500", f"|||{obx14}|||||20240110091500"
    )
    message = message.replace("LN|||20240110080000+0800|", f"LN|||{obr7}|")
    assert msa(feeds.hl7(message).text)[0][1] == "AA", message
    [stored] = feeds.results("P4")
    assert stored["specimen_collected_at"].endswith(f"T{expected}:00Z") or stored[
        "specimen_collected_at"
    ].endswith(f"{expected}:00Z")


def test_no_specimen_time_at_all_is_an_application_error(feeds):
    feeds.person("P4")
    message = naat_oru("P4")
    message = message.replace("20240110080000+0800^20240110080000+0800", "^")
    message = message.replace("20240110080000+0800", "")
    answer = feeds.hl7(message)
    assert msa(answer.text)[0][1] == "AE"
    assert _err(answer.text)[3].startswith("101^")
    assert feeds.results("P4") == []


@pytest.mark.parametrize(
    ("obx11", "status", "versions"),
    [
        ("F", "final", 1),
        ("P", "preliminary", 1),
        ("C", "corrected", 2),
        ("D", "entered_in_error", 2),
    ],
)
def test_result_status_from_obx11(feeds, obx11, status, versions):
    feeds.person("P5")
    if obx11 in ("C", "D"):
        feeds.hl7(naat_oru("P5", accession="ACC-S", result="260373001^Detected^SCT"))
    feeds.hl7(naat_oru("P5", accession="ACC-S", status=obx11))
    history = feeds.results("P5", history=True)
    assert len(history) == versions
    assert history[0]["status"] == status
    if versions == 2:
        assert history[0]["replaces"] == {"external_id": "ACC-S-1", "version": 1}


def test_x_voids_an_earlier_preliminary_and_is_a_no_op_without_one(feeds):
    feeds.person("P6")
    answer = feeds.hl7(naat_oru("P6", accession="ACC-X", result="", status="X"))
    assert msa(answer.text)[0][1:] == ["AA", msa(answer.text)[0][2], "no result to void 1"]
    assert feeds.results("P6") == []
    feeds.hl7(naat_oru("P6", accession="ACC-X", result="", status="P"))
    feeds.hl7(naat_oru("P6", accession="ACC-X", result="", status="X"))
    assert [r["status"] for r in feeds.results("P6", history=True)] == [
        "entered_in_error",
        "preliminary",
    ]


def test_resent_control_id_creates_nothing_new_and_replays_the_ack(feeds):
    feeds.person("P7")
    message = naat_oru("P7", control="SAME-1")
    first = feeds.hl7(message).text
    audit_before = len(feeds.audit(action="result.create"))
    again = feeds.hl7(message.replace("20240110093000+0800", "20240110093500+0800", 1)).text
    assert again == first  # the stored ACK, replayed
    assert len(feeds.results("P7", history=True)) == 1
    assert len(feeds.audit(action="result.create")) == audit_before


def test_same_accession_and_obx_under_a_new_control_id_is_a_duplicate(feeds):
    feeds.person("P8")
    feeds.hl7(naat_oru("P8", accession="ACC-D"))
    answer = feeds.hl7(naat_oru("P8", accession="ACC-D"))
    assert msa(answer.text)[0][1] == "AA"
    assert msa(answer.text)[0][3] == "already stored 1"
    assert len(feeds.results("P8", history=True)) == 1


def test_control_id_reused_for_another_message_is_refused(feeds):
    feeds.person("P9")
    feeds.hl7(naat_oru("P9", control="REUSED"))
    answer = feeds.hl7(naat_oru("P9", control="REUSED", result="260373001^Detected^SCT"))
    assert msa(answer.text)[0][1] == "AE"
    assert _err(answer.text)[3].startswith("205^")
    assert len(feeds.results("P9", history=True)) == 1


def test_final_result_changed_without_correction_is_an_application_error(feeds):
    feeds.person("P10")
    feeds.hl7(naat_oru("P10", accession="ACC-C"))
    answer = feeds.hl7(naat_oru("P10", accession="ACC-C", result="260373001^Detected^SCT"))
    assert msa(answer.text)[0][1] == "AE"
    assert _err(answer.text)[3].startswith("205^")


def test_batch_answers_an_ack_per_message_in_a_batch_envelope(feeds):
    feeds.person("B1")
    feeds.person("B2")
    batch = hl7_sample(
        "batch_fhs_bhs.hl7", MRN1="B1", MRN2="B2", MRN3="B3", CONTROL="BAT", ACCESSION="BACC"
    )
    segments = ack_segments(feeds.hl7(batch).text)
    assert [s[0] for s in segments] == [
        "FHS", "BHS", "MSH", "MSA", "MSH", "MSA", "MSH", "MSA", "BTS", "FTS",
    ]  # fmt: skip
    assert segments[1][11] == "BATCH-0001"  # BHS-12 refers to the batch answered
    acks = [s for s in segments if s[0] == "MSA"]
    assert [a[1:4] for a in acks] == [
        ["AA", "BAT-1", "stored 1"],
        ["AA", "BAT-2", "stored 1"],
        ["AA", "BAT-3", "held in inbox: unknown person"],
    ]
    assert segments[-2] == ["BTS", "3"]
    assert feeds.results("B1")[0]["result"] == "positive"


def test_batch_with_a_bad_message_still_stores_the_others(feeds):
    feeds.person("B1")
    good = naat_oru("B1", control="G1").strip()
    adt = naat_oru("B1", control="G2").replace("ORU^R01^ORU_R01", "ADT^A01^ADT_A01").strip()
    broken = naat_oru("B1", control="G3").replace("\rOBX|1|", "\rO#X|1|").strip()
    body = "\r".join(["BHS|^~\\&|LIS|LAB|||20240110||||B-9", good, adt, broken, "BTS|3"])
    segments = ack_segments(feeds.hl7(body).text)
    assert [s[1] for s in segments if s[0] == "MSA"] == ["AA", "AR", "AE"]
    assert segments[0][0] == "BHS" and segments[-1] == ["BTS", "3"]
    assert len(feeds.results("B1")) == 1


def test_multiple_messages_without_a_batch_header_get_a_batch_answer(feeds):
    feeds.person("B5")
    body = naat_oru("B5") + naat_oru("B5")
    segments = ack_segments(feeds.hl7(body).text)
    assert segments[0][0] == "BHS" and segments[-1] == ["BTS", "2"]


def test_unknown_person_is_held_in_the_inbox_and_matched_on_registration(feeds):
    answer = feeds.hl7(naat_oru("NEW1", accession="ACC-N", result="260373001^Detected^SCT"))
    assert msa(answer.text)[0][1:4:2] == ["AA", "held in inbox: unknown person"]
    [item] = feeds.inbox()
    assert item["reason"] == "unknown_person"
    assert item["person_identifiers"] == ["NEW1"]  # the national ID (NNCHN) is never used
    assert item["patient_name"] == "Z**** S**" and item["birth_year"] == "1990"
    feeds.person("NEW1")
    [stored] = feeds.results("NEW1")
    assert (stored["external_id"], stored["result"]) == ("ACC-N-1", "positive")
    assert feeds.inbox() == []
    [matched] = feeds.inbox(state="matched")
    assert matched["matched_person"] == "NEW1" and matched["matched_version"] == 1


def test_held_message_resent_is_held_once(feeds):
    message = naat_oru("NEW2", accession="ACC-H")
    feeds.hl7(message)
    feeds.hl7(message)
    feeds.hl7(naat_oru("NEW2", accession="ACC-H"))
    assert len(feeds.inbox()) == 1


def test_unmapped_screening_code_is_held_not_guessed(feeds):
    feeds.person("P11")
    local = naat_oru("P11").replace(
        "94500-6^SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory specimen by NAA with probe "
        "detection^LN^SARS2PCR^SARS-CoV-2 PCR^L^2.68^1.0",
        "COVPCR^Local COVID PCR^L",
    )
    answer = feeds.hl7(local)
    assert msa(answer.text)[0][3] == "held in inbox: unmapped code"
    assert feeds.results("P11") == []
    [item] = feeds.inbox(reason="unmapped_code")
    assert item["code"] == "COVPCR (L)" and item["test_type"] is None
    assert item["result"] == "negative"


def test_total_antibody_is_held_because_it_has_no_test_type(feeds):
    feeds.person("P12")
    total = naat_oru("P12").replace(
        "94500-6^SARS-CoV-2 (COVID-19)", "94762-2^SARS-CoV-2 (COVID-19)"
    )
    assert msa(feeds.hl7(total).text)[0][3] == "held in inbox: unmapped code"
    assert "neither IgM nor IgG" in feeds.inbox()[0]["detail"]


def test_message_without_any_screening_test_is_an_error_not_a_silent_drop(feeds):
    feeds.person("P13")
    unknown = naat_oru("P13").replace("94500-6^SARS-CoV-2 (COVID-19)", "12345-6^Something")
    unknown = unknown.replace("260415000^Not detected^SCT", "42^Forty-two^L")
    answer = feeds.hl7(unknown)
    assert msa(answer.text)[0][1] == "AE"
    assert _err(answer.text)[3].startswith("103^")
    assert "12345-6" in _err(answer.text)[8]


WELL_FORMED = naat_oru("PX", control="MAL")


@pytest.mark.parametrize(
    ("body", "code", "error"),
    [
        (b"", "AR", "101"),
        (b"MSH|^~\\&|A|B\x00C|", "AR", "100"),
        (b"hello, this is not HL7", "AR", "100"),
        (b'{"resourceType": "Observation"}', "AR", "100"),
        (b"\xff\xfe\x00M", "AR", "100"),
        (WELL_FORMED.replace("MSH|^~\\&|", "MSH|^^^^|").encode(), "AR", "102"),
        (WELL_FORMED.replace("MSH|^~\\&|", "MSH|").encode(), "AR", "102"),
        (WELL_FORMED.replace("|2.5.1|", "|2.8|", 1).encode(), "AR", "203"),
        (WELL_FORMED.replace("|2.5.1|", "||", 1).encode(), "AR", "203"),
        (WELL_FORMED.replace("ORU^R01^ORU_R01", "ADT^A01^ADT_A01").encode(), "AR", "200"),
        (WELL_FORMED.replace("ORU^R01^ORU_R01", "ORU^R30^ORU_R30").encode(), "AR", "201"),
        (WELL_FORMED.replace("|MAL|P|", "|MAL|T|").encode(), "AR", "202"),
        (WELL_FORMED.replace("|MAL|P|", "||P|").encode(), "AR", "101"),
        (WELL_FORMED.replace("\rPID|", "\rP@D|").encode(), "AE", "100"),
        (WELL_FORMED.replace("\rPID|1|", "\rPID|").split("\rPID")[0].encode(), "AE", "100"),
        (
            WELL_FORMED.replace(
                "|||20240110080000+0800|||||2024", "|||2024-01-10|||||2024"
            ).encode(),
            "AE",
            "102",
        ),
        (
            hl7_sample(
                "elr_oru_r01_naat.hl7",
                MRN="PX",
                CONTROL="M2",
                ACCESSION="",
                RESULT="260415000^Not detected^SCT",
                STATUS="F",
            ).encode(),
            "AE",
            "101",
        ),
        (
            WELL_FORMED.replace("260415000^Not detected^SCT", "17621005^Normal^SCT").encode(),
            "AE",
            "207",
        ),
        (WELL_FORMED.replace("Not detected||||F|", "Not detected||||Q|").encode(), "AE", "207"),
        (WELL_FORMED.replace("PX^^^HOSP", "^^^HOSP").encode(), "AE", "101"),
        (b"\rSEGMENT BEFORE MSH\r" + WELL_FORMED.encode(), "AR", "100"),
    ],
)
def test_malformed_messages_get_an_error_ack_never_a_500(feeds, body, code, error):
    """Broken delimiters, versions, types, segments, timestamps: AR/AE with ERR, never a 500."""
    feeds.person("PX")
    answer = feeds.hl7(body)
    [ack] = msa(answer.text)
    assert ack[1] == code, answer.text
    assert _err(answer.text)[3].split("^")[0] == error


def test_non_hl7_content_type_is_415_problem(feeds):
    r = feeds.client.post(
        "/hl7/v2",
        content=WELL_FORMED.encode(),
        headers={**feeds.integration, "Content-Type": "application/json"},
    )
    assert r.status_code == 415
    assert r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("role", ["nurse", "doctor", "admin", "auditor", "infection_control"])
def test_only_integration_clients_may_feed_hl7(feeds, role):
    r = feeds.client.post(
        "/hl7/v2",
        content=WELL_FORMED.encode(),
        headers={**feeds.idp.headers(role), "Content-Type": "application/hl7-v2"},
    )
    assert r.status_code == 403


def test_latin1_message_declared_in_msh18(feeds):
    feeds.person("P14")
    message = naat_oru("P14").replace("|CHN||||PHLab", "|CHN|8859/1|||PHLab")
    message = message.replace("Zhang^San", "Müller^Jörg")
    answer = feeds.hl7(message.encode("latin-1"))
    assert msa(answer.text)[0][1] == "AA"
