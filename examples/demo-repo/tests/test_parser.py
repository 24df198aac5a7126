import pytest

from minibank import Ledger, Money, ParseError, load_file, parse_amount, parse_line, parse_lines
from minibank.parser import atomic_import, is_leap_year, parse_date, split_fields

SAMPLE = """\
date,description,amount,category
2024-01-03,Salary,"2,500.00",income
# rent is paid on the 5th

2024-01-05,Rent,(1200),housing
2024-01-09,"Groceries, weekly",-85.40
2024-02-30,Bad date,1.00,misc
2024-02-01,Bad amount,12..5,misc
"""


@pytest.mark.parametrize(
    "text, minor",
    [
        ("1,234.50", 123450),
        ("$12", 1200),
        ("-3.5", -350),
        ("(7.25)", -725),
        ("($1,000)", -100000),
        ("(5)", -500),
        pytest.param(" 0.01 ", 1, id="padded"),
    ],
)
def test_parse_amount(text, minor):
    assert parse_amount(text) == Money(minor)


@pytest.mark.parametrize("text", ["abc", "()", "(", "1.2.3", ""])
def test_parse_amount_rejects_garbage(text):
    with pytest.raises(ParseError, match="bad amount"):
        parse_amount(text)


def test_parse_amount_in_other_currency():
    assert parse_amount("1,500", "JPY") == Money(1500, "JPY")


@pytest.mark.parametrize(
    "year, leap", [(2024, True), (2023, False), (1900, False), (2000, True), (2100, False)]
)
def test_is_leap_year(year, leap):
    assert is_leap_year(year) is leap


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024-2-29", "2024-02-29"),
        ("2023-12-31", "2023-12-31"),
        pytest.param(" 2023-01-01 ", "2023-01-01", id="padded"),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2023-02-29",
        "2024-13-01",
        "2024-00-10",
        "2024-04-31",
        "2024-04-00",
        "24-01-01",
        "2024/01/01",
        "2024-aa-01",
    ],
)
def test_parse_date_rejects_invalid(text):
    with pytest.raises(ParseError):
        parse_date(text)


@pytest.mark.parametrize(
    "month, last_day",
    [(1, 31), (2, 28), (3, 31), (4, 30), (5, 31), (6, 30),
     (7, 31), (8, 31), (9, 30), (10, 31), (11, 30), (12, 31)],
)
def test_parse_date_month_lengths(month, last_day):
    assert parse_date(f"2023-{month}-{last_day}") == f"2023-{month:02d}-{last_day}"
    with pytest.raises(ParseError, match="day out of range"):
        parse_date(f"2023-{month}-{last_day + 1}")


@pytest.mark.parametrize(
    "line, sep, fields",
    [
        ("a,b,c", ",", ["a", "b", "c"]),
        (' a , "x, y" ,z', ",", ["a", "x, y", "z"]),
        ('"say ""hi""",1', ",", ['say "hi"', "1"]),
        ('""', ",", [""]),
        ("a,", ",", ["a", ""]),
        ("a;b,c", ";", ["a", "b,c"]),
    ],
    ids=["plain", "quoted-comma", "escaped-quote", "empty-quoted", "trailing-sep", "semicolon"],
)
def test_split_fields(line, sep, fields):
    assert split_fields(line, sep) == fields


def test_split_fields_unterminated_quote():
    with pytest.raises(ParseError, match="unterminated"):
        split_fields('a,"b')


@pytest.mark.parametrize("description", ["a b", "[x]", "x::y"])
def test_parse_line_keeps_description(description):
    line = f'2024-01-03,"{description}",1.00,misc'
    assert parse_line(line) == ("2024-01-03", description, Money(100), "misc")


def test_parse_line_defaults_category():
    assert parse_line("2024-1-3,Coffee,-3")[3] == "misc"
    assert parse_line("2024-1-3,Coffee,-3,")[3] == "misc"
    assert parse_line("2024-1-3,Coffee,-3,food") == ("2024-01-03", "Coffee", Money(-300), "food")


@pytest.mark.parametrize(
    "line, message",
    [
        ("2024-01-03,Coffee", "line 7: expected 3 or 4 fields, got 2"),
        ("2024-01-03,a,1,b,c", "line 7: expected 3 or 4 fields, got 5"),
        ("2024-01-03,,1", "line 7: empty description"),
        ("2024-01-32,Coffee,1", "line 7: day out of range"),
        ("2024-01-03,Coffee,one", "line 7: bad amount"),
        ('2024-01-03,"Coffee,1', "line 7: unterminated quote"),
    ],
    ids=["too-few", "too-many", "no-description", "bad-day", "bad-amount", "open-quote"],
)
def test_parse_line_errors_carry_line_number(line, message):
    with pytest.raises(ParseError) as info:
        parse_line(line, 7)
    assert str(info.value).startswith(message)
    assert info.value.line_no == 7


def test_parse_error_without_line_number():
    error = ParseError("boom")
    assert str(error) == "boom" and error.line_no is None


def test_parse_lines_collects_errors():
    records, errors = parse_lines(SAMPLE.splitlines())
    assert [record[1] for record in records] == ["Salary", "Rent", "Groceries, weekly"]
    assert records[1][2] == Money(-120000)
    assert [error.line_no for error in errors] == [7, 8]


def test_parse_lines_only_skips_header_on_first_line():
    records, errors = parse_lines(["2024-01-01,x,1", "date,description,amount"])
    assert len(records) == 1 and errors[0].line_no == 2


def test_parse_lines_strict_raises_first_error():
    with pytest.raises(ParseError) as info:
        parse_lines(SAMPLE.splitlines(), strict=True)
    assert info.value.line_no == 7


def test_load_file(tmp_path):
    path = tmp_path / "january.csv"
    path.write_text(SAMPLE, encoding="utf-8")
    book = Ledger()
    errors = load_file(path, book)
    assert len(errors) == 2
    assert [entry.category for entry in book] == ["income", "housing", "misc"]
    assert book.balance() == Money(250000 - 120000 - 8540)


def test_load_file_strict_leaves_ledger_untouched(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(SAMPLE, encoding="utf-8")
    book = Ledger()
    with pytest.raises(ParseError):
        load_file(str(path), book, strict=True)
    assert len(book) == 0


def test_load_file_is_atomic(tmp_path, ledger):
    path = tmp_path / "zero.csv"
    path.write_text("2024-03-01,Fine,5\n2024-03-02,Zero,0.00\n", encoding="utf-8")
    with pytest.raises(ValueError, match="zero"):
        load_file(path, ledger)
    assert len(ledger) == 6


def test_atomic_import_keeps_records_on_success(ledger):
    with atomic_import(ledger) as target:
        target.record("2024-03-01", "Kept", Money(1))
    assert len(ledger) == 7
    with pytest.raises(RuntimeError):
        with atomic_import(ledger) as target:
            target.record("2024-03-02", "Dropped", Money(1))
            raise RuntimeError("abort")
    assert [entry.description for entry in ledger][-1] == "Kept"
