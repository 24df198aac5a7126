"""Shared fixtures for the minibank test-suite."""

import pytest

from minibank import CheckingAccount, Ledger, Money, SavingsAccount

# Account numbers whose last digit is the correct check digit.
CHECKING_NUMBER = "12345674"
SAVINGS_NUMBER = "76543218"
OTHER_NUMBER = "10000002"


@pytest.fixture
def usd():
    """Shorthand factory: ``usd("12.50")`` is ``Money(1250, "USD")``."""
    return lambda text: Money.of(text, "USD")


@pytest.fixture
def ledger(usd):
    """Two months of household transactions; the balance is 3,687.50 USD."""
    book = Ledger("USD")
    book.record("2024-01-03", "Salary", usd("2500.00"), "income")
    book.record("2024-01-05", "Rent", usd("-1200.00"), "housing")
    book.record("2024-01-09", "Groceries", usd("-85.40"), "food")
    book.record("2024-02-01", "Salary", usd("2500.00"), "income")
    book.record("2024-02-11", "Restaurant", usd("-42.10"), "food")
    book.record("2024-02-14", "Refund", usd("15.00"), "food")
    return book


@pytest.fixture
def checking():
    return CheckingAccount(CHECKING_NUMBER, "Ada", overdraft_limit="100")


@pytest.fixture
def savings(usd):
    account = SavingsAccount(SAVINGS_NUMBER, "Grace", annual_rate=0.06)
    account.deposit(usd("1000.00"))
    return account
