"""Fixtures the web-session tests share: a service with local sign-in and three accounts."""

from tests.shared.test_ui_pages import local_key, ui_client, users_file

__all__ = ["local_key", "ui_client", "users_file"]
