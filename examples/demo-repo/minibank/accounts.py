"""Bank accounts: a basic account plus savings and checking variants."""

from __future__ import annotations

from fractions import Fraction
from typing import Dict, List, Tuple

from . import rules
from .money import Money


class AccountError(Exception):
    """Base class for refused account operations."""


class InsufficientFunds(AccountError):
    """The account cannot cover a withdrawal."""


class AccountFrozen(AccountError):
    """The account is frozen and refuses every movement."""


class Account:
    """A basic account; :attr:`history` holds ``(kind, signed amount)`` movements."""

    kind = "basic"

    def __init__(self, number: str, owner: str, currency: str = "USD") -> None:
        if not rules.is_valid_account_number(number):
            raise ValueError(f"invalid account number: {number!r}")
        self.number = number
        self.owner = owner
        self.currency = currency
        self.frozen = False
        self.history: List[Tuple[str, Money]] = []
        self._balance = Money.zero(currency)

    @property
    def balance(self) -> Money:
        """The current balance (may be negative for overdrawn accounts)."""
        return self._balance

    def _ensure_usable(self, amount: Money) -> None:
        """Refuse movements on frozen accounts, in other currencies, or not positive."""
        if self.frozen:
            raise AccountFrozen(f"account {self.number} is frozen")
        if amount.currency != self.currency:
            raise AccountError(f"account {self.number} holds {self.currency}")
        if not amount.is_positive():
            raise AccountError("amount must be positive")

    def _post(self, kind: str, amount: Money) -> None:
        """Apply a signed movement to the balance and remember it."""
        self._balance = self._balance + amount
        self.history.append((kind, amount))

    def deposit(self, amount: Money) -> Money:
        """Add ``amount``; returns the new balance."""
        self._ensure_usable(amount)
        self._post("deposit", amount)
        return self._balance

    def available(self) -> Money:
        """Funds that may be withdrawn right now."""
        return self._balance

    def can_withdraw(self, amount: Money) -> bool:
        return amount.is_positive() and not self.frozen and amount <= self.available()

    def withdraw(self, amount: Money) -> Money:
        """Take ``amount`` out; returns the new balance."""
        self._ensure_usable(amount)
        if not self.can_withdraw(amount):
            raise InsufficientFunds(f"cannot withdraw {amount} from {self.number}")
        self._post("withdrawal", -amount)
        return self._balance

    def transfer_to(self, other: "Account", amount: Money) -> None:
        """Move ``amount`` to ``other``; undone here if ``other`` refuses it."""
        self.withdraw(amount)
        try:
            other.deposit(amount)
        except AccountError:
            self._post("reversal", amount)
            raise

    def freeze(self) -> None:
        self.frozen = True

    def unfreeze(self) -> None:
        self.frozen = False

    def month_end(self) -> Money:
        """End-of-month processing; returns the net change it caused."""
        return Money.zero(self.currency)

    def totals_by_kind(self) -> Dict[str, Money]:
        """Sum of the history per movement kind."""
        totals: Dict[str, Money] = {}
        for kind, amount in self.history:
            totals[kind] = totals.get(kind, Money.zero(self.currency)) + amount
        return totals


class SavingsAccount(Account):
    """Earns monthly interest but limits the number of withdrawals."""

    kind = "savings"

    def __init__(self, number: str, owner: str, currency: str = "USD", *,
                 annual_rate: float = 0.02, max_withdrawals: int = 3) -> None:
        super().__init__(number, owner, currency)
        if not 0 <= annual_rate < 1:
            raise ValueError("annual_rate must be in [0, 1)")
        if max_withdrawals < 0 or max_withdrawals > 31:
            raise ValueError("max_withdrawals must be between 0 and 31")
        self.annual_rate = Fraction(repr(annual_rate))
        self.max_withdrawals = max_withdrawals
        self.withdrawals_this_month = 0

    def monthly_interest(self) -> Money:
        """One twelfth of the annual interest on a positive balance."""
        if not self._balance.is_positive():
            return Money.zero(self.currency)
        return self._balance * (self.annual_rate / 12)

    def withdraw(self, amount: Money) -> Money:
        if self.withdrawals_this_month >= self.max_withdrawals:
            raise AccountError("monthly withdrawal limit reached")
        balance = super().withdraw(amount)
        self.withdrawals_this_month += 1
        return balance

    def month_end(self) -> Money:
        interest = self.monthly_interest()
        if interest.is_positive():
            self._post("interest", interest)
        self.withdrawals_this_month = 0
        return interest


class CheckingAccount(Account):
    """Allows an overdraft and charges monthly fees."""

    kind = "checking"

    def __init__(self, number: str, owner: str, currency: str = "USD", *,
                 overdraft_limit: str = "0", student: bool = False) -> None:
        super().__init__(number, owner, currency)
        self.overdraft_limit = Money.of(overdraft_limit, currency)
        self.student = student
        self.transactions_this_month = 0

    def available(self) -> Money:
        return self._balance + self.overdraft_limit

    def is_overdrawn(self) -> bool:
        return self._balance.is_negative()

    def _post(self, kind: str, amount: Money) -> None:
        super()._post(kind, amount)
        if kind in ("deposit", "withdrawal"):
            self.transactions_this_month += 1

    def month_end(self) -> Money:
        fee = rules.overdraft_fee(self._balance, self.overdraft_limit)
        fee = fee + rules.maintenance_fee(self._balance, self.transactions_this_month, self.student)
        if fee.is_positive():
            self._post("fee", -fee)
        self.transactions_this_month = 0
        return -fee
