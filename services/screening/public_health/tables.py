"""Tables: reports of positive nucleic acids to public health, with a deadline."""

from __future__ import annotations
