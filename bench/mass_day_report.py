"""The mass-screening-day table: each figure, its same-run baseline, the ratio and the target."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bench.load import LoadResult

RSS_LIMIT_MB = 150.0


def _failures(result: LoadResult | None) -> int:
    """Socket errors plus answers that are not 2xx."""
    if result is None:
        return 0
    bad = sum(n for code, n in result.statuses.items() if not code.startswith("2"))
    return result.errors + bad


def _load(result: LoadResult | None) -> dict[str, Any]:
    if result is None:
        return {}
    return {
        "rps": round(result.rps, 1),
        "p50_ms": round(result.p50_ms, 2),
        "p99_ms": round(result.p99_ms, 2),
        "requests": result.requests,
        "failures": _failures(result),
        "statuses": result.statuses,
    }


def _ratio(value: float, base: float) -> float | None:
    return round(value / base, 3) if base else None


@dataclass
class Report:
    """Figures collected during the run."""

    workers: int
    stored_results: int = 0
    latency_small: LoadResult | None = None
    latency_large: LoadResult | None = None
    ingest: dict[str, int] = field(default_factory=dict)
    status_floor: LoadResult | None = None
    status: LoadResult | None = None
    discharge_floor: LoadResult | None = None
    discharge: LoadResult | None = None
    booking: dict[str, Any] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        """Print and keep a progress line."""
        print("  " + text, flush=True)
        self.notes.append(text)

    def figures(self) -> dict[str, Any]:
        """Every figure with its baseline and ratio (the JSON line)."""
        floor_s = self.status_floor.rps if self.status_floor else 0.0
        floor_d = self.discharge_floor.rps if self.discharge_floor else 0.0
        small = self.latency_small.p50_ms if self.latency_small else 0.0
        large = self.latency_large.p50_ms if self.latency_large else 0.0
        rows = self.booking.get("appointments_booking", [])
        return {
            "workers": self.workers,
            "stored_results": self.stored_results,
            "status": {
                **_load(self.status),
                "floor_rps": round(floor_s, 1),
                "ratio": _ratio(self.status.rps if self.status else 0, floor_s),
                "target": 0.40,
            },
            "discharge_check": {
                **_load(self.discharge),
                "floor_rps": round(floor_d, 1),
                "ratio": _ratio(self.discharge.rps if self.discharge else 0, floor_d),
                "target": 0.25,
            },
            "ingest": {
                **self.ingest,
                "ratio": _ratio(
                    self.ingest.get("api_tail_rows_per_s", 0), self.ingest.get("raw_rows_per_s", 0)
                ),
                "target": 0.50,
            },
            "status_latency": {
                "at_10k": _load(self.latency_small),
                "at_full": _load(self.latency_large),
                "ratio_p50": _ratio(large, small),
                "target_max": 1.5,
            },
            "booking": rows,
            "peak_rss_mb": {k: round(v, 1) for k, v in self.peak_rss_mb.items()},
        }

    def print_table(self) -> dict[str, Any]:
        """Print the one table and return the figures."""
        f = self.figures()
        s, d, i, lat = f["status"], f["discharge_check"], f["ingest"], f["status_latency"]
        lines = [
            ("floor (status run), req/s", s["floor_rps"], "", "", ""),
            _row("screening-status @16, req/s", s, "floor", s["floor_rps"], s["ratio"], ">= 0.40"),
            ("floor (discharge run), req/s", d["floor_rps"], "", "", ""),
            _row("discharge-check @16, req/s", d, "floor", d["floor_rps"], d["ratio"], ">= 0.25"),
            (
                "batch ingest, rows/s (last 40k)",
                i.get("api_tail_rows_per_s"),
                f"raw executemany {i.get('raw_rows_per_s')}",
                i["ratio"],
                ">= 0.50",
            ),
            (
                f"status p50 ms, {self.stored_results:,} results",
                lat["at_full"].get("p50_ms"),
                f"at 10,000: {lat['at_10k'].get('p50_ms')}",
                lat["ratio_p50"],
                "<= 1.5",
            ),
        ]
        for row in f["booking"][1:]:
            lines.append(
                (
                    f"{row['name']}, bookings/s",
                    row.get("bookings_per_s", row["rps"]),
                    f"floor {f['booking'][0]['rps']}",
                    row["ratio_to_floor"],
                    f"failures {row.get('not_booked', 0)}",
                )
            )
        for name, mb in f["peak_rss_mb"].items():
            lines.append((f"peak RSS {name}, MB", mb, "", "", f"< {RSS_LIMIT_MB:.0f}"))
        print(f"\nmass screening day ({f['workers']} uvicorn worker(s) per server, PostgreSQL)")
        print(f"  {'figure':<36} {'value':>10}  {'same-run baseline':<26} {'ratio':>6}  target")
        for name, value, base, ratio, target, *detail in lines:
            extra = f"  ({detail[0]})" if detail else ""
            print(f"  {name:<36} {value!s:>10}  {base!s:<26} {ratio!s:>6}  {target}{extra}")
        print("MASS_DAY_JSON " + json.dumps(f, default=str))
        return f


def _row(
    name: str, load: dict[str, Any], base_name: str, base: float, ratio: Any, target: str
) -> tuple[Any, ...]:
    detail = (
        f"p50 {load.get('p50_ms')} ms, p99 {load.get('p99_ms')} ms, failures {load.get('failures')}"
    )
    return (name, load.get("rps"), f"{base_name} {base}", ratio, target, detail)
