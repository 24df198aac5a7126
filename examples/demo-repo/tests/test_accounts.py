from fractions import Fraction

import pytest

from minibank import (
    Account,
    AccountError,
    AccountFrozen,
    CheckingAccount,
    InsufficientFunds,
    Money,
    SavingsAccount,
)

# Valid account numbers (the last digit is the check digit).
CHECKING_NUMBER, SAVINGS_NUMBER, OTHER_NUMBER = "12345674", "76543218", "10000002"


@pytest.mark.parametrize("number", ["12345675", "1234567", "1234567a", "123456740", ""])
def test_invalid_account_numbers_are_refused(number):
    with pytest.raises(ValueError, match="invalid account number"):
        Account(number, "Nobody")


def test_new_account_is_empty():
    account = Account(OTHER_NUMBER, "Linus", "EUR")
    assert account.balance == Money.zero("EUR")
    assert account.history == [] and not account.frozen
    assert (account.number, account.owner, account.kind) == (OTHER_NUMBER, "Linus", "basic")


def test_deposit_and_withdraw_update_balance_and_history(usd):
    account = Account(OTHER_NUMBER, "Linus")
    assert account.deposit(usd("100.00")) == usd("100.00")
    assert account.withdraw(usd("30.25")) == usd("69.75")
    assert account.history == [("deposit", usd("100.00")), ("withdrawal", usd("-30.25"))]


@pytest.mark.parametrize("amount", [Money(0), Money(-100), Money(100, "EUR")])
def test_deposit_refuses_bad_amounts(amount):
    account = Account(OTHER_NUMBER, "Linus")
    with pytest.raises(AccountError):
        account.deposit(amount)
    assert account.history == []


def test_withdraw_whole_balance_but_not_more(usd):
    account = Account(OTHER_NUMBER, "Linus")
    account.deposit(usd("50"))
    with pytest.raises(InsufficientFunds):
        account.withdraw(usd("50.01"))
    assert account.balance == usd("50")
    account.withdraw(usd("50"))
    assert account.balance.is_zero()


def test_can_withdraw(usd):
    account = Account(OTHER_NUMBER, "Linus")
    account.deposit(usd("10"))
    assert account.can_withdraw(usd("10"))
    assert not account.can_withdraw(usd("10.01"))
    assert not account.can_withdraw(Money(0))
    account.freeze()
    assert not account.can_withdraw(usd("1"))


def test_frozen_account_refuses_everything_until_unfrozen(usd):
    account = Account(OTHER_NUMBER, "Linus")
    account.deposit(usd("10"))
    account.freeze()
    with pytest.raises(AccountFrozen):
        account.deposit(usd("1"))
    with pytest.raises(AccountFrozen):
        account.withdraw(usd("1"))
    account.unfreeze()
    assert account.withdraw(usd("1")) == usd("9")


def test_transfer_moves_money(usd, checking, savings):
    savings.transfer_to(checking, usd("250"))
    assert savings.balance == usd("750")
    assert checking.balance == usd("250")


def test_transfer_to_frozen_account_is_reversed(usd, checking, savings):
    checking.freeze()
    with pytest.raises(AccountFrozen):
        savings.transfer_to(checking, usd("250"))
    assert savings.balance == usd("1000")
    assert checking.balance.is_zero()
    assert [kind for kind, _ in savings.history] == ["deposit", "withdrawal", "reversal"]


def test_totals_by_kind(usd):
    account = Account(OTHER_NUMBER, "Linus")
    for text in ("10", "20", "5"):
        account.deposit(usd(text))
    account.withdraw(usd("7"))
    assert account.totals_by_kind() == {"deposit": usd("35"), "withdrawal": usd("-7")}


def test_basic_month_end_changes_nothing(usd):
    account = Account(OTHER_NUMBER, "Linus")
    account.deposit(usd("10"))
    assert account.month_end() == Money.zero()
    assert account.balance == usd("10") and len(account.history) == 1


def test_subclasses():
    assert issubclass(SavingsAccount, Account) and issubclass(CheckingAccount, Account)
    assert (SavingsAccount.kind, CheckingAccount.kind) == ("savings", "checking")
    assert issubclass(InsufficientFunds, AccountError) and issubclass(AccountFrozen, AccountError)


def test_savings_monthly_interest(usd, savings):
    assert savings.monthly_interest() == usd("5.00")
    assert savings.month_end() == usd("5.00")
    assert savings.balance == usd("1005.00")
    assert savings.history[-1] == ("interest", usd("5.00"))


def test_savings_interest_rounds_to_the_cent(usd):
    account = SavingsAccount(OTHER_NUMBER, "Linus")
    account.deposit(usd("1234.56"))
    # 1234.56 * 0.02 / 12 = 2.0576
    assert account.monthly_interest() == usd("2.06")


def test_savings_without_balance_earns_nothing():
    account = SavingsAccount(OTHER_NUMBER, "Linus", annual_rate=0.05)
    assert account.month_end() == Money.zero()
    assert account.history == []


@pytest.mark.parametrize("rate, ok", [(-0.01, False), (0.0, True), (0.99, True), (1.0, False)])
def test_savings_rate_validation(rate, ok):
    if ok:
        assert SavingsAccount(OTHER_NUMBER, "Linus", annual_rate=rate).annual_rate == Fraction(repr(rate))
    else:
        with pytest.raises(ValueError):
            SavingsAccount(OTHER_NUMBER, "Linus", annual_rate=rate)


@pytest.mark.parametrize("limit, ok", [(-1, False), (0, True), (31, True), (32, False)])
def test_savings_withdrawal_limit_validation(limit, ok):
    if ok:
        assert SavingsAccount(OTHER_NUMBER, "Linus", max_withdrawals=limit).max_withdrawals == limit
    else:
        with pytest.raises(ValueError, match="max_withdrawals"):
            SavingsAccount(OTHER_NUMBER, "Linus", max_withdrawals=limit)


def test_savings_withdrawal_limit_resets_at_month_end(usd, savings):
    assert savings.withdraw(usd("10")) == usd("990")
    for _ in range(2):
        savings.withdraw(usd("10"))
    assert savings.withdrawals_this_month == 3
    with pytest.raises(AccountError, match="limit"):
        savings.withdraw(usd("10"))
    assert savings.balance == usd("970")
    savings.month_end()
    assert savings.withdrawals_this_month == 0
    savings.withdraw(usd("10"))


def test_failed_savings_withdrawal_does_not_count(usd, savings):
    with pytest.raises(InsufficientFunds):
        savings.withdraw(usd("5000"))
    assert savings.withdrawals_this_month == 0


def test_checking_overdraft(usd, checking):
    checking.deposit(usd("20"))
    assert checking.available() == usd("120")
    assert not checking.is_overdrawn()
    checking.withdraw(usd("120"))
    assert checking.balance == usd("-100")
    assert checking.is_overdrawn()
    with pytest.raises(InsufficientFunds):
        checking.withdraw(usd("0.01"))


def test_checking_counts_only_customer_transactions(usd, checking):
    checking.deposit(usd("20"))
    checking.withdraw(usd("5"))
    assert checking.transactions_this_month == 2
    checking.month_end()
    assert checking.transactions_this_month == 0
    assert checking.history[-1][0] == "fee"


def test_checking_month_end_charges_overdraft_and_maintenance(usd, checking):
    checking.withdraw(usd("60"))
    assert checking.month_end() == usd("-20.00")
    assert checking.balance == usd("-80.00")
    # The fees pushed the balance further down but within the limit: 15 + 5 again.
    assert checking.month_end() == usd("-20.00")


def test_student_checking_in_credit_pays_nothing(usd):
    account = CheckingAccount(CHECKING_NUMBER, "Ada", student=True)
    account.deposit(usd("10"))
    assert account.month_end() == Money.zero()
    assert account.history == [("deposit", usd("10"))]


def test_rich_checking_pays_nothing(usd):
    account = CheckingAccount(SAVINGS_NUMBER, "Grace")
    account.deposit(usd("1500"))
    assert account.month_end().is_zero()
    assert account.balance == usd("1500")
