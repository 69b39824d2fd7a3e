"""Tables: isolation of a person: automatic on a positive, by hand, released by two negatives."""

from __future__ import annotations
