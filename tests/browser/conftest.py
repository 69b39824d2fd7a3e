"""Browser tests: Debian's Chromium driven by Playwright against real service processes."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from shared.accounts import AccountStore
from tests.support.live import LiveService, free_port, live_service

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
SERVICES = ("appointments", "screening", "discharge")
PASSWORDS = {
    "nurse": "nurse-browser-1",
    "auditor": "auditor-browser-1",
    "doctor": "doctor-browser-1",
}

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def backend() -> str:
    """Pages in a browser run on SQLite only: what they show does not depend on the database
    (every rule and query behind them is tested on SQLite and PostgreSQL through the API, the
    races and the kill -9 tests on PostgreSQL), and a second browser pass cost the suite ~10
    minutes of its CI budget."""
    return "sqlite"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session."""
    if not CHROMIUM.exists():
        message = "Chromium is not installed at /usr/bin/chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs it: a missing browser there is a broken build
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    # Generous waits: CI machines are small and busy; a wait ends as soon as the page is ready.
    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def browser_users(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A users file with a nurse, an auditor and a doctor (hashed once per run)."""
    path = tmp_path_factory.mktemp("browser-users") / "users.json"
    store = AccountStore(path)
    for name, password in PASSWORDS.items():
        store.add(name, [name], password)
    return path


@pytest.fixture
def hospital_services(
    database_url: Callable[[str], str],
    service_env: dict[str, str],
    idp: Any,
    browser_users: Path,
    tmp_path: Path,
) -> Iterator[Callable[..., tuple[dict[str, str], dict[str, LiveService]]]]:
    """`hospital_services(*names, env=..., accounts=...)`: those services running with local
    sign-in, each told where the others listen (`<NAME>_URL`), `env` added, `accounts`
    ({username: (roles, password)}) added to the browser users; their URLs and processes."""
    started: list[LiveService] = []

    def start(
        *names: str,
        env: dict[str, str] | None = None,
        accounts: dict[str, tuple[list[str], str]] | None = None,
    ) -> tuple[dict[str, str], dict[str, LiveService]]:
        data_dir = Path(service_env["WARDGATE_DATA_DIR"])
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(browser_users, data_dir / "users.json")
        for username, (roles, password) in (accounts or {}).items():
            AccountStore(data_dir / "users.json").add(username, roles, password)
        key = tmp_path / "local-signing.pem"
        key.write_text(idp.private_pem)
        ports = {name: free_port() for name in SERVICES}
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        full_env = {
            **service_env,
            "AUTH_LOCAL_SIGNING_KEY_FILE": str(key),
            **{f"{name.upper()}_URL": url for name, url in urls.items()},
            **{f"WARDGATE_{name.upper()}_PUBLIC_URL": url for name, url in urls.items()},
            **(env or {}),
        }
        services = {
            name: live_service(name, database_url(name), full_env, tmp_path, port=ports[name])
            for name in names
        }
        started.extend(services.values())  # stopped at the end even when one failed to start
        with ThreadPoolExecutor(len(services)) as pool:
            starting = [pool.submit(service.start, 90) for service in services.values()]
        for future in starting:
            future.result()
        return urls, services

    yield start
    for service in started:
        service.stop()


@pytest.fixture
def web(hospital_services: Callable[..., Any]) -> Callable[..., dict[str, str]]:
    """`web(*services)`: those services running with local sign-in; their URLs by name."""

    def start(*names: str) -> dict[str, str]:
        urls, _ = hospital_services(*names)
        return urls

    return start


@pytest.fixture
def new_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """`new_page(locale)`: a page in a fresh browser context (its own cookies)."""
    contexts: list[Any] = []

    def make(locale: str = "en-US") -> Any:
        context = browser.new_context(locale=locale)
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Any, str], None]:
    """`shot(page, step)`: a full-page screenshot under test-output/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")

    def take(page: Any, step: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{test}-{step}.png"), full_page=True)

    return take
