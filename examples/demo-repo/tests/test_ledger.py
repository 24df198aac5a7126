import asyncio
import dataclasses

import pytest

from minibank import CurrencyMismatch, Ledger, Money, import_batch


def test_record_normalises_and_numbers_entries(usd):
    book = Ledger()
    first = book.record("2024-03-01", "  Coffee ", usd("-3.50"), "Food")
    second = book.record("2024-03-02", "Tea", usd("-2.00"), "")
    assert (first.tid, first.description, first.category) == (1, "Coffee", "food")
    assert (second.tid, second.category) == (2, "misc")
    assert len(book) == 2
    assert list(book) == [first, second]


def test_record_refuses_zero_and_foreign_amounts(usd):
    book = Ledger("USD")
    with pytest.raises(ValueError, match="zero"):
        book.record("2024-03-01", "Nothing", usd("0"))
    with pytest.raises(CurrencyMismatch):
        book.record("2024-03-01", "Abroad", Money(100, "EUR"))
    assert len(book) == 0


def test_transaction_properties(ledger):
    salary, rent = list(ledger)[:2]
    assert salary.month == "2024-01"
    assert salary.is_credit and not rent.is_credit
    with pytest.raises(dataclasses.FrozenInstanceError):
        salary.amount = Money(1)


def test_remove_keeps_ids_unique(ledger, usd):
    removed = ledger.remove(3)
    assert removed.description == "Groceries"
    assert [entry.tid for entry in ledger] == [1, 2, 4, 5, 6]
    assert ledger.remove(2).description == "Rent"
    assert [entry.tid for entry in ledger] == [1, 4, 5, 6]
    assert 4 in ledger and 2 not in ledger and 3 not in ledger
    assert ledger.record("2024-02-20", "Bonus", usd("1")).tid == 7
    assert ledger.remove(1).description == "Salary"
    assert ledger.remove(7).description == "Bonus"
    with pytest.raises(KeyError):
        ledger.remove(3)


def test_filter_keeps_scanning_after_a_miss(usd):
    book = Ledger()
    for text in ("1.00", "100.00", "2.00", "200.00"):
        book.record("2024-03-01", "Entry", usd(text))
    assert [entry.tid for entry in book.filter(min_abs=usd("50"))] == [2, 4]
    assert [entry.tid for entry in book.filter(credits=True)] == [1, 2, 3, 4]


def test_truncate(ledger):
    ledger.truncate(2)
    assert [entry.description for entry in ledger] == ["Salary", "Rent"]


def test_balance(ledger, usd):
    assert ledger.balance() == usd("3687.50")
    assert Ledger("JPY").balance() == Money(0, "JPY")


@pytest.mark.parametrize(
    "criteria, expected_ids",
    [
        ({}, [1, 2, 3, 4, 5, 6]),
        ({"category": "food"}, [3, 5, 6]),
        ({"month": "2024-02"}, [4, 5, 6]),
        ({"credits": True}, [1, 4, 6]),
        ({"credits": False}, [2, 3, 5]),
        ({"min_abs": Money(8540)}, [1, 2, 3, 4]),
        ({"category": "food", "month": "2024-02", "credits": False}, [5]),
    ],
)
def test_filter(ledger, criteria, expected_ids):
    assert [entry.tid for entry in ledger.filter(**criteria)] == expected_ids


def test_totals_by_category(ledger, usd):
    totals = ledger.totals_by_category()
    assert list(totals) == ["food", "housing", "income"]
    assert totals == {"food": usd("-112.50"), "housing": usd("-1200"), "income": usd("5000")}


def test_monthly_net(ledger, usd):
    assert ledger.monthly_net() == [("2024-01", usd("1214.60")), ("2024-02", usd("2472.90"))]


def test_running_balances(ledger, usd):
    assert ledger.running_balances()[:3] == [usd("2500"), usd("1300"), usd("1214.60")]
    assert ledger.running_balances(usd("-2500"))[:2] == [usd("0"), usd("-1200")]
    assert ledger.running_balances()[-1] == ledger.balance()


def test_first_overdraft(ledger, usd):
    assert ledger.first_overdraft(usd("0")) is None
    assert ledger.first_overdraft(usd("-2500")).description == "Rent"
    assert ledger.first_overdraft(usd("-2500.01")).description == "Salary"
    assert ledger.first_overdraft(usd("-1300")).description == "Groceries"


def test_largest(ledger):
    assert [entry.tid for entry in ledger.largest()] == [1, 4, 2]
    assert [entry.tid for entry in ledger.largest(5)] == [1, 4, 2, 3, 5]
    assert ledger.largest(0) == []


def test_find_duplicates(ledger, usd):
    assert ledger.find_duplicates() == []
    ledger.record("2024-01-09", "Groceries", usd("-85.40"), "food")
    ledger.record("2024-01-09", "Groceries", usd("-85.41"), "food")
    ledger.record("2024-01-10", "Groceries", usd("-85.40"), "food")
    ledger.record("2024-01-09", "Groceries", usd("-85.40"), "other")
    ledger.record("2024-01-09", "Groceries", usd("-85.40"), "food")
    assert ledger.find_duplicates() == [(3, 7), (3, 10), (3, 11), (7, 10), (7, 11), (10, 11)]


def _rows(prefix, count):
    return [("2024-05-01", f"{prefix}{i}", Money(100 * i), "import") for i in range(1, count + 1)]


def test_import_batch_returns_count():
    book = Ledger()
    assert asyncio.run(import_batch(book, _rows("a", 5), chunk_size=3)) == 5
    assert [entry.description for entry in book] == ["a1", "a2", "a3", "a4", "a5"]
    assert book.balance() == Money(1500)


@pytest.mark.parametrize(
    "chunk_size, expected",
    [
        (1, "a1 b1 a2 b2 a3 b3"),
        (2, "a1 a2 b1 b2 a3 b3"),
        (3, "a1 a2 a3 b1 b2 b3"),
    ],
)
def test_concurrent_imports_interleave_by_chunk(chunk_size, expected):
    book = Ledger()

    async def main():
        return await asyncio.gather(
            import_batch(book, _rows("a", 3), chunk_size=chunk_size),
            import_batch(book, _rows("b", 3), chunk_size=chunk_size),
        )

    assert asyncio.run(main()) == [3, 3]
    assert " ".join(entry.description for entry in book) == expected


def test_import_batch_default_chunk_size_is_two():
    book = Ledger()

    async def main():
        await asyncio.gather(import_batch(book, _rows("a", 3)), import_batch(book, _rows("b", 3)))

    asyncio.run(main())
    assert " ".join(entry.description for entry in book) == "a1 a2 b1 b2 a3 b3"


def test_import_batch_rejects_bad_chunk_size():
    with pytest.raises(ValueError):
        asyncio.run(import_batch(Ledger(), _rows("a", 1), chunk_size=0))
