"""The public rate limit's store: a sliding minute per address, shared by processes."""

from __future__ import annotations

from pathlib import Path

from shared.web.public_rate import PublicRateStore


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_two_workers_share_the_count_and_the_window_slides(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "public-rate.db"
    one, two = PublicRateStore(path, clock), PublicRateStore(path, clock)  # two processes
    answers = []
    for store in (one, two, one):
        answers.append(store.admit("appointments", "10.0.0.1", 3))
        clock.now += 10
    assert answers == [None, None, None]
    assert two.admit("appointments", "10.0.0.1", 3) == 30  # the first leaves at +60 s
    assert one.admit("appointments", "10.0.0.2", 3) is None  # per address
    assert one.admit("screening", "10.0.0.1", 3) is None  # per service
    clock.now += 29
    assert one.admit("appointments", "10.0.0.1", 3) == 1  # refusals are not counted
    clock.now += 1.5
    assert one.admit("appointments", "10.0.0.1", 3) is None


def test_the_store_file_is_private(tmp_path: Path) -> None:
    store = PublicRateStore(tmp_path / "public-rate.db")
    store.admit("screening", "127.0.0.1", 10)
    assert (tmp_path / "public-rate.db").stat().st_mode & 0o777 == 0o600
