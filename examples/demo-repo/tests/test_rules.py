import pytest

from minibank import Account, CheckingAccount, Money
from minibank import rules

CHECKING_NUMBER, OTHER_NUMBER = "12345674", "10000002"


@pytest.mark.parametrize(
    "balance, fee",
    [("10.00", 0), ("0", 0), ("-50.00", 1500), ("-100.00", 1500), ("-100.01", 3500)],
)
def test_overdraft_fee(balance, fee):
    assert rules.overdraft_fee(Money.of(balance), Money.of("100")) == Money(fee)


@pytest.mark.parametrize(
    "balance, transactions, student, fee",
    [
        ("0", 0, True, 0),
        ("1500.00", 0, False, 0),
        ("1499.99", 0, False, 500),
        ("500.00", 10, False, 0),
        ("500.00", 9, False, 500),
        ("499.99", 10, False, 500),
        ("100.00", 21, False, 250),
        ("100.00", 20, False, 500),
    ],
)
def test_maintenance_fee(balance, transactions, student, fee):
    assert rules.maintenance_fee(Money.of(balance), transactions, student) == Money(fee)


@pytest.mark.parametrize(
    "amount, home, premium, fee",
    [
        (Money(10000, "EUR"), "EUR", False, Money(0, "EUR")),
        (Money(10000, "EUR"), "USD", True, Money(0, "EUR")),
        (Money(1000, "EUR"), "USD", False, Money(100, "EUR")),
        (Money(10000, "EUR"), "USD", False, Money(300, "EUR")),
        (Money(-10000, "GBP"), "USD", False, Money(300, "GBP")),
    ],
)
def test_foreign_fee(amount, home, premium, fee):
    assert rules.foreign_fee(amount, home, premium) == fee


def test_fee_rules_are_registered_and_wrapped():
    assert {"overdraft", "maintenance", "foreign"} <= set(rules.FEE_RULES)
    assert rules.FEE_RULES["overdraft"] is rules.overdraft_fee
    assert rules.overdraft_fee.__name__ == "overdraft_fee"


@pytest.fixture
def bogus_rule():
    @rules.fee_rule("bogus")
    def bogus(amount):
        return -amount

    yield bogus
    del rules.FEE_RULES["bogus"]


def test_negative_fee_is_refused(bogus_rule):
    assert bogus_rule(Money(-5)) == Money(5)
    with pytest.raises(ValueError, match="negative fee"):
        bogus_rule(Money(5))


def test_total_fees():
    requests = [
        ("overdraft", (Money(-1000), Money(5000))),
        ("maintenance", (Money(0), 3)),
        ("foreign", (Money(20000), "EUR")),
    ]
    assert rules.total_fees(requests) == Money(1500 + 500 + 600)
    assert rules.total_fees([], "JPY") == Money(0, "JPY")
    with pytest.raises(KeyError, match="nope"):
        rules.total_fees([("nope", ())])


@pytest.mark.parametrize("body, digit", [("1234567", 4), ("7654321", 8), ("0000000", 0), ("0000001", 2)])
def test_check_digit(body, digit):
    assert rules.check_digit(body) == digit


@pytest.mark.parametrize(
    "number, valid",
    [("12345674", True), ("00000000", True), ("12345670", False), ("1234567", False), ("1234567x", False)],
)
def test_is_valid_account_number(number, valid):
    assert rules.is_valid_account_number(number) is valid


@pytest.mark.parametrize(
    "amount, country, new_customer, hour, level",
    [
        ("10000.00", "XA", True, 12, "block"),
        ("10000.00", "xq", True, 12, "block"),
        ("10000.00", "XA", False, 12, "high"),
        ("10000.00", "DE", True, 12, "high"),
        ("9999.99", "XZ", True, 12, "high"),
        ("9999.99", "XZ", False, 12, "medium"),
        ("100.00", "XZ", False, 12, "low"),
        ("50.00", "DE", False, 0, "medium"),
        ("50.00", "DE", False, 5, "medium"),
        ("50.00", "DE", False, 6, "low"),
        ("2500.01", "DE", False, 23, "medium"),
        ("2500.00", "DE", True, 23, "low"),
    ],
)
def test_classify_risk(amount, country, new_customer, hour, level):
    assert rules.classify_risk(Money.of(amount), country, new_customer, hour) == level


@pytest.mark.parametrize("hour", [-1, 24])
def test_classify_risk_rejects_bad_hours(hour):
    with pytest.raises(ValueError):
        rules.classify_risk(Money(1), "DE", False, hour)


@pytest.mark.parametrize(
    "spent, amount, allowed",
    [("0", "100", True), ("60", "40", True), ("60", "40.01", False), ("0", "0", False), ("0", "-5", False)],
)
def test_within_daily_limit(spent, amount, allowed):
    assert rules.within_daily_limit(Money.of(spent), Money.of(amount), Money.of("100")) is allowed


def test_transfer_problems(usd):
    source = Account(OTHER_NUMBER, "Linus")
    source.deposit(usd("50"))
    target = CheckingAccount(CHECKING_NUMBER, "Ada")
    assert rules.transfer_problems(source, target, usd("50")) == []
    assert rules.transfer_problems(source, target, usd("50.01")) == ["insufficient funds"]
    assert rules.transfer_problems(source, target, usd("0")) == ["non-positive amount"]
    assert rules.transfer_problems(source, source, usd("1")) == ["same account"]
    assert rules.transfer_problems(source, target, Money(100, "EUR")) == ["currency mismatch"]
    target.freeze()
    assert rules.transfer_problems(source, target, usd("1")) == ["frozen account"]
    target.unfreeze()
    source.freeze()
    assert rules.transfer_problems(source, target, usd("100")) == ["frozen account"]


def test_transfer_problems_currency_checked_on_both_sides(usd):
    source = Account(OTHER_NUMBER, "Linus")
    target = Account(CHECKING_NUMBER, "Ada", "EUR")
    assert rules.transfer_problems(source, target, usd("1")) == ["currency mismatch"]
