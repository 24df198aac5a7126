"""Business rules: fees (registered by name with :func:`fee_rule`), limits, risk, validation."""

from __future__ import annotations

import functools
from typing import Callable, Dict, Iterable, List, Tuple

from .money import Money

#: Registered fee functions, by name.
FEE_RULES: Dict[str, Callable[..., Money]] = {}

#: Fictional country codes that always raise the risk level.
HIGH_RISK_COUNTRIES = frozenset({"XA", "XQ", "XZ"})

OVERDRAFT_FEE = 1500  # minor units
OVER_LIMIT_FEE = 3500  # minor units
MAINTENANCE_FEE = 500  # minor units
MIN_FOREIGN_FEE = 100  # minor units
FOREIGN_FEE_PERCENT = 3


def fee_rule(name: str) -> Callable[[Callable[..., Money]], Callable[..., Money]]:
    """Register the decorated function as fee rule ``name``; negative fees are refused."""

    def decorator(func: Callable[..., Money]) -> Callable[..., Money]:
        @functools.wraps(func)
        def wrapper(*args, **kwargs) -> Money:
            fee = func(*args, **kwargs)
            if fee.is_negative():
                raise ValueError(f"fee rule {name!r} produced a negative fee: {fee}")
            return fee

        FEE_RULES[name] = wrapper
        return wrapper

    return decorator


@fee_rule("overdraft")
def overdraft_fee(balance: Money, limit: Money) -> Money:
    """Fee for a negative balance; higher once the overdraft limit is exceeded."""
    if not balance.is_negative():
        return Money.zero(balance.currency)
    elif -balance > limit:
        return Money(OVER_LIMIT_FEE, balance.currency)
    else:
        return Money(OVERDRAFT_FEE, balance.currency)


@fee_rule("maintenance")
def maintenance_fee(balance: Money, transactions: int, student: bool = False) -> Money:
    """Monthly fee: waived for students, big balances, or busy accounts with a fair balance."""
    if student or balance.minor >= 150_000:
        fee = 0
    elif balance.minor >= 50_000 and transactions >= 10:
        fee = 0
    elif transactions > 20:
        fee = MAINTENANCE_FEE // 2
    else:
        fee = MAINTENANCE_FEE
    return Money(fee, balance.currency)


@fee_rule("foreign")
def foreign_fee(amount: Money, home_currency: str, premium: bool = False) -> Money:
    """Fee for a payment in a currency other than the account's own."""
    if amount.currency == home_currency or premium:
        return Money.zero(amount.currency)
    fee = abs(amount).percent(FOREIGN_FEE_PERCENT)
    return max(fee, Money(MIN_FOREIGN_FEE, amount.currency))


def total_fees(requests: Iterable[Tuple[str, tuple]], currency: str = "USD") -> Money:
    """Evaluate ``(rule name, arguments)`` pairs and add up the fees."""
    result = Money.zero(currency)
    for name, args in requests:
        if name not in FEE_RULES:
            raise KeyError(f"unknown fee rule: {name}")
        result = result + FEE_RULES[name](*args)
    return result


def check_digit(body: str) -> int:
    """Weighted mod-10 check digit for the first seven digits of an account number."""
    weighted = 0
    for position, char in enumerate(body, start=1):
        weighted += int(char) * (position % 3 + 1)
    return weighted % 10


def is_valid_account_number(number: str) -> bool:
    """An account number is eight digits, the last being the check digit."""
    return (
        len(number) == 8
        and number.isdigit()
        and check_digit(number[:-1]) == int(number[-1])
    )


def classify_risk(amount: Money, country: str, new_customer: bool, hour: int) -> str:
    """Classify a payment as ``block``, ``high``, ``medium`` or ``low`` risk."""
    if not 0 <= hour < 24:
        raise ValueError("hour must be in 0..23")
    large = amount.minor >= 1_000_000
    risky_country = country.upper() in HIGH_RISK_COUNTRIES
    if large and new_customer and risky_country:
        return "block"
    if large or (risky_country and new_customer):
        return "high"
    elif 0 <= hour < 6 or amount.minor > 250_000:
        return "medium"
    else:
        return "low"


def within_daily_limit(spent_today: Money, amount: Money, limit: Money) -> bool:
    """Whether paying ``amount`` keeps today's spending within ``limit``."""
    return amount.is_positive() and spent_today + amount <= limit


def transfer_problems(source, target, amount: Money) -> List[str]:
    """List the reasons a transfer between two accounts would be refused."""
    problems = []
    if source.number == target.number:
        problems.append("same account")
    if source.frozen or target.frozen:
        problems.append("frozen account")
    if amount.currency != source.currency or amount.currency != target.currency:
        problems.append("currency mismatch")
    elif not amount.is_positive():
        problems.append("non-positive amount")
    elif not source.frozen and not source.can_withdraw(amount):
        problems.append("insufficient funds")
    return problems
