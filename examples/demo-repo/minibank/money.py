"""An immutable money value type stored as integer minor units (cents, ...).

Operations that can produce a fraction of a minor unit round half away from zero.
"""

from __future__ import annotations

from fractions import Fraction
from functools import total_ordering
from typing import Iterable, List, Sequence, Union

#: Number of decimal digits in the minor unit of each supported currency.
CURRENCY_DIGITS = {"USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "KWD": 3}

Number = Union[int, float, str, Fraction]


class CurrencyMismatch(ValueError):
    """Raised when two amounts in different currencies are combined."""


def round_half_up(value: Fraction) -> int:
    """Round ``value`` to the nearest integer, with halves away from zero."""
    quotient, remainder = divmod(abs(value.numerator), value.denominator)
    if remainder * 2 >= value.denominator:
        quotient += 1
    return quotient if value >= 0 else -quotient


def decimal_to_minor(text: str, digits: int) -> int:
    """Convert a decimal string such as ``"-12.345"`` to minor units, rounding extra digits."""
    text = text.strip()
    negative = text.startswith("-")
    if negative or text.startswith("+"):
        text = text[1:]
    whole, _, frac = text.partition(".")
    if not whole and not frac:
        raise ValueError("empty amount")
    if not (whole or "0").isdigit() or not (frac or "0").isdigit():
        raise ValueError(f"not a decimal number: {text!r}")
    kept = frac[:digits].ljust(digits, "0")
    minor = int(whole or "0") * 10 ** digits + int(kept or "0")
    if len(frac) > digits and frac[digits] >= "5":
        minor += 1
    return -minor if negative else minor


@total_ordering
class Money:
    """An amount of money in a single currency."""

    __slots__ = ("_minor", "_currency")

    def __init__(self, minor: int, currency: str = "USD") -> None:
        self.digits_for(currency)
        if isinstance(minor, bool) or not isinstance(minor, int):
            raise TypeError("minor units must be an int")
        self._minor = minor
        self._currency = currency

    @classmethod
    def of(cls, amount: Number, currency: str = "USD") -> "Money":
        """Build a value from major units: ``Money.of("12.50")`` is 1250 cents."""
        digits = cls.digits_for(currency)
        if isinstance(amount, str):
            return cls(decimal_to_minor(amount, digits), currency)
        if isinstance(amount, float):
            amount = Fraction(repr(amount))
        return cls(round_half_up(Fraction(amount) * 10 ** digits), currency)

    @classmethod
    def zero(cls, currency: str = "USD") -> "Money":
        """The zero amount of ``currency``."""
        return cls(0, currency)

    @staticmethod
    def digits_for(currency: str) -> int:
        """Number of minor-unit digits of ``currency`` (``ValueError`` if unknown)."""
        try:
            return CURRENCY_DIGITS[currency]
        except KeyError:
            raise ValueError(f"unsupported currency: {currency!r}") from None

    @property
    def minor(self) -> int:
        """The amount in minor units."""
        return self._minor

    @property
    def currency(self) -> str:
        """The ISO code of the currency."""
        return self._currency

    def is_zero(self) -> bool:
        return self._minor == 0

    def is_positive(self) -> bool:
        return self._minor > 0

    def is_negative(self) -> bool:
        return self._minor < 0

    def _check(self, other: "Money") -> "Money":
        """Return ``other`` if it can be combined with ``self``."""
        if other._currency != self._currency:
            raise CurrencyMismatch(f"{self._currency} vs {other._currency}")
        return other

    def __add__(self, other: object) -> "Money":
        if not isinstance(other, Money):
            return NotImplemented
        other = self._check(other)
        return Money(self._minor + other._minor, self._currency)

    def __sub__(self, other: object) -> "Money":
        if not isinstance(other, Money):
            return NotImplemented
        other = self._check(other)
        return Money(self._minor - other._minor, self._currency)

    def __neg__(self) -> "Money":
        return Money(-self._minor, self._currency)

    def __abs__(self) -> "Money":
        return Money(abs(self._minor), self._currency)

    def __mul__(self, factor: object) -> "Money":
        if isinstance(factor, (Money, bool)) or not isinstance(factor, (int, float, Fraction)):
            return NotImplemented
        if isinstance(factor, float):
            factor = Fraction(repr(factor))
        return Money(round_half_up(self._minor * Fraction(factor)), self._currency)

    __rmul__ = __mul__

    def percent(self, rate: Number) -> "Money":
        """``rate`` percent of this amount, e.g. ``Money.of(200).percent(3)``."""
        return self * (Fraction(str(rate)) / 100)

    def allocate(self, ratios: Sequence[int]) -> List["Money"]:
        """Split proportionally to ``ratios``; leftover units go to the first parts."""
        if not ratios or any(r < 0 for r in ratios) or sum(ratios) == 0:
            raise ValueError("ratios must be non-negative and not all zero")
        total = sum(ratios)
        shares = [self._minor * ratio // total for ratio in ratios]
        remainder = self._minor - sum(shares)
        index = 0
        while remainder > 0:
            shares[index % len(shares)] += 1
            remainder -= 1
            index += 1
        return [Money(share, self._currency) for share in shares]

    def split(self, parts: int) -> List["Money"]:
        """Split into ``parts`` nearly equal amounts."""
        if parts < 1:
            raise ValueError("parts must be at least 1")
        return self.allocate([1] * parts)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self._minor == other._minor and self._currency == other._currency

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self._minor < self._check(other)._minor

    def __hash__(self) -> int:
        return hash((self._minor, self._currency))

    def __str__(self) -> str:
        digits = self.digits_for(self._currency)
        sign = "-" if self._minor < 0 else ""
        whole, frac = divmod(abs(self._minor), 10 ** digits)
        if digits == 0:
            return f"{sign}{whole:,} {self._currency}"
        return f"{sign}{whole:,}.{frac:0{digits}d} {self._currency}"

    def __repr__(self) -> str:
        return f"Money({self._minor}, {self._currency!r})"


def total(amounts: Iterable[Money], currency: str = "USD") -> Money:
    """Sum ``amounts``; an empty iterable gives zero in ``currency``."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result
