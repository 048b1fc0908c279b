"""FX: exact integer conversion SQL on both databases, rates set/imported/listed, the day-rate table."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from soleflip_cli.errors import UsageError
from soleflip_cli.services import fx

CASES = [
    (4500, 108423456, 2),  # 45.00 EUR at 1.08423456
    (-1999, 108423456, 2),  # a credit
    (1005, 110000000, 2),  # 10.05 x 1.1 = 11.055: a tie, rounded away from zero
    (-1005, 110000000, 2),
    (99_999_999_99, 1_600_000_000_000, 2),  # 999,999,999.99 USD -> IDR-sized rate, no 64-bit overflow
    (25_000_00, 15_012_345_678, 0),  # USD -> JPY
    (-25_000_00, 15_012_345_678, 0),
    (1234567, 30712345, 3),  # -> KWD
    (4500, -108423456, 2),  # inverse: divide by 1.08423456
    (-4500, -108423456, 2),
    (2_000_000_00, -15_012_345_678, 2),  # JPY -> USD through the USD->JPY rate
    (1, -300_000_000, 0),
]


def _expected(cents: int, rate: int, digits: int) -> int:
    with localcontext() as ctx:
        ctx.prec = 60
        if rate > 0:
            value = Decimal(cents) * rate * Decimal(10) ** digits / Decimal(10) ** 10
        else:
            value = Decimal(cents) * Decimal(10) ** (6 + digits) / -rate
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize(("cents", "rate", "digits"), CASES)
def test_convert_sql_is_exact(session: Session, cents: int, rate: int, digits: int) -> None:
    sql = fx.convert_sql("CAST(:c AS BIGINT)", "CAST(:r AS BIGINT)", digits)
    got = session.execute(text(f"SELECT {sql}"), {"c": cents, "r": rate}).scalar()
    assert int(got) == _expected(cents, rate, digits)


def test_set_import_and_list(session: Session, tmp_path: Path) -> None:
    fx.set_rate(session, "eur", "usd", fx.parse_rate("1.084234567"), date(2024, 3, 1))
    assert fx.list_rates(session)[0].rate == Decimal("1.08423457")  # 8 places, half up
    file = tmp_path / "r.csv"
    file.write_text(
        "\ufeffdate,base,quote,rate,source note\n2024-03-01,EUR,USD,1.08423457,x\n2024-03-02,EUR,USD,1.09,\n"
    )
    result = fx.import_rates(session, file)
    assert (result.rows, result.inserted, result.updated, result.unchanged) == (2, 1, 0, 1)
    assert [r.rate_date for r in fx.list_rates(session, base="EUR", quote="USD", start=date(2024, 3, 2))] == [
        date(2024, 3, 2)
    ]
    assert len(fx.list_rates(session, quote="USD")) == 2
    for bad, message in [
        ("date,base,quote\n", "missing column"),
        ("date,base,quote,rate\n2024-13-01,EUR,USD,1\n", "line 2"),
        ("date,base,quote,rate\n2024-01-01,EUR,XYZ,1\n", "unknown currency"),
        ("date,base,quote,rate\n2024-01-01,EUR,USD,0\n", "not a rate"),
    ]:
        file.write_text(bad)
        with pytest.raises(UsageError, match=message):
            fx.import_rates(session, file)


def test_day_rates_fill_gaps_and_prefer_the_pair_itself(session: Session) -> None:
    fx.set_rate(session, "USD", "EUR", Decimal("0.5"), date(2024, 1, 1))  # inverse only at first
    fx.set_rate(session, "EUR", "USD", Decimal("1.1"), date(2024, 1, 3))  # then the pair itself
    with fx.day_rates(session, "USD", date(2023, 12, 31), date(2024, 1, 4)) as table:
        rows = session.execute(
            text(f"SELECT day, rate FROM {table} WHERE currency = 'EUR' ORDER BY day")
        ).all()
    days = [(str(d)[:10], int(r)) for d, r in rows]
    assert days == [
        ("2024-01-01", -50_000_000),
        ("2024-01-02", -50_000_000),
        ("2024-01-03", 110_000_000),
        ("2024-01-04", 110_000_000),
    ]
