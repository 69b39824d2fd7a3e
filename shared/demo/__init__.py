"""`wardgate demo`: a realistic hospital day, sent through the public APIs of running services.

`cast` names the people and departments, `plan` turns them into the day's requests (times
relative to now in the hospital's time zone; pure), `runner` sends them with httpx and counts
what happened. Nothing here reads a service's database.
"""

from shared.demo.plan import HospitalDay, build_day
from shared.demo.runner import DemoError, DemoSummary, run_demo

__all__ = ["DemoError", "DemoSummary", "HospitalDay", "build_day", "run_demo"]
