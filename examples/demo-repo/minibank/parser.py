"""Parsing of CSV-like transaction files.

Each data line holds ``date,description,amount[,category]``.  Blank lines
and lines starting with ``#`` are ignored, as is a ``date,...`` header on
the first line.  Fields may be double-quoted to contain commas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, List, Optional, Tuple, Union

from .ledger import Ledger
from .money import Money

Record = Tuple[str, str, Money, str]

DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


class ParseError(ValueError):
    """A line or field could not be parsed; ``line_no`` is 1-based if known."""

    def __init__(self, message: str, line_no: Optional[int] = None) -> None:
        self.line_no = line_no
        super().__init__(f"line {line_no}: {message}" if line_no is not None else message)


def parse_amount(text: str, currency: str = "USD") -> Money:
    """Parse ``1,234.50``, ``$12``, ``-3.5`` or ``(7.25)`` (parentheses mean negative)."""
    cleaned = text.strip().replace(",", "").replace("$", "")
    negative = False
    if len(cleaned) > 2 and cleaned[0] == "(" and cleaned[-1] == ")":
        negative = True
        cleaned = cleaned[1:-1]
    try:
        amount = Money.of(cleaned, currency)
    except ValueError as exc:
        raise ParseError(f"bad amount {text!r}") from exc
    return -amount if negative else amount


def is_leap_year(year: int) -> bool:
    return year % 4 == 0 and year % 100 != 0 or year % 400 == 0


def parse_date(text: str) -> str:
    """Validate a ``YYYY-M-D`` date and return it normalised to ``YYYY-MM-DD``."""
    parts = text.strip().split("-")
    if len(parts) != 3 or len(parts[0]) != 4:
        raise ParseError(f"bad date {text!r}")
    try:
        year, month, day = (int(part) for part in parts)
    except ValueError:
        raise ParseError(f"bad date {text!r}") from None
    if not 1 <= month <= 12:
        raise ParseError(f"month out of range in {text!r}")
    last_day = DAYS_IN_MONTH[month - 1]
    if month == 2 and is_leap_year(year):
        last_day += 1
    if not 1 <= day <= last_day:
        raise ParseError(f"day out of range in {text!r}")
    return f"{year:04d}-{month:02d}-{day:02d}"


def split_fields(line: str, sep: str = ",") -> List[str]:
    """Split ``line`` on ``sep`` honouring double quotes (``""`` inside is a quote); strips fields."""
    fields: List[str] = []
    current: List[str] = []
    quoted = False
    i = 0
    while i < len(line):
        char = line[i]
        if quoted:
            if char == '"' and line[i + 1:i + 2] == '"':
                current.append('"')
                i += 2
                continue
            elif char == '"':
                quoted = False
            else:
                current.append(char)
        elif char == '"':
            quoted = True
        elif char == sep:
            fields.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        i += 1
    if quoted:
        raise ParseError("unterminated quote")
    fields.append("".join(current).strip())
    return fields


def parse_line(line: str, line_no: Optional[int] = None, currency: str = "USD") -> Record:
    """Parse one data line into ``(date, description, amount, category)``."""
    try:
        fields = split_fields(line)
    except ParseError as exc:
        raise ParseError(str(exc), line_no) from None
    if len(fields) == 3:
        fields.append("misc")
    if len(fields) != 4:
        raise ParseError(f"expected 3 or 4 fields, got {len(fields)}", line_no)
    date_text, description, amount_text, category = fields
    if not description:
        raise ParseError("empty description", line_no)
    try:
        return parse_date(date_text), description, parse_amount(amount_text, currency), category or "misc"
    except ParseError as exc:
        raise ParseError(str(exc), line_no) from None


def parse_lines(lines: Iterable[str], *, strict: bool = False,
                currency: str = "USD") -> Tuple[List[Record], List[ParseError]]:
    """Parse many lines; bad lines are collected unless ``strict`` is true."""
    records: List[Record] = []
    errors: List[ParseError] = []
    for line_no, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line_no == 1 and line.lower().startswith("date,"):
            continue
        try:
            records.append(parse_line(line, line_no, currency))
        except ParseError as exc:
            if strict:
                raise
            errors.append(exc)
    return records, errors


class atomic_import:
    """Context manager that rolls a ledger back if its body raises."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._mark = 0

    def __enter__(self) -> Ledger:
        self._mark = len(self.ledger)
        return self.ledger

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            self.ledger.truncate(self._mark)
        return False


def load_file(path: Union[str, Path], ledger: Ledger, *, strict: bool = False) -> List[ParseError]:
    """Load a file into ``ledger`` atomically; returns the errors of skipped lines."""
    with open(path, encoding="utf-8") as handle:
        records, errors = parse_lines(handle, strict=strict, currency=ledger.currency)
    with atomic_import(ledger) as target:
        for date, description, amount, category in records:
            target.record(date, description, amount, category)
    return errors
