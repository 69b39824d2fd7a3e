"""The shared auth library: the only place that imports python-jose."""

from shared.auth.dependencies import SESSION_COOKIE, CurrentPrincipal, current_principal, require
from shared.auth.keys import KeyConfigError, load_keys
from shared.auth.tokens import InvalidToken, Principal, TokenVerifier, mint_dev_token, mint_token

__all__ = [
    "SESSION_COOKIE",
    "CurrentPrincipal",
    "InvalidToken",
    "KeyConfigError",
    "Principal",
    "TokenVerifier",
    "current_principal",
    "load_keys",
    "mint_dev_token",
    "mint_token",
    "require",
]
