"""`wardgate demo`: where the services listen, development-key tokens, and what to print."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from urllib.parse import urlencode

from shared.demo import cast
from shared.demo.plan import HospitalDay, build_day
from shared.demo.runner import DemoError, DemoSummary, TokenFor, run_demo
from shared.settings import WardGateSettings

DEFAULT_PORTS = {"appointments": 8001, "screening": 8002, "discharge": 8003}


def service_urls() -> dict[str, str]:
    """APPOINTMENTS_URL, SCREENING_URL and DISCHARGE_URL, else the ports `wardgate run` uses."""
    return {
        svc: os.environ.get(f"{svc.upper()}_URL") or f"http://127.0.0.1:{port}"
        for svc, port in DEFAULT_PORTS.items()
    }


def dev_tokens(settings: WardGateSettings, ttl_s: int = 900) -> TokenFor:
    """Tokens signed with the local development key, one per role (sub `demo-<role>`)."""
    from shared.auth import mint_dev_token

    minted: dict[str, str] = {}

    def token_for(role: str) -> str:
        if role not in minted:
            minted[role] = mint_dev_token(
                settings.wardgate_data_dir,
                sub=f"demo-{role}",
                roles=[role],
                issuer=settings.auth_issuer,
                audience=settings.auth_audience,
                ttl_s=ttl_s,
            )
        return minted[role]

    return token_for


def pages_to_open(
    day: HospitalDay, settings: WardGateSettings, urls: dict[str, str]
) -> list[tuple[str, str]]:
    """(what, URL) of the pages that show the demo day: public URLs where set, else `urls`."""
    configured = settings.public_urls()
    public = {
        svc: configured[svc] if os.environ.get(f"WARDGATE_{svc.upper()}_PUBLIC_URL") else url
        for svc, url in urls.items()
    }
    screening, appointments, discharge = (
        public["screening"],
        public["appointments"],
        public["discharge"],
    )
    department = day.check_in_department or cast.RESPIRATORY
    arrivals = urlencode({"department": department, "day": day.day})
    return [
        ("positive inpatient (刘洋)", f"{screening}/ui/persons/P003"),
        ("corrected antibody result (黄秀英)", f"{screening}/ui/persons/P004"),
        ("exposure list of a positive outpatient", f"{screening}/ui/persons/O003/exposures"),
        ("screening compliance", f"{screening}/ui/compliance"),
        ("today's arrivals and check-ins", f"{appointments}/ui/arrivals?{arrivals}"),
        ("discharge attempts", f"{discharge}/ui/discharges"),
        ("discharge dashboard", f"{discharge}/ui/dashboard"),
    ]


def print_summary(summary: DemoSummary, pages: list[tuple[str, str]]) -> None:
    """The counts and the pages to open."""
    print("WardGate demo day sent:")
    for line in summary.lines():
        print(line)
    print("\nOpen (sign in with a demo account printed by `wardgate run`):")
    for what, url in pages:
        print(f"  {url}  ({what})")


def main(settings: WardGateSettings, now: datetime | None = None) -> int:
    """Fill the running services with a hospital day; non-zero with the reason when it cannot."""
    day = build_day(now or datetime.now(UTC), settings.timezone)
    urls = service_urls()
    try:
        summary = run_demo(day, urls, dev_tokens(settings))
    except DemoError as exc:
        print(f"wardgate demo: {exc}", file=sys.stderr)
        print("Are the services running (`make run`)? URLs used:", urls, file=sys.stderr)
        return 1
    print_summary(summary, pages_to_open(day, settings, urls))
    return 0
