"""The pipeline's work in DuckDB (SQL, Python UDFs for the keyed masking of customers)."""
import os
import shutil
import time

import duckdb

import common as c

ZSTD = "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 131072)"


def main():
    args = c.parse_args()
    started = time.perf_counter()
    shutil.rmtree(args.out, ignore_errors=True)
    p = c.paths(args.out)
    con = duckdb.connect()
    con.execute("SET threads = 2; SET TimeZone = 'UTC'; SET preserve_insertion_order = false")
    land = args.landing

    def copy(sql, path):
        con.execute(f"COPY ({sql}) TO '{path}' {ZSTD}")

    def read_text(name, columns, fmt):
        cols = ", ".join(f"'{x}': 'VARCHAR'" for x in columns)
        if fmt == "csv":
            return f"read_csv('{land}/{name}', header = true, columns = {{{cols}}}, quote = '\"', escape = '\"')"
        return f"read_json('{land}/{name}', columns = {{{cols}}}, format = '{'array' if fmt == 'json' else 'newline_delimited'}')"

    def nz(col):
        return f"nullif(trim({col}), '')"

    def money(col):
        return f"try_cast(regexp_replace({nz(col)}, '{c.MONEY_STRIP}', '', 'g') AS DOUBLE)"

    # Standardize sales_transactions: typed columns, the first failing column of bad rows, the latest delivery per key.
    con.execute(f"CREATE TEMP VIEW tx_raw AS SELECT *, row_number() OVER () AS _source_row FROM {read_text('sales_transactions.csv', c.TX_COLUMNS, 'csv')}")
    con.execute(f"""CREATE TEMP TABLE tx_cast AS SELECT *,
        {nz('transaction_id')} AS t_id, {nz('customer_id')} AS t_cust, {nz('product_id')} AS t_prod, {nz('location_id')} AS t_loc,
        try_cast({nz('quantity')} AS INTEGER) AS t_qty, round({money('unit_price')}, 2) AS t_price, round({money('discount')}, 4) AS t_disc,
        round({money('tax_amount')}, 2) AS t_tax, round({money('total_amount')}, 2) AS t_total,
        try_cast({nz('transaction_timestamp')} AS TIMESTAMPTZ) AS t_ts FROM tx_raw""")
    con.execute("""CREATE TEMP TABLE tx_judged AS SELECT *, CASE
        WHEN t_id IS NULL THEN 'transaction_id' WHEN t_cust IS NULL THEN 'customer_id'
        WHEN t_prod IS NULL THEN 'product_id' WHEN t_loc IS NULL THEN 'location_id'
        WHEN t_qty IS NULL THEN 'quantity' WHEN t_price IS NULL OR t_price < 0 THEN 'unit_price'
        WHEN nullif(trim(discount), '') IS NOT NULL AND (t_disc IS NULL OR t_disc < 0 OR t_disc > 1) THEN 'discount'
        WHEN nullif(trim(tax_amount), '') IS NOT NULL AND t_tax IS NULL THEN 'tax_amount'
        WHEN t_total IS NULL THEN 'total_amount' WHEN t_ts IS NULL THEN 'transaction_timestamp' END AS _reject_column
        FROM tx_cast""")
    copy(f"SELECT {', '.join(c.TX_COLUMNS)}, _source_row, _reject_column, _reject_column || ': cannot be cast' AS _reject_reason FROM tx_judged WHERE _reject_column IS NOT NULL",
         f"{p['rejected']}/sales_transactions.parquet")
    con.execute("""CREATE TEMP TABLE tx AS SELECT t_id AS transaction_id, t_cust AS customer_id, t_prod AS product_id, t_loc AS location_id,
        t_qty AS quantity, t_price AS unit_price, t_disc AS discount, t_tax AS tax_amount, t_total AS total_amount,
        t_ts AS transaction_timestamp, 'landing' AS _source, now() AS _ingested_at, 'bench' AS _run_id,
        left(sha256(concat_ws(chr(31), t_id, t_cust, t_prod, t_loc, t_qty, t_price, t_disc, t_tax, t_total, epoch_ms(t_ts))), 32) AS _row_hash
        FROM tx_judged WHERE _reject_column IS NULL
        QUALIFY row_number() OVER (PARTITION BY t_id ORDER BY t_ts DESC, _source_row DESC) = 1""")
    copy("SELECT * FROM tx", f"{p['processed']}/sales_transactions.parquet")
    # Transactions have no masking rule: the masked zone holds the same rows, as our mask step writes them.
    copy("SELECT *, 'demo' AS _mask_key_id FROM tx", f"{p['masked']}/sales_transactions.parquet")

    # Standardize and mask the small entities.
    for fn, ret in ((c.mask_tokenize_first_name, "VARCHAR"), (c.mask_tokenize_last_name, "VARCHAR"), (c.mask_email, "VARCHAR"), (c.mask_phone, "VARCHAR"), (c.mask_hmac, "VARCHAR"), (c.collapse_spaces, "VARCHAR")):
        con.create_function(fn.__name__, fn, ["VARCHAR"], ret, null_handling="special")
    con.execute(f"""CREATE TEMP TABLE customers AS SELECT {nz('customer_id')} AS customer_id, collapse_spaces({nz('first_name')}) AS first_name,
        collapse_spaces({nz('last_name')}) AS last_name, lower({nz('email')}) AS email, {nz('phone')} AS phone, {nz('address')} AS address,
        {nz('city')} AS city, {nz('state')} AS state, {nz('zip_code')} AS zip_code, {nz('country')} AS country
        FROM (SELECT *, row_number() OVER () AS _r FROM {read_text('customers.csv', c.CUSTOMER_COLUMNS, 'csv')})
        WHERE {nz('customer_id')} IS NOT NULL QUALIFY row_number() OVER (PARTITION BY {nz('customer_id')} ORDER BY _r) = 1""")
    copy("SELECT * FROM customers", f"{p['processed']}/customers.parquet")
    con.execute("""CREATE TEMP TABLE customers_masked AS SELECT customer_id, mask_tokenize_first_name(first_name) AS first_name, mask_tokenize_last_name(last_name) AS last_name,
        mask_email(email) AS email, mask_phone(phone) AS phone, mask_hmac(address) AS address, city, state, zip_code, country, 'demo' AS _mask_key_id FROM customers""")
    copy("SELECT * FROM customers_masked", f"{p['masked']}/customers.parquet")
    # The vault: each token with its original (our mask step seals the original with AES-256-GCM; stdlib Python has no AES).
    copy("SELECT DISTINCT mask_tokenize_first_name(first_name) AS token, first_name AS original FROM customers WHERE first_name IS NOT NULL", f"{p['masked']}/vault_first_name.parquet")
    copy("SELECT DISTINCT mask_tokenize_last_name(last_name) AS token, last_name AS original FROM customers WHERE last_name IS NOT NULL", f"{p['masked']}/vault_last_name.parquet")
    con.execute(f"""CREATE TEMP TABLE products AS SELECT {nz('product_id')} AS product_id, {nz('product_name')} AS product_name, {nz('category')} AS category,
        {nz('subcategory')} AS subcategory, {nz('brand')} AS brand, round({money('unit_cost')}, 2) AS unit_cost, round({money('unit_price')}, 2) AS unit_price
        FROM {read_text('products.json', c.PRODUCT_COLUMNS, 'json')} QUALIFY row_number() OVER (PARTITION BY product_id) = 1""")
    con.execute(f"""CREATE TEMP TABLE locations AS SELECT {', '.join(f"{nz(x)} AS {x}" for x in c.LOCATION_COLUMNS)}
        FROM {read_text('locations.ndjson', c.LOCATION_COLUMNS, 'ndjson')} QUALIFY row_number() OVER (PARTITION BY location_id) = 1""")
    for t in ("products", "locations"):
        copy(f"SELECT * FROM {t}", f"{p['processed']}/{t}.parquet")
        copy(f"SELECT * FROM {t}", f"{p['masked']}/{t}.parquet")

    # The star schema: surrogate keys in natural-key order, the unknown member -1, dim_date over the facts' range.
    def dim(name, key, nk, source, attrs):
        a = ", ".join(attrs)
        nulls = ", ".join(f"NULL AS {x}" for x in attrs)
        con.execute(f"""CREATE TEMP TABLE {name} AS SELECT -1 AS {key}, 'UNKNOWN' AS {nk}, {nulls}
            UNION ALL SELECT CAST(row_number() OVER (ORDER BY {nk}) AS INTEGER), {nk}, {a} FROM {source}""")
        copy(f"SELECT * FROM {name}", f"{p['curated']}/{name}.parquet")

    dim("dim_customer", "customer_key", "customer_id", "customers_masked", c.DIM_CUSTOMER_ATTRS)
    dim("dim_product", "product_key", "product_id", "products", c.DIM_PRODUCT_ATTRS)
    dim("dim_location", "location_key", "location_id", "locations", c.DIM_LOCATION_ATTRS)
    con.execute(f"""CREATE TEMP TABLE fact_sales AS SELECT f.transaction_id,
        CAST(strftime(f.transaction_timestamp, '%Y%m%d') AS INTEGER) AS date_key,
        coalesce(dc.customer_key, -1) AS customer_key, coalesce(dp.product_key, -1) AS product_key, coalesce(dl.location_key, -1) AS location_key,
        f.quantity, f.unit_price, f.discount, f.tax_amount, f.total_amount, f.transaction_timestamp, '{c.DS}' AS batch_ds
        FROM tx f LEFT JOIN dim_customer dc ON dc.customer_id = f.customer_id
        LEFT JOIN dim_product dp ON dp.product_id = f.product_id LEFT JOIN dim_location dl ON dl.location_id = f.location_id""")
    copy("SELECT * FROM fact_sales", f"{p['curated']}/fact_sales.parquet")
    con.execute("""CREATE TEMP TABLE dim_date AS SELECT -1 AS date_key, NULL::DATE AS full_date, NULL::BIGINT AS day, NULL::BIGINT AS day_of_week,
        'Unknown' AS day_name, NULL::BIGINT AS week_of_year, NULL::BIGINT AS month, 'Unknown' AS month_name, NULL::BIGINT AS quarter,
        NULL::BIGINT AS year, NULL::BOOLEAN AS is_weekend UNION ALL SELECT CAST(strftime(d, '%Y%m%d') AS INTEGER) AS date_key, CAST(d AS DATE) AS full_date,
        day(d) AS day, isodow(d) AS day_of_week, dayname(d) AS day_name, weekofyear(d) AS week_of_year, month(d) AS month,
        monthname(d) AS month_name, quarter(d) AS quarter, year(d) AS year, isodow(d) >= 6 AS is_weekend
        FROM (SELECT unnest(generate_series(min(transaction_timestamp)::DATE, max(transaction_timestamp)::DATE, INTERVAL 1 DAY)) AS d FROM fact_sales)""")
    copy("SELECT * FROM dim_date", f"{p['curated']}/dim_date.parquet")

    # The checks of config/demo_config.yaml, each as the number of failing rows.
    q = lambda sql: con.execute(sql).fetchone()[0]
    checks = {
        "fact_sales.not_null": q("SELECT count(*) FROM fact_sales WHERE transaction_id IS NULL OR date_key IS NULL OR customer_key IS NULL OR product_key IS NULL OR location_key IS NULL OR total_amount IS NULL"),
        "fact_sales.unique": q("SELECT count(*) - count(DISTINCT transaction_id) FROM fact_sales"),
        "fact_sales.relationships.customer_key": q("SELECT count(*) FROM fact_sales f ANTI JOIN dim_customer d USING (customer_key)"),
        "fact_sales.relationships.product_key": q("SELECT count(*) FROM fact_sales f ANTI JOIN dim_product d USING (product_key)"),
        "fact_sales.relationships.location_key": q("SELECT count(*) FROM fact_sales f ANTI JOIN dim_location d USING (location_key)"),
        "fact_sales.relationships.date_key": q("SELECT count(*) FROM fact_sales f ANTI JOIN dim_date d USING (date_key)"),
        "fact_sales.row_count": 0 if q("SELECT count(*) FROM fact_sales") >= 1 else 1,
        "dim_customer.unique.customer_id": q("SELECT count(*) - count(DISTINCT customer_id) FROM dim_customer"),
        "dim_customer.unique.customer_key": q("SELECT count(*) - count(DISTINCT customer_key) FROM dim_customer"),
        "dim_product.unique": q("SELECT count(*) - count(DISTINCT product_key) FROM dim_product"),
        "dim_location.unique": q("SELECT count(*) - count(DISTINCT location_key) FROM dim_location"),
        "dim_date.unique": q("SELECT count(*) - count(DISTINCT date_key) FROM dim_date"),
        "fact_sales.range.quantity": q("SELECT count(*) FROM fact_sales WHERE quantity < 1 OR quantity > 1000"),
        "fact_sales.range.total_amount": q("SELECT count(*) FROM fact_sales WHERE total_amount < 0"),
        "fact_sales.regex": q("SELECT count(*) FROM fact_sales WHERE NOT regexp_full_match(transaction_id, '^TXN[0-9]{8}$')"),
        "fact_sales.freshness": 0 if q(f"SELECT max(transaction_timestamp) >= TIMESTAMPTZ '{c.DS}' + INTERVAL 1 DAY - INTERVAL 48 HOUR FROM fact_sales") else 1,
        "dim_location.accepted_values": q(f"SELECT count(*) FROM dim_location WHERE region IS NOT NULL AND region NOT IN ({', '.join(repr(r) for r in c.REGIONS)})"),
    }
    counts = {
        "raw": q("SELECT count(*) FROM tx_raw"), "processed": q("SELECT count(*) FROM tx"),
        "rejected": q("SELECT count(*) FROM tx_judged WHERE _reject_column IS NOT NULL"),
    }
    counts["duplicates"] = counts["raw"] - counts["processed"] - counts["rejected"]
    c.finish("duckdb", started, {"checks": checks, "failed": [k for k, v in checks.items() if v], "sales_transactions": counts}, args.out)


if __name__ == "__main__":
    main()
