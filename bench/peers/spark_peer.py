"""The pipeline's work in PySpark on local[2] (DataFrame API; Python UDFs for the keyed masking of customers)."""
import os
import shutil
import sys
import time

from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

import common as c


def main():
    args = c.parse_args()
    started = time.perf_counter()
    shutil.rmtree(args.out, ignore_errors=True)
    p = c.paths(args.out)
    land = args.landing
    # UDF workers must run this interpreter (the venv with pyarrow), not the first python3 on PATH.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (SparkSession.builder.master("local[2]").appName("salesflow-bench")
             .config("spark.driver.memory", os.environ.get("BENCH_SPARK_MEMORY", "2g"))
             .config("spark.sql.shuffle.partitions", "4").config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.parquet.compression.codec", "zstd").config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.ansi.enabled", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")

    def write(df, path):
        df.write.mode("overwrite").parquet(path)

    def text_schema(cols):
        return T.StructType([T.StructField(x, T.StringType()) for x in cols])

    def nz(col):
        s = F.trim(F.col(col))
        return F.when(s == "", None).otherwise(s)

    def money(col):
        return F.regexp_replace(nz(col), c.MONEY_STRIP, "").cast("double")

    raw = spark.read.csv(f"{land}/sales_transactions.csv", header=True, schema=text_schema(c.TX_COLUMNS), quote='"', escape='"')
    raw = raw.withColumn("_source_row", F.monotonically_increasing_id())
    t = raw.select(
        *[c_ for c_ in raw.columns],
        nz("transaction_id").alias("t_id"), nz("customer_id").alias("t_cust"), nz("product_id").alias("t_prod"), nz("location_id").alias("t_loc"),
        F.when(nz("quantity").rlike(r"^[+-]?\d+$"), nz("quantity").cast("int")).alias("t_qty"),
        F.round(money("unit_price"), 2).alias("t_price"), F.round(money("discount"), 4).alias("t_disc"),
        F.round(money("tax_amount"), 2).alias("t_tax"), F.round(money("total_amount"), 2).alias("t_total"),
        F.to_timestamp(nz("transaction_timestamp")).alias("t_ts"))
    reject = (F.when(F.col("t_id").isNull(), "transaction_id").when(F.col("t_cust").isNull(), "customer_id")
              .when(F.col("t_prod").isNull(), "product_id").when(F.col("t_loc").isNull(), "location_id")
              .when(F.col("t_qty").isNull(), "quantity").when(F.col("t_price").isNull() | (F.col("t_price") < 0), "unit_price")
              .when(nz("discount").isNotNull() & (F.col("t_disc").isNull() | (F.col("t_disc") < 0) | (F.col("t_disc") > 1)), "discount")
              .when(nz("tax_amount").isNotNull() & F.col("t_tax").isNull(), "tax_amount")
              .when(F.col("t_total").isNull(), "total_amount").when(F.col("t_ts").isNull(), "transaction_timestamp"))
    judged = t.withColumn("_reject_column", reject).cache()
    write(judged.where(F.col("_reject_column").isNotNull()).select(*c.TX_COLUMNS, "_source_row", "_reject_column",
                                                                   F.concat(F.col("_reject_column"), F.lit(": cannot be cast")).alias("_reject_reason")),
          f"{p['rejected']}/sales_transactions")
    latest = Window.partitionBy("t_id").orderBy(F.col("t_ts").desc(), F.col("_source_row").desc())
    tx = (judged.where(F.col("_reject_column").isNull()).withColumn("_n", F.row_number().over(latest)).where("_n = 1")
          .select(F.col("t_id").alias("transaction_id"), F.col("t_cust").alias("customer_id"), F.col("t_prod").alias("product_id"),
                  F.col("t_loc").alias("location_id"), F.col("t_qty").alias("quantity"), F.col("t_price").alias("unit_price"),
                  F.col("t_disc").alias("discount"), F.col("t_tax").alias("tax_amount"), F.col("t_total").alias("total_amount"),
                  F.col("t_ts").alias("transaction_timestamp"))
          .withColumn("_source", F.lit("landing")).withColumn("_ingested_at", F.current_timestamp()).withColumn("_run_id", F.lit("bench"))
          .withColumn("_row_hash", F.substring(F.sha2(F.concat_ws("\x1f", *[F.col(x).cast("string") for x in c.TX_COLUMNS]), 256), 1, 32)))
    write(tx, f"{p['processed']}/sales_transactions")
    tx = spark.read.parquet(f"{p['processed']}/sales_transactions")
    write(tx.withColumn("_mask_key_id", F.lit("demo")), f"{p['masked']}/sales_transactions")

    udf = lambda fn: F.udf(fn, T.StringType())
    cust = spark.read.csv(f"{land}/customers.csv", header=True, schema=text_schema(c.CUSTOMER_COLUMNS), quote='"', escape='"')
    cust = cust.withColumn("_r", F.monotonically_increasing_id()).select("_r", *[nz(x).alias(x) for x in c.CUSTOMER_COLUMNS])
    cust = (cust.where(F.col("customer_id").isNotNull())
            .withColumn("_n", F.row_number().over(Window.partitionBy("customer_id").orderBy("_r"))).where("_n = 1").drop("_n", "_r")
            .withColumn("first_name", udf(c.collapse_spaces)("first_name")).withColumn("last_name", udf(c.collapse_spaces)("last_name"))
            .withColumn("email", F.lower("email")))
    write(cust, f"{p['processed']}/customers")
    cust = spark.read.parquet(f"{p['processed']}/customers")
    masked = cust
    for col, fn in (("first_name", c.mask_tokenize_first_name), ("last_name", c.mask_tokenize_last_name), ("email", c.mask_email), ("phone", c.mask_phone), ("address", c.mask_hmac)):
        masked = masked.withColumn(col, udf(fn)(col))
    write(masked.withColumn("_mask_key_id", F.lit("demo")), f"{p['masked']}/customers")
    masked = spark.read.parquet(f"{p['masked']}/customers")
    for col in ("first_name", "last_name"):
        write(cust.where(F.col(col).isNotNull()).select(udf(c.mask_tokenize_first_name if col == "first_name" else c.mask_tokenize_last_name)(col).alias("token"), F.col(col).alias("original")).distinct(),
              f"{p['masked']}/vault_{col}")
    prod = spark.read.option("multiLine", True).schema(text_schema(c.PRODUCT_COLUMNS)).json(f"{land}/products.json")
    prod = prod.select(*[(F.round(money(x), 2) if x in ("unit_cost", "unit_price") else nz(x)).alias(x) for x in c.PRODUCT_COLUMNS]).dropDuplicates(["product_id"])
    loc = spark.read.schema(text_schema(c.LOCATION_COLUMNS)).json(f"{land}/locations.ndjson")
    loc = loc.select(*[nz(x).alias(x) for x in c.LOCATION_COLUMNS]).dropDuplicates(["location_id"])
    for name, df in (("products", prod), ("locations", loc)):
        write(df, f"{p['processed']}/{name}")
        write(spark.read.parquet(f"{p['processed']}/{name}"), f"{p['masked']}/{name}")
    prod, loc = spark.read.parquet(f"{p['masked']}/products"), spark.read.parquet(f"{p['masked']}/locations")

    def dimension(src, name, key, nk, attrs):
        members = src.select(F.row_number().over(Window.orderBy(nk)).cast("int").alias(key), nk, *attrs)
        unknown = spark.createDataFrame([(-1, "UNKNOWN", *[None] * len(attrs))], members.schema)
        write(unknown.unionByName(members), f"{p['curated']}/{name}")
        return spark.read.parquet(f"{p['curated']}/{name}")

    dc = dimension(masked, "dim_customer", "customer_key", "customer_id", c.DIM_CUSTOMER_ATTRS)
    dp = dimension(prod, "dim_product", "product_key", "product_id", c.DIM_PRODUCT_ATTRS)
    dl = dimension(loc, "dim_location", "location_key", "location_id", c.DIM_LOCATION_ATTRS)
    fact = (tx.join(F.broadcast(dc.select("customer_id", "customer_key")), "customer_id", "left")
            .join(F.broadcast(dp.select("product_id", "product_key")), "product_id", "left")
            .join(F.broadcast(dl.select("location_id", "location_key")), "location_id", "left")
            .select("transaction_id", F.date_format("transaction_timestamp", "yyyyMMdd").cast("int").alias("date_key"),
                    *[F.coalesce(F.col(k), F.lit(-1)).alias(k) for k in ("customer_key", "product_key", "location_key")],
                    "quantity", "unit_price", "discount", "tax_amount", "total_amount", "transaction_timestamp", F.lit(c.DS).alias("batch_ds")))
    write(fact, f"{p['curated']}/fact_sales")
    fact = spark.read.parquet(f"{p['curated']}/fact_sales")
    lo, hi = fact.select(F.min(F.to_date("transaction_timestamp")), F.max(F.to_date("transaction_timestamp"))).first()
    days = spark.sql(f"SELECT explode(sequence(DATE'{lo}', DATE'{hi}', INTERVAL 1 DAY)) AS d")
    dd = days.select(F.date_format("d", "yyyyMMdd").cast("int").alias("date_key"), F.col("d").alias("full_date"), F.dayofmonth("d").alias("day"),
                     (((F.dayofweek("d") + 5) % 7) + 1).alias("day_of_week"), F.date_format("d", "EEEE").alias("day_name"),
                     F.weekofyear("d").alias("week_of_year"), F.month("d").alias("month"), F.date_format("d", "MMMM").alias("month_name"),
                     F.quarter("d").alias("quarter"), F.year("d").alias("year"), F.dayofweek("d").isin(1, 7).alias("is_weekend"))
    nullable = T.StructType([T.StructField(f.name, f.dataType, True) for f in dd.schema.fields])
    unknown = spark.createDataFrame([(-1, None, None, None, "Unknown", None, None, "Unknown", None, None, None)], nullable)
    write(unknown.unionByName(dd), f"{p['curated']}/dim_date")
    dd = spark.read.parquet(f"{p['curated']}/dim_date")

    cnt = lambda df: df.count()
    dups = lambda df, col: df.count() - df.select(col).distinct().count()
    orphans = lambda col, d: fact.join(d.select(col), col, "left_anti").count()
    agg = fact.agg(
        F.sum(F.when(F.col("transaction_id").isNull() | F.col("date_key").isNull() | F.col("customer_key").isNull() | F.col("product_key").isNull()
                     | F.col("location_key").isNull() | F.col("total_amount").isNull(), 1).otherwise(0)).alias("nn"),
        F.count("*").alias("rows"), F.countDistinct("transaction_id").alias("ids"),
        F.sum(F.when((F.col("quantity") < 1) | (F.col("quantity") > 1000), 1).otherwise(0)).alias("qty"),
        F.sum(F.when(F.col("total_amount") < 0, 1).otherwise(0)).alias("neg"),
        F.sum(F.when(~F.col("transaction_id").rlike(r"^TXN[0-9]{8}$"), 1).otherwise(0)).alias("rx"),
        (F.max("transaction_timestamp") >= F.expr(f"TIMESTAMP'{c.DS} 00:00:00' + INTERVAL 1 DAY - INTERVAL 48 HOURS")).alias("fresh")).first()
    checks = {
        "fact_sales.not_null": agg.nn or 0, "fact_sales.unique": agg.rows - agg.ids,
        "fact_sales.relationships.customer_key": orphans("customer_key", dc), "fact_sales.relationships.product_key": orphans("product_key", dp),
        "fact_sales.relationships.location_key": orphans("location_key", dl), "fact_sales.relationships.date_key": orphans("date_key", dd),
        "fact_sales.row_count": 0 if agg.rows >= 1 else 1,
        "dim_customer.unique.customer_id": dups(dc, "customer_id"), "dim_customer.unique.customer_key": dups(dc, "customer_key"),
        "dim_product.unique": dups(dp, "product_key"), "dim_location.unique": dups(dl, "location_key"), "dim_date.unique": dups(dd, "date_key"),
        "fact_sales.range.quantity": agg.qty or 0, "fact_sales.range.total_amount": agg.neg or 0, "fact_sales.regex": agg.rx or 0,
        "fact_sales.freshness": 0 if agg.fresh else 1,
        "dim_location.accepted_values": dl.where(F.col("region").isNotNull() & ~F.col("region").isin(c.REGIONS)).count(),
    }
    counts = {"raw": cnt(judged), "processed": cnt(tx), "rejected": judged.where(F.col("_reject_column").isNotNull()).count()}
    counts["duplicates"] = counts["raw"] - counts["processed"] - counts["rejected"]
    spark.stop()
    c.finish("pyspark", started, {"checks": checks, "failed": [k for k, v in checks.items() if v], "sales_transactions": counts}, args.out)


if __name__ == "__main__":
    main()
