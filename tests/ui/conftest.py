"""Fixtures of the service pages' tests: a signed-in desk per role, forms with their token."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shared.auth import SESSION_COOKIE
from tests.support.keys import TestIdp

HTML = {"Accept": "text/html", "Accept-Language": "en"}


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page that carries one."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


@dataclass
class Desk:
    """A browser-like client of one service, signed in with one role."""

    client: TestClient
    idp: TestIdp

    def as_(self, *roles: str, sub: str | None = None) -> Desk:
        """Sign in (set the session cookie) as a person with `roles`."""
        self.client.cookies.set(SESSION_COOKIE, self.idp.token(*roles, sub=sub or roles[0]))
        return self

    def get(self, path: str, **kw: Any) -> Any:
        """GET a page as a browser asks for it (English)."""
        return self.client.get(path, headers={**HTML, **kw.pop("headers", {})}, **kw)

    def post(self, path: str, data: dict[str, Any], *, token: bool = True, **kw: Any) -> Any:
        """POST a form, with the CSRF token a page gave unless `token` is False."""
        if token:
            data = {**data, "csrf_token": csrf_of(self.get("/ui/").text)}
        kw.setdefault("follow_redirects", False)
        return self.client.post(path, data=data, headers={**HTML, **kw.pop("headers", {})}, **kw)

    def api(self, method: str, path: str, role: str = "admin", **kw: Any) -> Any:
        """Call the service's API as `role` (to arrange a test, or to check what a page did)."""
        cookies = dict(self.client.cookies)
        self.client.cookies.clear()
        try:
            return self.client.request(method, path, headers=self.idp.headers(role), **kw)
        finally:
            for name, value in cookies.items():
                self.client.cookies.set(name, value)


@pytest.fixture
def desk(make_client: Callable[..., TestClient], idp: TestIdp) -> Callable[..., Desk]:
    """`desk(service, **settings)`: a signed-out browser-like client of that service."""

    def make(service: str, **overrides: Any) -> Desk:
        return Desk(make_client(service, **overrides), idp)

    return make


def text_of(html: str) -> str:
    """The page's text without tags and with spaces collapsed, for assertions."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
