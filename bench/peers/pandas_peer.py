"""The pipeline's work in pandas (pyarrow CSV reader and Parquet writer): whole frames in memory, the usual way."""
import hashlib
import shutil
import time

import numpy as np
import pandas as pd

import common as c


def text(s):
    s = s.astype("string").str.strip()
    return s.mask(s == "")


def money(s):
    return pd.to_numeric(text(s).str.replace(c.MONEY_STRIP, "", regex=True), errors="coerce").astype("float64")


def write(df, path):
    df.to_parquet(path, compression="zstd", index=False, row_group_size=131072)


def dimension(src, key, nk, attrs):
    d = src.sort_values(nk)[[nk, *attrs]].reset_index(drop=True)
    d.insert(0, key, np.arange(1, len(d) + 1, dtype="int32"))
    unknown = pd.DataFrame({key: [-1], nk: ["UNKNOWN"], **{a: [None] for a in attrs}})
    return pd.concat([unknown, d], ignore_index=True)


def main():
    args = c.parse_args()
    started = time.perf_counter()
    shutil.rmtree(args.out, ignore_errors=True)
    p = c.paths(args.out)
    land = args.landing

    raw = pd.read_csv(f"{land}/sales_transactions.csv", dtype=str, keep_default_na=False, engine="pyarrow")
    raw["_source_row"] = np.arange(2, len(raw) + 2, dtype="int32")
    t = pd.DataFrame({k: text(raw[k]) for k in ("transaction_id", "customer_id", "product_id", "location_id")})
    qty = pd.to_numeric(text(raw["quantity"]), errors="coerce")
    t["quantity"] = qty.where(qty % 1 == 0)
    t["unit_price"] = money(raw["unit_price"]).round(2)
    t["discount"] = money(raw["discount"]).round(4)
    t["tax_amount"] = money(raw["tax_amount"]).round(2)
    t["total_amount"] = money(raw["total_amount"]).round(2)
    t["transaction_timestamp"] = pd.to_datetime(text(raw["transaction_timestamp"]), utc=True, errors="coerce", format="ISO8601")
    has = lambda k: text(raw[k]).notna()
    reject = np.select(
        [t.transaction_id.isna(), t.customer_id.isna(), t.product_id.isna(), t.location_id.isna(), t.quantity.isna(),
         t.unit_price.isna() | (t.unit_price < 0), has("discount") & (t.discount.isna() | (t.discount < 0) | (t.discount > 1)),
         has("tax_amount") & t.tax_amount.isna(), t.total_amount.isna(), t.transaction_timestamp.isna()],
        ["transaction_id", "customer_id", "product_id", "location_id", "quantity", "unit_price", "discount", "tax_amount",
         "total_amount", "transaction_timestamp"], default="")
    bad = reject != ""
    rejected = raw[bad].copy()
    rejected["_reject_column"] = reject[bad]
    rejected["_reject_reason"] = rejected["_reject_column"] + ": cannot be cast"
    write(rejected, f"{p['rejected']}/sales_transactions.parquet")
    t["_source_row"] = raw["_source_row"]
    t = t[~bad]
    t["quantity"] = t["quantity"].astype("int32")
    # The latest delivery of each transaction wins; ties go to the later row.
    t = t.sort_values(["transaction_id", "transaction_timestamp", "_source_row"]).drop_duplicates("transaction_id", keep="last")
    t = t.drop(columns="_source_row").reset_index(drop=True)
    t["_source"] = "landing"
    t["_ingested_at"] = pd.Timestamp.now(tz="UTC")
    t["_run_id"] = "bench"
    joined = t.transaction_id
    for k in c.TX_COLUMNS[1:]:
        joined = joined + "\x1f" + t[k].astype("string").fillna("")
    t["_row_hash"] = [hashlib.sha256(x.encode()).hexdigest()[:32] for x in joined]
    write(t, f"{p['processed']}/sales_transactions.parquet")
    write(t.assign(_mask_key_id="demo"), f"{p['masked']}/sales_transactions.parquet")

    cust = pd.read_csv(f"{land}/customers.csv", dtype=str, keep_default_na=False, engine="pyarrow")
    cust = pd.DataFrame({k: text(cust[k]) for k in c.CUSTOMER_COLUMNS})
    cust = cust[cust.customer_id.notna()].drop_duplicates("customer_id", keep="first")
    cust["first_name"] = cust.first_name.map(c.collapse_spaces, na_action="ignore")
    cust["last_name"] = cust.last_name.map(c.collapse_spaces, na_action="ignore")
    cust["email"] = cust.email.str.lower()
    write(cust, f"{p['processed']}/customers.parquet")
    masked = cust.copy()
    for col, fn in (("first_name", c.mask_tokenize_first_name), ("last_name", c.mask_tokenize_last_name), ("email", c.mask_email), ("phone", c.mask_phone), ("address", c.mask_hmac)):
        masked[col] = cust[col].map(fn, na_action="ignore")
    masked["_mask_key_id"] = "demo"
    write(masked, f"{p['masked']}/customers.parquet")
    for col in ("first_name", "last_name"):
        write(pd.DataFrame({"token": masked[col], "original": cust[col]}).dropna().drop_duplicates(), f"{p['masked']}/vault_{col}.parquet")
    prod = pd.read_json(f"{land}/products.json", dtype=False)
    prod = pd.DataFrame({k: (money(prod[k].astype(str)).round(2) if k in ("unit_cost", "unit_price") else text(prod[k])) for k in c.PRODUCT_COLUMNS}).drop_duplicates("product_id")
    loc = pd.read_json(f"{land}/locations.ndjson", lines=True, dtype=False)
    loc = pd.DataFrame({k: text(loc[k].astype(str)) for k in c.LOCATION_COLUMNS}).drop_duplicates("location_id")
    for name, df in (("products", prod), ("locations", loc)):
        write(df, f"{p['processed']}/{name}.parquet")
        write(df, f"{p['masked']}/{name}.parquet")

    dc = dimension(masked, "customer_key", "customer_id", c.DIM_CUSTOMER_ATTRS)
    dp = dimension(prod, "product_key", "product_id", c.DIM_PRODUCT_ATTRS)
    dl = dimension(loc, "location_key", "location_id", c.DIM_LOCATION_ATTRS)
    ts = t.transaction_timestamp
    fact = pd.DataFrame({"transaction_id": t.transaction_id,
                         "date_key": (ts.dt.year * 10000 + ts.dt.month * 100 + ts.dt.day).astype("int32")})
    for col, d, key in (("customer_id", dc, "customer_key"), ("product_id", dp, "product_key"), ("location_id", dl, "location_key")):
        fact[key] = t[col].map(pd.Series(d[key].values, index=d[col])).fillna(-1).astype("int32")
    for m in ("quantity", "unit_price", "discount", "tax_amount", "total_amount", "transaction_timestamp"):
        fact[m] = t[m]
    fact["batch_ds"] = c.DS
    days = pd.date_range(ts.min().normalize(), ts.max().normalize(), freq="D")
    dd = pd.DataFrame({"date_key": (days.year * 10000 + days.month * 100 + days.day).astype("int32"), "full_date": days.date,
                       "day": days.day, "day_of_week": days.day_of_week + 1, "day_name": days.day_name(), "week_of_year": days.isocalendar().week.values,
                       "month": days.month, "month_name": days.month_name(), "quarter": days.quarter, "year": days.year, "is_weekend": days.day_of_week >= 5})
    dd = pd.concat([pd.DataFrame({"date_key": [-1], "day_name": ["Unknown"], "month_name": ["Unknown"]}), dd], ignore_index=True).astype({"date_key": "int32"})
    for name, df in (("dim_customer", dc), ("dim_product", dp), ("dim_location", dl), ("dim_date", dd), ("fact_sales", fact)):
        write(df, f"{p['curated']}/{name}.parquet")

    dups = lambda s: int(len(s) - s.nunique())
    orphans = lambda col, d: int((~fact[col].isin(d[col])).sum())
    checks = {
        "fact_sales.not_null": int(fact[["transaction_id", "date_key", "customer_key", "product_key", "location_key", "total_amount"]].isna().any(axis=1).sum()),
        "fact_sales.unique": dups(fact.transaction_id),
        "fact_sales.relationships.customer_key": orphans("customer_key", dc),
        "fact_sales.relationships.product_key": orphans("product_key", dp),
        "fact_sales.relationships.location_key": orphans("location_key", dl),
        "fact_sales.relationships.date_key": orphans("date_key", dd),
        "fact_sales.row_count": 0 if len(fact) >= 1 else 1,
        "dim_customer.unique.customer_id": dups(dc.customer_id),
        "dim_customer.unique.customer_key": dups(dc.customer_key),
        "dim_product.unique": dups(dp.product_key),
        "dim_location.unique": dups(dl.location_key),
        "dim_date.unique": dups(dd.date_key),
        "fact_sales.range.quantity": int(((fact.quantity < 1) | (fact.quantity > 1000)).sum()),
        "fact_sales.range.total_amount": int((fact.total_amount < 0).sum()),
        "fact_sales.regex": int((~fact.transaction_id.str.fullmatch(r"TXN[0-9]{8}")).sum()),
        "fact_sales.freshness": 0 if ts.max() >= pd.Timestamp(c.DS, tz="UTC") + pd.Timedelta(days=1) - pd.Timedelta(hours=48) else 1,
        "dim_location.accepted_values": int((dl.region.notna() & ~dl.region.isin(c.REGIONS)).sum()),
    }
    counts = {"raw": len(raw), "processed": len(t), "rejected": int(bad.sum())}
    counts["duplicates"] = counts["raw"] - counts["processed"] - counts["rejected"]
    c.finish("pandas", started, {"checks": checks, "failed": [k for k, v in checks.items() if v], "sales_transactions": counts}, args.out)


if __name__ == "__main__":
    main()
