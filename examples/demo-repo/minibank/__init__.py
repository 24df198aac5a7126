"""minibank: a tiny, dependency-free ledger and bank-account toolkit."""

from .accounts import Account, AccountError, AccountFrozen, CheckingAccount, InsufficientFunds, SavingsAccount
from .ledger import Ledger, Transaction, import_batch
from .money import CurrencyMismatch, Money, total
from .parser import ParseError, load_file, parse_amount, parse_line, parse_lines

__version__ = "0.3.0"
