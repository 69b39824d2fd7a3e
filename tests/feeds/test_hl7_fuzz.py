"""Fuzzing the HL7 v2 intake with mutated real messages: always an ACK, never a 5xx, no silent drop.

The corpus is the repository's own fixtures plus, when the folder exists, the public lab
messages in ../shared/realdata/hl7 (read in place, never copied). Each example mutates one
message (segments dropped, duplicated, swapped; fields replaced; MSH-1/MSH-2 changed; timestamps
bent; line ends changed) and posts it for a freshly registered person.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.feeds.conftest import FIXTURES, ack_segments, fill, msa
from tests.feeds.test_mllp import exchange

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata" / "hl7"
FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
_LINES = re.compile(r"\r\n|\r|\n")
_TIMESTAMP = re.compile(r"(?<=[|^])\d{8}[\d.]*(?:[+-]\d{4})?(?=[|^\r]|$)")
_SIMPLE_ID = re.compile(r"^[A-Za-z0-9._-]*$")
_STORED = re.compile(r"(?<!already )stored (\d+)")
_AA_TEXTS = (
    "stored",
    "held in inbox",
    "a re-send",
    "no result to void",
    "ask-at-order-entry",
    "ignored",
)
_examples = itertools.count(1)


def _corpus(*, real: bool) -> list[str]:
    placeholders = {
        "MRN": "@MRN@",
        "MRN1": "@MRN@",
        "MRN2": "@MRN@",
        "MRN3": "UNKNOWN-FUZZ",
        "CONTROL": "@CTL@",
        "ACCESSION": "@ACC@",
        "RESULT": "260373001^Detected^SCT",
        "STATUS": "F",
    }
    if real:  # the public messages, when this checkout has them beside it
        paths = sorted(REALDATA.glob("*.hl7")) if REALDATA.is_dir() else []
        texts = [p.read_bytes().decode("utf-8") for p in paths]
    else:
        paths = sorted((FIXTURES / "hl7").glob("*.hl7"))
        texts = [fill(p.read_text(encoding="utf-8"), **placeholders) for p in paths]
    return ["\r".join(line for line in _LINES.split(text) if line) for text in texts]


OWN = _corpus(real=False)
CORPUS = OWN + _corpus(real=True)


def _set_field(line: str, number: int, value: str) -> str:
    parts = line.split("|")
    parts.extend([""] * (number + 1 - len(parts)))
    parts[number] = value
    return "|".join(parts)


def _prepare(text: str, example: int) -> str:
    """The message for one example: its own control ids, accession and (registered) person."""
    text = text.replace("@ACC@", f"FZACC{example}").replace("@MRN@", f"FZ{example:05d}")
    lines = text.split("\r")
    for n, line in enumerate(lines):
        if line.startswith("MSH|"):
            line = _set_field(line, 9, f"FZ{example}-{n}")
            lines[n] = _set_field(line, 10, "P")  # test traffic (T) would only ever be AR
        elif line.startswith("PID|"):
            lines[n] = _set_field(line, 3, f"FZ{example:05d}^^^HOSP^MR")
    return "\r".join(lines)


_index = st.integers(min_value=0, max_value=10_000)
_DIGITS = "0123456789"
_DATES = ["20240110080000", "20240110", "202401100800", "20240110080000.1234", "20240230"]
_offsets = st.one_of(
    st.just(""),
    st.builds(str.__add__, st.sampled_from("+-"), st.text(_DIGITS, min_size=4, max_size=4)),
    st.builds(str.__add__, st.sampled_from("+-"), st.text(_DIGITS, max_size=5)),
)
_timestamps = st.one_of(
    st.sampled_from(
        [
            "20240110080000+9999",
            "20240110080000-2400",
            "20240110080000+1401",
            "20240110080000+1400",
            "20240110080000-1200",
            "20241310080000",
            "20240110250000+0800",
            "00000101",
            "00010101000000+1400",
            "99991231235959-1200",
            "20240110080000.123456+0800",
            "202401100800000000000000",
            "20240110080000+08",
            "",
        ]
    ),
    st.builds(str.__add__, st.sampled_from(_DATES), _offsets),
    st.builds(str.__add__, st.text(_DIGITS, max_size=16), _offsets),
)
_values = st.one_of(
    _timestamps,
    st.sampled_from(
        ["", "^", "~", "\\", "&", "#", "^~\\&", "\\F\\", "ORU^R01", "2.5.1", "T", "ZZZ"]
    ),
    st.text(st.characters(blacklist_characters="\r\n", codec="utf-8"), max_size=12),
)
_mutation = st.one_of(
    st.tuples(st.just("drop"), _index),
    st.tuples(st.just("duplicate"), _index),
    st.tuples(st.just("swap"), _index, _index),
    st.tuples(st.just("field"), _index, st.integers(0, 25), _values),
    # Timestamps are where an interface engine's queue stalled: three times as likely.
    st.tuples(st.just("timestamp"), _index, _timestamps),
    st.tuples(st.just("timestamp"), _index, _timestamps),
    st.tuples(st.just("timestamp"), _index, _timestamps),
    st.tuples(
        st.just("msh1"), st.sampled_from(["#", "!", "^", "a", " ", "~", "\\"]), st.booleans()
    ),
    st.tuples(
        st.just("msh2"),
        st.sampled_from(["^~\\&#", "^~\\&", "^~&", "^^^^", "", "^~\\&#x", "#~\\&^", "^~\\&|"]),
    ),
    st.tuples(st.just("line_end"), st.sampled_from(["\n", "\r\n"])),
)


def _mutate(text: str, mutations: list[tuple[Any, ...]]) -> str:
    segments = text.split("\r")
    end = "\r"
    for kind, *args in mutations:
        at = args[0] % len(segments) if segments and isinstance(args[0], int) else 0
        if kind == "drop" and len(segments) > 1:
            del segments[at]
        elif kind == "duplicate" and segments:
            segments.insert(at, segments[at])
        elif kind == "swap" and segments:
            other = args[1] % len(segments)
            segments[at], segments[other] = segments[other], segments[at]
        elif kind == "field" and segments:
            number = args[1] - 1 if segments[at].startswith("MSH") else args[1]
            if number > 0:
                segments[at] = _set_field(segments[at], number, args[2])
        elif kind == "timestamp":
            body = "\r".join(segments)
            found = list(_TIMESTAMP.finditer(body))
            if found:
                hit = found[args[0] % len(found)]
                body = body[: hit.start()] + args[1] + body[hit.end() :]
            segments = body.split("\r")
        elif kind == "msh1":
            sep, everywhere = args
            segments = [
                (s.replace("|", sep) if everywhere else s[:3] + sep + s[4:])
                if s.startswith("MSH") or everywhere
                else s
                for s in segments
            ]
        elif kind == "msh2":
            segments = [_set_field(s, 1, args[0]) if s.startswith("MSH|") else s for s in segments]
        elif kind == "line_end":
            end = args[0]
    return end.join(segments)


def _expected_echo(line: str) -> str | None:
    """MSH-10 as a reader would see it, for a header with the standard delimiters."""
    if not (line.startswith("MSH|^~\\&|") or line.startswith("MSH|^~\\&#|")):
        return None
    parts = line.split("|")
    control = parts[9] if len(parts) > 9 else ""
    return control if _SIMPLE_ID.match(control) else None


def listener_failed(answer: str) -> bool:
    """The MLLP listener's own AR (ERR 207) for a frame whose handling raised."""
    return "could not be processed now" in answer


def check_answer(body: str, answer: str) -> int:
    """Assert the contract for one answer; how many results its AA acks say were stored."""
    acks = msa(answer)
    assert acks, answer
    assert all(a[1] in ("AA", "AE", "AR") and len(a) > 2 for a in acks), answer
    headers = [s.strip(" \t") for s in _LINES.split(body)]
    headers = [h for h in headers if h.startswith("MSH")]
    if len(acks) == len(headers) and headers:  # one ACK per message
        pairs = list(zip(headers, acks, strict=True))
    else:  # the body was refused whole: one AR, echoing its first MSH when readable
        assert len(acks) == 1 and acks[0][1] == "AR", answer
        pairs = [(headers[0] if headers else "MSH|", acks[0])]
    for header, ack in pairs:
        echo = _expected_echo(header)
        if echo is not None:
            assert ack[2] == echo, (header, answer)
        if ack[1] == "AA":  # accepted: the text says what became of the results
            assert any(t in ack[3] for t in _AA_TEXTS), answer
        else:
            assert any(s[0] == "ERR" for s in ack_segments(answer)), answer
    # An AE keeps the results of its message that were not refused, and says so in MSA-3.
    return sum(int(n) for a in acks if a[1] in ("AA", "AE") for n in _STORED.findall(a[3]))


def test_mutated_messages_always_get_an_ack_and_nothing_is_lost(feeds):
    @FUZZ
    @given(source=st.sampled_from(CORPUS), mutations=st.lists(_mutation, min_size=1, max_size=3))
    def one(source: str, mutations: list[tuple[Any, ...]]) -> None:
        example = next(_examples)
        mrn = f"FZ{example:05d}"
        feeds.person(mrn)
        body = _mutate(_prepare(source, example), mutations)
        r = feeds.client.post(
            "/hl7/v2",
            content=body.encode("utf-8"),
            headers={**feeds.integration, "Content-Type": "application/hl7-v2"},
        )
        assert r.status_code == 200, (r.status_code, r.text, body)
        stored = check_answer(body, r.text)
        # Nothing of an AR message is kept; every result an AA/AE says it stored is there.
        assert len(feeds.results(mrn, history=True)) == stored, (r.text, body)

    one()


def test_unmutated_corpus_is_answered_and_our_own_fixtures_taken(feeds):
    """The baseline before mutating: the repository's fixtures are accepted (stored or held)."""
    for n, source in enumerate(CORPUS):
        feeds.person(f"FZ{90000 + n:05d}")
        body = _prepare(source, 90000 + n)
        answer = feeds.hl7(body).text
        check_answer(body, answer)
        if source in OWN:
            assert all(a[1] == "AA" for a in msa(answer)), answer


def test_over_mllp_every_frame_gets_an_ack_on_the_same_connection(feeds, listener):
    mllp = listener()

    @settings(FUZZ, max_examples=25)
    @given(
        source=st.sampled_from(CORPUS),
        stamp=_timestamps,
        mutations=st.lists(_mutation, max_size=2),
    )
    def one(source: str, stamp: str, mutations: list[tuple[Any, ...]]) -> None:
        example = next(_examples)
        body = _mutate(_prepare(source, example), [("timestamp", example, stamp), *mutations])
        with mllp.connect() as sock:
            first = exchange(sock, body.encode("utf-8"))
            assert not listener_failed(first), (first, body)  # an ACK, but from a crash
            check_answer(body, first)
            # The engine's re-send on the same connection is answered too.
            check_answer(body, exchange(sock, body.encode("utf-8")))

    one()
