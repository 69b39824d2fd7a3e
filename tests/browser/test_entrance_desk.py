"""The entrance desk in Chromium at 390 px, zh-CN: a real QR code read from a camera, and the
keyboard-wedge path (booking code + Enter, health-code payload + Enter), walk-ins, re-measure.

The camera is Chromium's fake capture device playing a YUV4MPEG2 video made from the PNG that
`wardgate health-code issue --png` wrote; jsQR (served by WardGate) decodes it in the page.
Scan-to-decision time is measured in the page (decode to decision painted) and printed.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import segno
from PIL import Image
from playwright.sync_api import expect

from shared.auth.health_codes import dev_signing_key, issue_health_code
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORDS
from tests.browser.test_sign_in import sign_in
from tests.browser.test_ward_flow import DEPARTMENT, slot_open_for_arrival

pytestmark = pytest.mark.e2e
TZ = ZoneInfo("Asia/Shanghai")
PHONE = {"width": 390, "height": 844}
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots" / "helper-B"
WARDGATE = Path(sys.executable).with_name("wardgate")
CAMERA_RUNS = 3
TEMPERATURE = "体温\uff08°C\uff09"  # the field's label


def write_y4m(png: Path, out: Path, width: int = 640, height: int = 480, frames: int = 10) -> None:
    """A short grey video (YUV4MPEG2, 4:2:0) showing the QR image centred on white."""
    qr = Image.open(png).convert("L")
    side = min(height - 40, width - 40, max(qr.width, 300))
    qr = qr.resize((side, side), Image.Resampling.NEAREST)
    picture = Image.new("L", (width, height), 255)
    picture.paste(qr, ((width - side) // 2, (height - side) // 2))
    luma, chroma = picture.tobytes(), bytes([128]) * ((width // 2) * (height // 2))
    with out.open("wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + luma + chroma + chroma)


def issue_code_png(data_dir: Path, name: str, png: Path, colour: str = "green") -> str:
    """`wardgate health-code issue --png`: the payload it prints; the PNG it wrote."""
    env = {**os.environ, "WARDGATE_DATA_DIR": str(data_dir)}
    command = [str(WARDGATE), "health-code", "issue", "--colour", colour, "--name", name]
    done = subprocess.run(
        [*command, "--png", str(png)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    payload = done.stdout.strip().splitlines()[-1].strip()
    assert payload.count(".") == 2, done.stdout
    return payload


@pytest.fixture
def camera_browser(browser: Any) -> Iterator[Callable[[Path], Any]]:
    """`camera_browser(video)`: another Chromium (same Playwright) whose camera plays `video`
    (.y4m) and asks no permission."""
    launched: list[Any] = []

    def launch(video: Path) -> Any:
        args = [
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ]
        chromium = browser.browser_type.launch(
            executable_path=str(CHROMIUM), headless=True, args=args
        )
        launched.append(chromium)
        return chromium

    yield launch
    for chromium in launched:
        chromium.close()


def open_door(hospital_services: Callable[..., Any], idp: Any) -> tuple[str, Path, datetime]:
    """The appointments service with RESP and DERM; its URL, data dir and an open slot."""
    urls, services = hospital_services("appointments")
    url = urls["appointments"]
    for code, name in (("RESP", "Respiratory outpatients"), ("DERM", "Dermatology")):
        body = {**DEPARTMENT, "name": name}
        answer = httpx.put(f"{url}/departments/{code}", json=body, headers=idp.headers("admin"))
        assert answer.status_code == 201, answer.text
    data_dir = Path(services["appointments"].env["WARDGATE_DATA_DIR"])
    return url, data_dir, slot_open_for_arrival(datetime.now(TZ))


def book(url: str, idp: Any, patient: str, name: str, slot: datetime) -> dict[str, Any]:
    body = {
        "department": "RESP",
        "patient_external_id": patient,
        "patient_name": name,
        "slot_start": slot.isoformat(),
    }
    answer = httpx.post(f"{url}/appointments", json=body, headers=idp.headers("nurse"))
    assert answer.status_code == 201, answer.text
    return answer.json()


def nurse_at_the_door(browser: Any, url: str) -> Any:
    """A phone-sized page, zh-CN, signed in as the nurse, camera allowed, on the desk."""
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    context.grant_permissions(["camera"], origin=url)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{url}/ui/?lang=en")
    sign_in(page, "nurse", PASSWORDS["nurse"])
    expect(page.get_by_role("heading", name="Welcome, nurse")).to_be_visible()
    page.goto(f"{url}/ui/entrance?lang=zh_CN")
    expect(page.get_by_role("heading", name="入口预检")).to_be_visible()
    return page


def no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def find_by_wedge(page: Any, booking_code: str, name: str) -> None:
    """A scanner gun types the booking code and Enter into the focused field."""
    expect(page.get_by_label("预约码、姓名或患者编号")).to_be_focused()
    page.keyboard.type(booking_code)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.get_by_role("textbox", name="健康码")).to_be_focused()


def shoot(page: Any, step: str) -> None:
    """Screenshots at 390 and 1280 px (the page left at 390)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 844})
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        page.screenshot(path=str(SHOTS / f"entrance-{step}-{width}.png"), full_page=True)
    no_sideways_scroll(page)


def test_the_camera_reads_the_health_code_and_the_desk_shows_the_decision(
    hospital_services, idp, camera_browser, tmp_path
):
    url, data_dir, slot = open_door(hospital_services, idp)
    png = tmp_path / "health-code.png"
    issue_code_png(data_dir, "周敏", png)
    video = tmp_path / "health-code.y4m"
    write_y4m(png, video)
    page = nurse_at_the_door(camera_browser(video), url)
    timings = []
    for run, name in enumerate(["周敏", "周杰", "周琳"][:CAMERA_RUNS]):
        booking = book(url, idp, f"OP-CAM-{run}", name, slot)
        find_by_wedge(page, booking["booking_code"], name)
        page.get_by_label(TEMPERATURE).fill("36.6")
        page.get_by_role("button", name="摄像头扫码").click()
        if run == 0:
            expect(page.locator("#health_code_payload-camera video")).to_be_visible()
        decision = page.locator("#decision")
        expect(decision).to_have_attribute("data-outcome", "admitted")
        expect(decision).to_contain_text("准予入内")
        expect(decision).to_contain_text(name)
        expect(decision).to_contain_text("健康码已扫码核验")
        expect(decision).to_have_attribute("data-scan-to-decision-ms", re.compile(r"^\d+$"))
        timings.append(int(decision.get_attribute("data-scan-to-decision-ms")))
        no_sideways_scroll(page)
        if run == 0:
            shoot(page, "camera-admitted")
        # Straight back to scanning: the find field has the focus on the decision page.
        expect(page.get_by_label("预约码、姓名或患者编号")).to_be_focused()
    print(
        f"\nscan-to-decision over {len(timings)} camera scans: "
        f"p50 {statistics.median(timings):.0f} ms, max {max(timings)} ms, all {timings}"
    )
    stored = httpx.get(
        f"{url}/check-ins", params={"department": "RESP"}, headers=idp.headers("auditor")
    ).json()["items"]
    assert [(c["outcome"], c["health_code_source"]) for c in stored] == [
        ("admitted", "verified")
    ] * len(timings)


def test_the_camera_reads_a_booking_code_into_the_find_field(
    hospital_services, idp, camera_browser, tmp_path
):
    url, _, slot = open_door(hospital_services, idp)
    png = tmp_path / "booking.png"
    booking = book(url, idp, "OP-SCAN", "吴芳", slot)
    # A QR of the booking code (as a visitor may show it): scanned into the find field.
    segno.make_qr(booking["booking_code"], error="m").save(str(png), scale=10, border=4)
    video = tmp_path / "booking.y4m"
    write_y4m(png, video)
    page = nurse_at_the_door(camera_browser(video), url)
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="摄像头扫码").click()
    expect(page.get_by_role("heading", name="吴芳")).to_be_visible()
    expect(page.locator(".visitor-facts")).to_contain_text(booking["booking_code"])
    no_sideways_scroll(page)


def _payload(data_dir: Path, name: str, colour: str = "green", ttl_s: int = 86400) -> str:
    return issue_health_code(
        dev_signing_key(data_dir), colour=colour, name_masked=name, ttl_s=ttl_s
    )


def test_keyboard_wedge_walk_in_and_re_measure(hospital_services, idp, browser, tmp_path):
    url, data_dir, slot = open_door(hospital_services, idp)
    page = nurse_at_the_door(browser, url)
    shoot(page, "scanning")
    booking = book(url, idp, "OP-WEDGE", "李娜", slot)
    find_by_wedge(page, booking["booking_code"], "李娜")
    shoot(page, "readings")

    # The health-code payload from the gun, then Enter: the temperature is asked for next.
    page.keyboard.type(_payload(data_dir, "李*", "yellow"))
    page.keyboard.press("Enter")
    temperature = page.get_by_label(TEMPERATURE)
    expect(temperature).to_be_focused()
    # An implausible reading is not sent: a re-measure prompt, and nothing is recorded.
    temperature.fill("43.5")
    page.get_by_role("button", name="签到", exact=True).click()
    prompt = page.locator("#remeasure")
    expect(prompt).to_be_visible()
    expect(prompt).to_contain_text("请复测体温")
    expect(prompt).to_contain_text("43.5")
    expect(temperature).to_be_focused()
    shoot(page, "remeasure")
    assert "/entrance/check-ins/" not in page.url
    none_yet = httpx.get(
        f"{url}/check-ins",
        params={"patient_external_id": "OP-WEDGE"},
        headers=idp.headers("auditor"),
    ).json()["items"]
    assert none_yet == []
    temperature.fill("36.8")
    page.get_by_role("button", name="签到", exact=True).click()
    decision = page.locator("#decision")
    expect(decision).to_have_attribute("data-outcome", "redirected_fever_clinic")
    expect(decision).to_contain_text("请前往发热门诊")
    expect(decision).to_contain_text("健康码为黄码")
    shoot(page, "fever-clinic")

    # A visitor without a mask is refused (and may come back with one).
    other = book(url, idp, "OP-NOMASK", "张伟", slot)
    find_by_wedge(page, other["booking_code"], "张伟")
    page.keyboard.type(_payload(data_dir, "张*"))
    page.get_by_label(TEMPERATURE).fill("36.4")
    page.locator("#mask-no").check()
    page.get_by_role("button", name="签到", exact=True).click()
    expect(decision).to_have_attribute("data-outcome", "refused")
    expect(decision).to_contain_text("不准入内")
    shoot(page, "refused")

    # A walk-in: the department's current slot, booked and checked in in one form.
    page.get_by_role("link", name="无预约来访者").click()
    page.get_by_label("科室", exact=True).select_option("DERM")  # shows its slot at once
    expect(page.locator("#offer")).to_contain_text("当前时段")
    page.get_by_label("患者姓名").fill("赵磊")
    page.get_by_role("textbox", name="健康码").fill(_payload(data_dir, "赵*"))
    page.get_by_label(TEMPERATURE).fill("36.5")
    no_sideways_scroll(page)
    shoot(page, "walk-in")
    page.get_by_role("button", name="预约并签到").click()
    expect(decision).to_have_attribute("data-outcome", "admitted")
    expect(decision).to_contain_text("赵磊")
    expect(decision).to_contain_text("Dermatology")
    shoot(page, "walk-in-admitted")
    walk_ins = httpx.get(
        f"{url}/appointments",
        params={"department": "DERM", "date": slot.date().isoformat()},
        headers=idp.headers("auditor"),
    ).json()["items"]
    assert [(a["patient_name"], a["status"]) for a in walk_ins] == [("赵磊", "checked_in")]


def test_the_arrivals_page_charts_the_entrance(hospital_services, idp, browser):
    url, data_dir, slot = open_door(hospital_services, idp)
    for n, (name, temperature, code) in enumerate(
        [("钱一", 36.5, "green"), ("钱二", 38.4, "green"), ("钱三", 36.6, None)]
    ):
        booking = book(url, idp, f"OP-CH-{n}", name, slot)
        readings = {"temperature_c": temperature, "mask": True, "risk_area_travel_14d": False}
        if code:
            readings["health_code_payload"] = _payload(data_dir, name[0] + "*", code)
        else:
            readings["health_code"] = "green"
        answer = httpx.post(
            f"{url}/appointments/{booking['id']}/check-in",
            json=readings,
            headers=idp.headers("nurse"),
        )
        assert answer.status_code == 200, answer.text
    book(url, idp, "OP-CH-9", "钱九", slot)
    page = nurse_at_the_door(browser, url)
    page.goto(f"{url}/ui/arrivals?department=RESP&day={slot.date().isoformat()}&lang=zh_CN")
    summary = page.locator("#entrance-summary")
    expect(summary.locator("#figure-admitted dd")).to_have_text("2")
    expect(summary.locator("#figure-fever-clinic dd")).to_have_text("1")
    expect(summary.locator("#figure-fever dd")).to_have_text("1")
    expect(summary.locator("#figure-verified dd")).to_have_text("2")
    expect(summary.locator("#figure-manual dd")).to_have_text("1")
    resp = summary.locator("#entrance-by-department tr", has_text="RESP")
    expect(resp.locator("td")).to_have_text(["4", "3", "1"])
    expect(summary.locator("svg.chart")).to_have_count(2)
    shoot(page, "arrivals-chart")


def test_the_camera_keeps_looking_until_closed(hospital_services, idp, camera_browser, tmp_path):
    url, _, _ = open_door(hospital_services, idp)
    blank = tmp_path / "blank.png"
    Image.new("L", (300, 300), 230).save(blank)
    video = tmp_path / "blank.y4m"
    write_y4m(blank, video)
    page = nurse_at_the_door(camera_browser(video), url)
    camera = page.get_by_role("button", name="摄像头扫码")
    camera.click()
    expect(camera).to_have_attribute("aria-expanded", "true")
    panel = page.locator("#q-camera")
    expect(panel.locator("video")).to_be_visible()
    expect(panel.get_by_role("status")).to_have_text("请将二维码对准摄像头。")
    shoot(page, "camera-open")
    panel.get_by_role("button", name="关闭摄像头").click()
    expect(panel).to_be_hidden()
    expect(page.get_by_label("预约码、姓名或患者编号")).to_be_focused()
    assert "/ui/entrance" in page.url and "q=" not in page.url
