"""PySpark reads the curated zone as the config declares it (needs Java 17+ on PATH).

Uses the demo lake of conftest.py; Spark runs locally in this process (local[1], no UI).
"""

from decimal import Decimal

import pytest
from pyspark.sql import SparkSession

from test_lake_types import duckdb_revenue


@pytest.fixture(scope="module")
def spark():
    session = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "1").getOrCreate()
    yield session
    session.stop()


def test_spark_reads_decimal_and_date_and_sums_exact_cents(demo, spark):
    df = spark.read.parquet(str(demo["lake"] / "curated" / "fact_sales"))
    types = dict(df.dtypes)
    assert types["total_amount"] == "decimal(14,2)"
    assert types["unit_price"] == "decimal(12,2)"
    assert types["discount"] == "decimal(5,4)"
    assert types["batch_ds"] == "date"
    assert types["transaction_timestamp"] == "timestamp"
    total = df.selectExpr("sum(total_amount) AS t").collect()[0]["t"]
    assert isinstance(total, Decimal)
    assert total == sum(duckdb_revenue(demo).values())
