"""What every peer engine does, stated once: the demo config's declared schemas, masking rules
and checks, as plain Python the peers call. The peers must do the same work as our steps, so
these follow tasks/standardize, libs/masking and config/demo_config.yaml; bench/check_outputs.py
compares their outputs with ours, which catches a drift here."""
import base64
import hashlib
import hmac
import json
import os
import re
import sys
import time

DS = "2026-11-26"
# The demo config's public mask key (config/demo_config.yaml: mask.hmac_key default).
HMAC_KEY = os.environ.get("MASK_HMAC_KEY", "demo-only-key-not-secret-0123456789").encode()
# Tokens come from a key of their own (mask.tokenize_key), so a holder of the hmac key cannot recompute them.
TOKENIZE_KEY = os.environ.get("MASK_TOKENIZE_KEY", "demo-only-tokenize-key-not-secret-42").encode()

TX_COLUMNS = ["transaction_id", "customer_id", "product_id", "location_id", "quantity", "unit_price",
              "discount", "tax_amount", "total_amount", "transaction_timestamp"]
CUSTOMER_COLUMNS = ["customer_id", "first_name", "last_name", "email", "phone", "address", "city",
                    "state", "zip_code", "country"]
PRODUCT_COLUMNS = ["product_id", "product_name", "category", "subcategory", "brand", "unit_cost", "unit_price"]
LOCATION_COLUMNS = ["location_id", "store_name", "address", "city", "state", "zip_code", "country", "region"]

DIM_CUSTOMER_ATTRS = ["first_name", "last_name", "email", "phone", "city", "state", "zip_code", "country"]
DIM_PRODUCT_ATTRS = ["product_name", "category", "subcategory", "brand", "unit_cost", "unit_price"]
DIM_LOCATION_ATTRS = ["store_name", "city", "state", "zip_code", "country", "region"]
REGIONS = ["Northeast", "Southeast", "Midwest", "Southwest", "West", "Unknown"]

MONEY_STRIP = r"^\s*\$|,"


def _digest(key, label, domain, value):
    """HMAC-SHA256 of label:domain NUL value (libs/masking domainHmacOf): the domain, "<entity>.<column>",
    keeps equal values of different columns apart."""
    return hmac.new(key, f"{label}:{domain}\0{value}".encode(), hashlib.sha256).digest()


def _hmac(v, domain):
    return None if v is None else _digest(HMAC_KEY, "hmac", domain, v).hex()


def mask_hmac(v):
    """The demo's hmac rule: customers.address."""
    return _hmac(v, "customers.address")


def _tokenize(v, domain):
    return None if v is None else "tok_" + base64.b32encode(_digest(TOKENIZE_KEY, "token", domain, v)[:10]).decode().lower()


def mask_tokenize_first_name(v):
    return _tokenize(v, "customers.first_name")


def mask_tokenize_last_name(v):
    return _tokenize(v, "customers.last_name")


def mask_email(v):
    if v is None:
        return None
    t = v.strip()
    at = t.rfind("@")
    if at <= 0 or at == len(t) - 1:
        return _hmac(v, "customers.email")
    return _digest(HMAC_KEY, "email", "customers.email", t[:at].lower()).hex()[:10] + "@" + t[at + 1:].lower()


_NON_DIGIT = re.compile(r"\D")


def mask_phone(v):
    """pattern XXX-XXX-####: the last 4 digits kept."""
    if v is None:
        return None
    d = _NON_DIGIT.sub("", v)
    return "XXX-XXX-XXXX" if len(d) <= 4 else "XXX-XXX-" + d[-4:]


def collapse_spaces(v):
    if v is None:
        return None
    t = " ".join(v.split())
    return t or None


def paths(out):
    """The peer's own lake: processed, rejected, masked and curated, one Parquet file per table."""
    p = {}
    for zone in ("processed", "rejected", "masked", "curated", "quality"):
        os.makedirs(os.path.join(out, zone), exist_ok=True)
        p[zone] = os.path.join(out, zone)
    return p


def finish(engine, started, summary, out):
    """Prints the run summary (the last stdout line) and writes it next to the outputs."""
    summary = {"engine": engine, "seconds": round(time.perf_counter() - started, 3), **summary}
    with open(os.path.join(out, "quality", "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, default=str)
    sys.stdout.write(json.dumps(summary, default=str) + "\n")
    sys.stdout.flush()


def parse_args():
    import argparse
    a = argparse.ArgumentParser(description="One peer engine: landing files -> processed, masked, curated + checks")
    a.add_argument("--landing", required=True, help="folder with customers.csv, products.json, locations.ndjson, sales_transactions.csv")
    a.add_argument("--out", required=True, help="output folder (replaced)")
    return a.parse_args()
