#!/usr/bin/env python3
"""What the warehouse's fact_sales must hold after the demo pipeline loaded a range of days,
recomputed from the landing files alone (Python 3.11 standard library, `decimal` for money; no
code of the pipeline is imported).

    python3 tests/calendar/expected_from_landing.py --landing .demo/landing [--from D --to D] [--facts]

prints one JSON object: the days read, the expected fact row count, revenue (sum of total_amount)
per transaction date (UTC) and in total, the latest version of every transaction delivered on
more than one day, and per day the rows rejected and duplicates dropped. `--facts` adds every
expected fact row. As a module: `expected_from_landing(landing, days)` returns the same as a dict.

The rules, from config/demo_config.yaml (standardize.entities.sales_transactions) and the README's
"Standardize and mask", written here on their own:

- Each day's file is <landing>/dt=<ds>/sales_transactions*.csv (CSV with a header line).
- A value is trimmed; an empty value is missing. A row is rejected when a required column is
  missing (transaction_id, customer_id, product_id, location_id, quantity, unit_price,
  total_amount, transaction_timestamp), when quantity is not a whole number (32-bit), when a money
  column or discount is not a number, unit_price < 0, discount outside 0..1, or when
  transaction_timestamp is not an ISO 8601 time (YYYY-MM-DD, then T or a space, HH:MM, optional
  :SS and fraction, optional Z or +HH:MM; a real date and time, years 1000 to 9999; no zone means UTC).
- Within a day, rows that share a transaction_id are one transaction: the one with the latest
  transaction_timestamp is kept (the first of equal ones).
- Across days, the fact row of a transaction is the version of the newest ds that delivered it
  (facts merge on their grain, transaction_id).
- The fact's total_amount is the derived measure round(quantity * unit_price * (1 - discount) +
  tax_amount, 2) (half away from zero); the source total is checked against it and differences
  are counted in total_mismatches.
- More than 5% of a day's rows rejected (standardize.reject_tolerance) fails that day's run: the
  day is listed under failing_days.
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

REQUIRED = ("transaction_id", "customer_id", "product_id", "location_id", "quantity", "unit_price", "total_amount", "transaction_timestamp")
REJECT_TOLERANCE = Decimal("0.05")
CENT = Decimal("0.01")
# Declared scale of each decimal column (decimal(p,s)) and its limit 10^(p-s).
DECIMALS = {"unit_price": (2, Decimal(10) ** 10), "discount": (4, Decimal(10)), "tax_amount": (2, Decimal(10) ** 10), "total_amount": (2, Decimal(10) ** 12)}
INT = re.compile(r"^[+-]?\d+$")
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
TIMESTAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Fact:
    """One expected fact row: the version a day delivered."""

    transaction_id: str
    ds: str
    customer_id: str
    product_id: str
    location_id: str
    quantity: int
    unit_price: Decimal
    discount: Decimal | None
    tax_amount: Decimal | None
    total_amount: Decimal
    source_total_amount: Decimal
    timestamp: datetime

    def as_json(self) -> dict:
        return {
            "ds": self.ds,
            "customer_id": self.customer_id,
            "product_id": self.product_id,
            "location_id": self.location_id,
            "quantity": self.quantity,
            "unit_price": str(self.unit_price),
            "discount": None if self.discount is None else str(self.discount),
            "tax_amount": None if self.tax_amount is None else str(self.tax_amount),
            "total_amount": str(self.total_amount),
            "transaction_date": self.timestamp.date().isoformat(),
            "transaction_timestamp": self.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }


def parse_timestamp(text: str) -> datetime | None:
    """The UTC time of ISO 8601 text, or None when it is not a real time of years 1000 to 9999."""
    m = TIMESTAMP.match(text)
    if not m:
        return None
    y, mo, d, h, mi, s = (int(g) if g else 0 for g in m.groups()[:6])
    fraction = m.group(7) or ""
    try:
        t = datetime(y, mo, d, h, mi, s, int(round(float(fraction or "0") * 1_000_000)) if fraction else 0, tzinfo=timezone.utc)
    except ValueError:
        return None
    zone = m.group(8)
    if zone and zone.upper() != "Z":
        z = re.match(r"([+-])(\d{2}):?(\d{2})", zone)
        sign = -1 if z.group(1) == "-" else 1
        t -= sign * timedelta(hours=int(z.group(2)), minutes=int(z.group(3)))
    if not 1000 <= t.year <= 9999:
        return None
    return t


def parse_decimal(column: str, text: str) -> Decimal | None:
    """The value at its declared scale, or None when it is not a number or out of range."""
    if not NUMBER.match(text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    scale, limit = DECIMALS[column]
    value = value.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    return None if abs(value) >= limit else value


def parse_row(ds: str, row: dict[str, str]) -> tuple[Fact | None, str | None]:
    """The row as a fact version, or the reason standardize rejects it."""
    v = {k: (row.get(k) or "").strip() for k in ("transaction_id", "customer_id", "product_id", "location_id", "quantity", "unit_price", "discount", "tax_amount", "total_amount", "transaction_timestamp")}
    for column in REQUIRED:
        if v[column] == "":
            return None, f"{column}: required value is missing"
    if not INT.match(v["quantity"]) or not -(2**31) <= int(v["quantity"]) < 2**31:
        return None, f'quantity: "{v["quantity"]}" is not an integer'
    money: dict[str, Decimal | None] = {}
    for column in DECIMALS:
        if v[column] == "":
            money[column] = None
            continue
        money[column] = parse_decimal(column, v[column])
        if money[column] is None:
            return None, f'{column}: "{v[column]}" is not a number in range'
    if money["unit_price"] < 0:
        return None, "unit_price: below 0"
    if money["discount"] is not None and not 0 <= money["discount"] <= 1:
        return None, "discount: outside 0..1"
    ts = parse_timestamp(v["transaction_timestamp"])
    if ts is None:
        return None, f'transaction_timestamp: "{v["transaction_timestamp"]}" is not a timestamp'
    quantity = int(v["quantity"])
    gross = quantity * money["unit_price"] * (1 - (money["discount"] or 0))
    derived = (gross + (money["tax_amount"] or 0)).quantize(CENT, rounding=ROUND_HALF_UP)
    fact = Fact(v["transaction_id"], ds, v["customer_id"], v["product_id"], v["location_id"], quantity, money["unit_price"], money["discount"], money["tax_amount"], derived, money["total_amount"], ts)
    return fact, None


def read_day(landing: Path, ds: str) -> tuple[dict[str, Fact], dict]:
    """The transactions a day's files deliver after standardize's rules, and what it dropped."""
    folder = landing / f"dt={ds}"
    files = sorted(folder.glob("sales_transactions*.csv"))
    if not files:
        raise FileNotFoundError(f"{folder}: no sales_transactions*.csv landed for ds {ds}")
    kept: dict[str, Fact] = {}
    rows = rejected = duplicates = 0
    for path in files:
        with path.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                rows += 1
                fact, reason = parse_row(ds, row)
                if fact is None:
                    rejected += 1
                    continue
                before = kept.get(fact.transaction_id)
                if before is not None:
                    duplicates += 1
                    if fact.timestamp <= before.timestamp:
                        continue
                kept[fact.transaction_id] = fact
    stats = {"rows": rows, "rejected": rejected, "duplicates": duplicates, "fails": rows > 0 and Decimal(rejected) / rows > REJECT_TOLERANCE}
    return kept, stats


def days_in(landing: Path, first: str | None, last: str | None) -> list[str]:
    """The days to read: first to last (both included), or every dt=<ds> folder in the landing."""
    if first and last:
        start, end = date.fromisoformat(first), date.fromisoformat(last)
        if end < start:
            raise ValueError(f"--from {first} is after --to {last}")
        return [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
    return sorted(p.name[3:] for p in landing.glob("dt=*") if p.is_dir())


def expected_from_landing(landing: Path, days: list[str]) -> dict:
    """The expected warehouse after loading `days` (in any order): see the module docstring."""
    facts: dict[str, Fact] = {}
    deliveries: dict[str, list[str]] = {}
    per_day: dict[str, dict] = {}
    for ds in sorted(days):
        kept, stats = read_day(landing, ds)
        per_day[ds] = stats
        for tid, fact in kept.items():
            deliveries.setdefault(tid, []).append(ds)
            facts[tid] = fact  # days ascend: the newest ds's version wins
    revenue_by_date: dict[str, Decimal] = {}
    for fact in facts.values():
        key = fact.timestamp.date().isoformat()
        revenue_by_date[key] = revenue_by_date.get(key, Decimal("0.00")) + fact.total_amount
    corrected = {tid: {**facts[tid].as_json(), "delivered_on": ds_list} for tid, ds_list in sorted(deliveries.items()) if len(ds_list) > 1}
    return {
        "days": sorted(days),
        "row_count": len(facts),
        "revenue_total": str(sum((f.total_amount for f in facts.values()), Decimal("0.00"))),
        "revenue_by_date": {d: str(revenue_by_date[d]) for d in sorted(revenue_by_date)},
        "corrected": corrected,
        "total_mismatches": sum(1 for f in facts.values() if f.total_amount != f.source_total_amount),
        "per_day": {ds: {k: s[k] for k in ("rows", "rejected", "duplicates")} for ds, s in per_day.items()},
        "failing_days": [ds for ds, s in per_day.items() if s["fails"]],
        "facts": {tid: facts[tid].as_json() for tid in sorted(facts)},
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--landing", required=True, type=Path, help="landing folder holding dt=<ds>/ folders")
    parser.add_argument("--from", dest="first", help="first ds, YYYY-MM-DD (with --to); default every dt= folder")
    parser.add_argument("--to", dest="last", help="last ds, YYYY-MM-DD (with --from)")
    parser.add_argument("--facts", action="store_true", help="also print every expected fact row")
    args = parser.parse_args(argv)
    if (args.first is None) != (args.last is None):
        parser.error("give both --from and --to, or neither")
    try:
        result = expected_from_landing(args.landing, days_in(args.landing, args.first, args.last))
    except (FileNotFoundError, ValueError) as e:
        print(f"expected_from_landing: {e}", file=sys.stderr)
        return 2
    if not args.facts:
        del result["facts"]
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
