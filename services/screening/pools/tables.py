"""Tables: specimens, pools of up to ten swabs, their results and the retests they open."""

from __future__ import annotations
