"""CSRF protection of the residents' public forms (no sign-in).

The same signed token as the sign-in form: HMAC of a random nonce kept in this service's
CSRF cookie (SameSite, HttpOnly) under the UI secret, posted back as `csrf_token` (double
submit; a page of another site can read neither). Unlike a staff form, a refusal never sends
the resident to the staff sign-in page nor keeps what they typed (an ID number) in a cookie:
it answers 403 asking to reload the page, and is audited as a denial.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from shared.audit import record_denial
from shared.errors import Problem
from shared.web.public_rate import public_rate_refusal
from shared.web.ui.context import Ui
from shared.web.ui.dependencies import UiContext, UiInterrupt


class PublicFormExpired(UiInterrupt):
    """A public form without a valid token."""

    def respond(self) -> Response:
        """403 page asking to reload the form."""
        message = self.ui.gettext(
            "This form has expired or did not come from WardGate. Reload the page and try again."
        )
        return self.ui.error(Problem(message, status=403, code="csrf_failed"))


async def public_form_protected(request: Request, ui: UiContext) -> None:
    """Refuses a posted public form whose `csrf_token` does not fit its cookie."""
    token = (await request.form()).get("csrf_token")
    if not ui.csrf_valid(token):
        record_denial(request, 403, "public form without its CSRF token")
        raise PublicFormExpired(ui)


def rate_limited_page(ui: Ui) -> Response | None:
    """The page a resident sees past the public rate limit (429 with `Retry-After`), else
    None (the request is counted)."""
    refused = public_rate_refusal(ui.request)
    if refused is None:
        return None
    message = ui.gettext("Too many requests from this device. Wait a minute and try again.")
    answer = ui.error(Problem(message, status=429, code=refused.code))
    answer.headers["Retry-After"] = refused.headers["Retry-After"]
    return answer
