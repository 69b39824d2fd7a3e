"""Tables: reviews of discharges whose evidence a later result changed."""

from __future__ import annotations
