"""Plain-text reports and simple statistics over ledgers and accounts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Sequence, Union

from .ledger import Ledger
from .money import Money


def mean(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("mean of no values")
    return sum(values) / len(values)


def median(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("median of no values")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2 == 1:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def stdev(values: Sequence[float]) -> float:
    """Population standard deviation."""
    centre = mean(values)
    return (sum((value - centre) ** 2 for value in values) / len(values)) ** 0.5


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Render ``rows`` under ``headers`` as an aligned plain-text table.

    Cells that look like numbers or money (``-1,234.50 USD``) are right
    aligned, everything else is left aligned.
    """
    widths = [len(header) for header in headers]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"row has {len(row)} cells, expected {len(headers)}")
        for column, cell in enumerate(row):
            widths[column] = max(widths[column], len(cell))

    def is_numeric(cell: str) -> bool:
        token = cell.split(" ")[0].replace(",", "").lstrip("-")
        return token.replace(".", "", 1).isdigit()

    def render(cells: Sequence[str]) -> str:
        parts = []
        for cell, width in zip(cells, widths):
            parts.append(cell.rjust(width) if is_numeric(cell) else cell.ljust(width))
        return " | ".join(parts).rstrip()

    lines = [render(headers), "-+-".join("-" * width for width in widths)]
    lines.extend(render(row) for row in rows)
    return "\n".join(lines)


def category_report(ledger: Ledger) -> str:
    """A table of transaction count and net amount per category, with a total."""
    counts: Dict[str, int] = {}
    for entry in ledger:
        counts[entry.category] = counts.get(entry.category, 0) + 1
    rows: List[List[str]] = []
    for category, amount in ledger.totals_by_category().items():
        rows.append([category, str(counts[category]), str(amount)])
    rows.append(["TOTAL", str(len(ledger)), str(ledger.balance())])
    return format_table(["category", "count", "net"], rows)


def summarize(ledger: Ledger) -> Dict[str, object]:
    """Counts, credit/debit totals and statistics (in minor units) of a ledger."""
    values = [entry.amount.minor for entry in ledger]
    if not values:
        return {"count": 0}
    credits = sum(value for value in values if value > 0)
    debits = sum(value for value in values if value < 0)
    result = {
        "count": len(values),
        "credits": Money(credits, ledger.currency),
        "debits": Money(debits, ledger.currency),
        "mean": mean(values),
        "median": median(values),
        "stdev": round(stdev(values), 2),
    }
    return result  # type: ignore[return-value]


def render_statement(account, period: str) -> str:
    """A printable monthly statement for ``account``."""
    lines = [f"{kind:<12}{str(amount):>16}" for kind, amount in account.history]
    body = "\n".join(lines) if lines else "(no activity)"
    template = """\
Statement: {period}
Account:   {number} ({kind})
Owner:     {owner}
----------------------------
{body}
----------------------------
Balance:   {balance}
"""
    return template.format(
        period=period,
        number=account.number,
        kind=account.kind,
        owner=account.owner,
        body=body,
        balance=account.balance,
    )


def write_report(path: Union[str, Path], text: str) -> int:
    """Write ``text`` to ``path`` atomically; returns the number of characters.

    The text goes to a temporary sibling file first, which is renamed over
    ``path`` on success and removed in every case.
    """
    path = Path(path)
    temporary = path.with_name(path.name + ".tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            written = handle.write(text)
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()
    return written
