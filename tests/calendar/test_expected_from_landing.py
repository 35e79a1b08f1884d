"""Unit tests of expected_from_landing.py on small hand-written landing folders (stdlib unittest:
`python3 -m unittest tests/calendar/test_expected_from_landing.py`; demo-range.test.ts runs them)."""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import unittest
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from expected_from_landing import expected_from_landing, parse_timestamp  # noqa: E402

HEADER = "transaction_id,customer_id,product_id,location_id,quantity,unit_price,discount,tax_amount,total_amount,transaction_timestamp\n"


def land(root: Path, ds: str, *lines: str) -> None:
    folder = root / f"dt={ds}"
    folder.mkdir(parents=True)
    (folder / "sales_transactions.csv").write_text(HEADER + "".join(line + "\n" for line in lines))


class ExpectedFromLandingTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def test_newest_day_wins_and_counts_as_corrected(self) -> None:
        land(self.root, "2026-11-20", "T1,C1,P1,L1,2,10.00,0.00,1.60,21.60,2026-11-20T10:00:00Z", "T2,C1,P1,L1,1,10.00,0.10,0.72,9.72,2026-11-20T11:00:00Z")
        land(self.root, "2026-11-21", "T1,C1,P1,L1,3,10.00,0.00,2.40,32.40,2026-11-20T10:00:00Z")
        # Given out of order, the newest ds still wins.
        r = expected_from_landing(self.root, ["2026-11-21", "2026-11-20"])
        self.assertEqual(r["row_count"], 2)
        self.assertEqual(r["revenue_by_date"], {"2026-11-20": "42.12"})
        self.assertEqual(r["revenue_total"], "42.12")
        self.assertEqual(list(r["corrected"]), ["T1"])
        self.assertEqual(r["corrected"]["T1"]["delivered_on"], ["2026-11-20", "2026-11-21"])
        self.assertEqual((r["facts"]["T1"]["ds"], r["facts"]["T1"]["quantity"]), ("2026-11-21", 3))

    def test_rejects_what_standardize_rejects_and_keeps_one_duplicate(self) -> None:
        land(
            self.root,
            "2026-11-20",
            "T1,C1,P1,L1,two,10.00,0.00,1.60,21.60,2026-11-20T10:00:00Z",
            "T2,C1,P1,L1,1,10.00,0.00,0.80,10.80,2026-13-45 25:61",
            "T3,C1,P1,L1,1,10.00,0.00,0.80,10.80,2026-11-20T12:00:00Z",
            "T3,C1,P1,L1,1,10.00,0.00,0.80,10.80,2026-11-20T12:00:00Z",
            "T4,,P1,L1,1,10.00,0.00,0.80,10.80,2026-11-20T12:00:00Z",
            "T5,C1,P1,L1,1,-1.00,0.00,0.80,10.80,2026-11-20T12:00:00Z",
            "T6,C1,P1,L1,1,10.00,1.50,0.80,10.80,2026-11-20T12:00:00Z",
            "  T7 ,C1,P1,L1, 1 ,10.00,,,10.00,2026-11-20 23:30",
        )
        r = expected_from_landing(self.root, ["2026-11-20"])
        self.assertEqual(sorted(r["facts"]), ["T3", "T7"])
        self.assertEqual(r["per_day"]["2026-11-20"], {"rows": 8, "rejected": 5, "duplicates": 1})
        self.assertEqual(r["failing_days"], ["2026-11-20"])

    def test_total_is_the_derived_measure_and_differences_are_counted(self) -> None:
        # 3 * 0.35 * 0.95 = 0.9975 gross; tax 0.0798 -> 0.08; total 1.0775 -> 1.08 (half away from zero).
        land(self.root, "2026-11-20", "T1,C1,P1,L1,3,0.35,0.05,0.08,9.99,2026-11-20T10:00:00Z")
        r = expected_from_landing(self.root, ["2026-11-20"])
        self.assertEqual((r["facts"]["T1"]["total_amount"], r["total_mismatches"]), ("1.08", 1))

    def test_reads_timestamps_as_iso_8601_in_utc(self) -> None:
        self.assertEqual(parse_timestamp("2026-11-20T23:30:00-02:00").isoformat(), "2026-11-21T01:30:00+00:00")
        self.assertEqual(parse_timestamp("2026-11-20").isoformat(), "2026-11-20T00:00:00+00:00")
        for bad in ("2026-02-30T00:00:00Z", "0999-01-01T00:00:00Z", "2026-11-20T24:00:00Z", "yesterday"):
            self.assertIsNone(parse_timestamp(bad), bad)

    def test_cli_prints_json_and_names_a_missing_day(self) -> None:
        land(self.root, "2026-11-20", "T1,C1,P1,L1,1,10.00,0.00,0.80,10.80,2026-11-20T10:00:00Z")
        script = str(Path(__file__).resolve().parent / "expected_from_landing.py")
        ok = subprocess.run([sys.executable, script, "--landing", str(self.root)], capture_output=True, text=True, check=True)
        self.assertEqual(json.loads(ok.stdout)["revenue_total"], "10.80")
        self.assertNotIn("facts", json.loads(ok.stdout))
        missing = subprocess.run([sys.executable, script, "--landing", str(self.root), "--from", "2026-11-20", "--to", "2026-11-21"], capture_output=True, text=True)
        self.assertEqual(missing.returncode, 2)
        self.assertIn("dt=2026-11-21", missing.stderr)


if __name__ == "__main__":
    unittest.main()
