"""A ledger of dated, categorised transactions with simple analytics."""

from __future__ import annotations

import asyncio
from collections import abc
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from .money import CurrencyMismatch, Money, total


@dataclass(frozen=True)
class Transaction:
    """One ledger entry.  Positive amounts are credits, negative are debits."""

    tid: int
    date: str  # ISO format, YYYY-MM-DD
    description: str
    amount: Money
    category: str = "misc"

    @property
    def month(self) -> str:
        """The ``YYYY-MM`` part of the date."""
        return self.date[:7]

    @property
    def is_credit(self) -> bool:
        return self.amount.is_positive()


class Ledger(abc.Collection):
    """An ordered collection of transactions in a single currency."""

    def __init__(self, currency: str = "USD") -> None:
        self.currency = currency
        self._entries: List[Transaction] = []
        self._next_id = 1

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Transaction]:
        return iter(self._entries)

    def __contains__(self, tid: object) -> bool:
        """Whether a transaction with id ``tid`` is in the ledger."""
        return any(entry.tid == tid for entry in self._entries)

    def record(self, date: str, description: str, amount: Money, category: str = "misc") -> Transaction:
        """Append a transaction and return it.  Zero amounts are refused."""
        if amount.currency != self.currency:
            raise CurrencyMismatch(f"ledger holds {self.currency}, got {amount.currency}")
        if amount.is_zero():
            raise ValueError("a transaction cannot be zero")
        entry = Transaction(self._next_id, date, description.strip(), amount, category.lower() or "misc")
        self._entries.append(entry)
        self._next_id += 1
        return entry

    def remove(self, tid: int) -> Transaction:
        """Remove and return the transaction with id ``tid``."""
        index = 0
        while index < len(self._entries):
            if self._entries[index].tid == tid:
                return self._entries.pop(index)
            index += 1
        raise KeyError(tid)

    def truncate(self, length: int) -> None:
        """Drop every transaction after the first ``length`` ones."""
        del self._entries[length:]

    def balance(self) -> Money:
        return total((entry.amount for entry in self._entries), self.currency)

    def filter(self, *, category: Optional[str] = None, month: Optional[str] = None,
               credits: Optional[bool] = None, min_abs: Optional[Money] = None) -> List[Transaction]:
        """Transactions matching every criterion that is given."""
        selected = []
        for entry in self._entries:
            if category is not None and entry.category != category:
                continue
            if month is not None and entry.month != month:
                continue
            if credits is not None and entry.is_credit != credits:
                continue
            if min_abs is not None and abs(entry.amount) < min_abs:
                continue
            selected.append(entry)
        return selected

    def totals_by_category(self) -> Dict[str, Money]:
        """Net amount per category, with categories in alphabetical order."""
        totals: Dict[str, Money] = {}
        for entry in self._entries:
            totals[entry.category] = totals.get(entry.category, Money.zero(self.currency)) + entry.amount
        return dict(sorted(totals.items()))

    def monthly_net(self) -> List[Tuple[str, Money]]:
        """``(month, net amount)`` pairs in chronological order."""
        months: Dict[str, Money] = {}
        for entry in self._entries:
            months[entry.month] = months.get(entry.month, Money.zero(self.currency)) + entry.amount
        return sorted(months.items())

    def running_balances(self, opening: Optional[Money] = None) -> List[Money]:
        """The balance after each transaction, starting from ``opening``."""
        running = opening if opening is not None else Money.zero(self.currency)
        balances = []
        for entry in self._entries:
            running = running + entry.amount
            balances.append(running)
        return balances

    def first_overdraft(self, opening: Money) -> Optional[Transaction]:
        """The first transaction that takes the running balance below zero."""
        running = opening
        for entry in self._entries:
            running = running + entry.amount
            if running.is_negative():
                break
        else:
            return None
        return entry

    def largest(self, n: int = 3) -> List[Transaction]:
        """The ``n`` transactions with the largest absolute amount (ties by id)."""
        ranked = sorted(self._entries, key=lambda entry: (-abs(entry.amount.minor), entry.tid))
        return ranked[:n]

    def find_duplicates(self) -> List[Tuple[int, int]]:
        """Pairs of ids of transactions with the same date, description and amount."""
        pairs = []
        entries = self._entries
        for i in range(len(entries)):
            for j in range(i + 1, len(entries)):
                a, b = entries[i], entries[j]
                if a.date == b.date and a.description == b.description and a.amount == b.amount:
                    pairs.append((a.tid, b.tid))
        return pairs


async def import_batch(ledger: Ledger, rows: Sequence[Tuple[str, str, Money, str]], *,
                       chunk_size: int = 2) -> int:
    """Record ``rows`` in chunks, yielding to the event loop between chunks; returns the count."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    count = 0
    for start in range(0, len(rows), chunk_size):
        for date, description, amount, category in rows[start:start + chunk_size]:
            ledger.record(date, description, amount, category)
            count += 1
        await asyncio.sleep(0)
    return count
