"""How far the location normaliser gets on the shared real-world strings.

Run ``python -m bench.locations [FILE]`` (default: ``tests/data/locations/locations.txt``).
Prints a Markdown table of the share of strings resolved to a city (metro areas included), a
region only, a country only, remote with no finer place, or nothing, and writes the numbers
to ``bench/results/locations.json``.
"""
from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

from rediscover.indexer.geo import Locator

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INPUT = ROOT / "tests" / "data" / "locations" / "locations.txt"
OUTPUT = ROOT / "bench" / "results" / "locations.json"
CATEGORIES = ("city", "region", "country", "remote", "unresolved")


def measure(lines: list[str], locator: Locator | None = None) -> dict[str, object]:
    """Resolution counts and shares over ``lines``, plus the unresolved strings."""
    locator = locator or Locator()
    locator.gaz  # load the gazetteer outside the timed part
    started = time.perf_counter()
    places = [locator.locate(line) for line in lines]
    elapsed = time.perf_counter() - started
    counts = Counter(p.category for p in places)
    total = len(lines)
    return {
        "strings": total,
        "counts": {c: counts.get(c, 0) for c in CATEGORIES},
        "shares": {c: round(counts.get(c, 0) / total, 4) if total else 0.0 for c in CATEGORIES},
        "remote_flagged": sum(p.remote for p in places),
        "unresolved": [line for line, p in zip(lines, places) if p.category == "unresolved"],
        "ms_per_string": round(elapsed * 1000 / total, 3) if total else 0.0,
    }


def to_markdown(report: dict[str, object]) -> str:
    """The report as a Markdown table (what the README quotes)."""
    counts, shares = report["counts"], report["shares"]
    rows = [f"| {c} | {counts[c]} | {shares[c]:.1%} |" for c in CATEGORIES]  # type: ignore[index]
    return "\n".join([
        f"Location strings: {report['strings']} "
        f"({report['remote_flagged']} flagged remote, {report['ms_per_string']} ms each)",
        "",
        "| resolved to | strings | share |",
        "|---|---:|---:|",
        *rows,
    ])


def main(argv: list[str] | None = None) -> int:
    """Measure, write ``bench/results/locations.json`` and print the table."""
    args = sys.argv[1:] if argv is None else argv
    source = Path(args[0]) if args else DEFAULT_INPUT
    lines = [line for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    report = measure(lines)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(to_markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
