"""The lake as its users read it: pyarrow and DuckDB over the processed and curated zones.

Starts: the demo pipeline (node tasks/run-pipeline/dist/demo.js; run `npm run build` first) for
three days into a temporary lake and SQLite warehouse. Then checks that every column the config
declares decimal(p,s) is Parquet DECIMAL(p,s) on INT32/INT64 (FIXED_LEN_BYTE_ARRAY beyond 18
digits), that day columns are DATE, and that total revenue agrees to the cent between DuckDB over
the curated zone, the warehouse, and an exact recomputation of the landing files (Python decimal).

Install: pip install -r tests/lake-readers/requirements.txt; run: pytest tests/lake-readers.
"""

import csv
import datetime as dt
import glob
import sqlite3
import subprocess
from decimal import Decimal, InvalidOperation

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from conftest import CONFIG, DAYS, ROOT

CENT = Decimal("0.01")
DEFAULT_PRECISION = 18


@pytest.fixture(scope="session")
def config():
    return yaml.safe_load(CONFIG.read_text())


def declared(config, entity):
    """Column name -> (type, precision, scale) as the config declares them (decimal(p,s) spelled out)."""
    out = {}
    for name, spec in config["standardize"]["entities"][entity]["columns"].items():
        t = spec["type"]
        if t.startswith("decimal("):
            p, s = (int(x) for x in t[len("decimal("):-1].split(","))
            out[name] = ("decimal", p, s)
        elif t == "decimal":
            out[name] = ("decimal", spec.get("precision", DEFAULT_PRECISION), spec.get("scale", 2))
        else:
            out[name] = (t, None, None)
    return out


def arrow_type(kind):
    t, p, s = kind
    return {
        "decimal": lambda: pa.decimal128(p, s),
        "date": pa.date32,
        "timestamp": lambda: pa.timestamp("ms", tz="UTC"),
        "int": pa.int32,
        "bigint": pa.int64,
        "float": pa.float64,
        "bool": pa.bool_,
        "string": pa.string,
    }[t]()


def physical(precision):
    return "INT32" if precision <= 9 else "INT64" if precision <= 18 else "FIXED_LEN_BYTE_ARRAY"


def files(lake, dataset, day=None):
    found = sorted(glob.glob(str(lake / dataset / f"dt={day or '*'}" / "*.parquet")))
    assert found, f"no Parquet under {dataset}"
    return found


def check_file(path, expected):
    """Every expected column has its Arrow type, and decimals their DECIMAL(p,s) physical type."""
    f = pq.ParquetFile(path)
    schema = f.schema_arrow
    for name, kind in expected.items():
        assert schema.field(name).type == arrow_type(kind), f"{path}: {name} is {schema.field(name).type}, config says {kind}"
        col = f.metadata.schema.column(schema.get_field_index(name))
        if kind[0] == "decimal":
            assert col.physical_type == physical(kind[1]), f"{name}: {col.physical_type}"
            assert str(col.logical_type) == f"Decimal(precision={kind[1]}, scale={kind[2]})"
        if kind[0] == "date":
            assert str(col.logical_type) == "Date"


def test_processed_zone_has_the_declared_types(demo, config):
    for entity in config["standardize"]["entities"]:
        expected = declared(config, entity)
        assert any(k[0] == "decimal" for k in expected.values()) or entity in ("customers", "locations")
        for path in files(demo["lake"], f"processed/{entity}"):
            check_file(path, expected)
        for path in files(demo["lake"], f"processed/masked/{entity}"):
            check_file(path, {n: k for n, k in expected.items() if k[0] != "string"})


def fact_types(config):
    fact = config["star_schema"]["fact"]
    source = declared(config, fact["source"])
    expected = {m: source[m] for m in fact["measures"]}
    for d in fact.get("derived_measures", []):
        expected[d["name"]] = ("decimal", d.get("precision", DEFAULT_PRECISION), d.get("scale", 2))
    expected["batch_ds"] = ("date", None, None)
    return fact["table"], expected


def test_curated_zone_has_the_declared_types(demo, config):
    table, expected = fact_types(config)
    assert expected["total_amount"] == ("decimal", 14, 2)
    for path in files(demo["lake"], f"curated/{table}"):
        check_file(path, expected)
    for name, dim in config["star_schema"]["dimensions"].items():
        source = declared(config, dim["source"])
        attrs = {a: source[a] for a in dim["attributes"] if source[a][0] != "string"}
        for path in files(demo["lake"], f"curated/{name}"):
            check_file(path, attrs)


def test_duckdb_reads_decimal_and_date_with_hive_partitions(demo, config):
    table, expected = fact_types(config)
    glob_path = str(demo["lake"] / "curated" / table / "*" / "*.parquet")
    con = duckdb.connect()
    types = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{glob_path}', hive_partitioning = true)").fetchall()}
    for name, (t, p, s) in expected.items():
        want = {"decimal": f"DECIMAL({p},{s})", "date": "DATE", "int": "INTEGER", "bigint": "BIGINT", "timestamp": "TIMESTAMP WITH TIME ZONE"}[t]
        assert types[name] == want, (name, types[name])
    total = con.execute(f"SELECT typeof(sum(total_amount)) FROM read_parquet('{glob_path}', hive_partitioning = true)").fetchone()[0]
    assert total.startswith("DECIMAL(38,2)")


def duckdb_revenue(demo):
    glob_path = str(demo["lake"] / "curated" / "fact_sales" / "*" / "*.parquet")
    rows = duckdb.connect().execute(
        f"SELECT strftime(batch_ds, '%Y-%m-%d'), sum(total_amount) FROM read_parquet('{glob_path}', hive_partitioning = true) GROUP BY 1"
    ).fetchall()
    return {day: Decimal(v) for day, v in rows}


def warehouse_revenue(demo):
    con = sqlite3.connect(demo["warehouse"])
    rows = con.execute("SELECT batch_ds, ROUND(SUM(total_amount), 2) FROM fact_sales GROUP BY batch_ds").fetchall()
    return {str(day)[:10]: Decimal(str(v)).quantize(CENT) for day, v in rows}


def landing_revenue(demo):
    """total_amount of the landing files summed in Python decimal, with standardize's and the fact's
    rules: rows standardize rejected (as its _rejected zone lists them) are left out, the latest
    transaction_timestamp wins within a day, and a later day's delivery of a transaction replaces it."""
    latest = {}
    for day in DAYS:
        rejected = set()
        for path in glob.glob(str(demo["lake"] / "processed/_rejected/sales_transactions" / f"dt={day}" / "*.parquet")):
            for r in pq.read_table(path, columns=["transaction_id", "total_amount", "transaction_timestamp"]).to_pylist():
                rejected.add((r["transaction_id"], r["total_amount"], r["transaction_timestamp"]))
        today = {}
        with open(demo["landing"] / f"dt={day}" / "sales_transactions.csv", newline="") as f:
            for r in csv.DictReader(f):
                if (r["transaction_id"], r["total_amount"], r["transaction_timestamp"]) in rejected:
                    continue
                try:
                    amount = Decimal(r["total_amount"].strip()).quantize(CENT, rounding="ROUND_HALF_UP")
                except InvalidOperation:
                    raise AssertionError(f"{day}: {r} has no number in total_amount but was not rejected")
                at = dt.datetime.fromisoformat(r["transaction_timestamp"].strip().replace("Z", "+00:00"))
                key = r["transaction_id"].strip()
                if key not in today or at >= today[key][0]:
                    today[key] = (at, amount)
        for key, (_, amount) in today.items():
            latest[key] = (day, amount)
    out = {}
    for day, amount in latest.values():
        out[day] = out.get(day, Decimal(0)) + amount
    return out


def test_revenue_agrees_to_the_cent_per_day_and_in_total(demo):
    lake, warehouse, landing = duckdb_revenue(demo), warehouse_revenue(demo), landing_revenue(demo)
    days = sorted(set(lake) | set(warehouse) | set(landing))
    for day in days:
        assert lake.get(day, 0) == warehouse.get(day, 0) == landing.get(day, 0), (day, lake.get(day), warehouse.get(day), landing.get(day))
    assert sum(lake.values()) == sum(warehouse.values()) == sum(landing.values())
    assert sum(lake.values()) > 0
    print(f"revenue per batch_ds: {dict(sorted(lake.items()))}; total {sum(lake.values())}")


def test_generated_duckdb_views_read_the_curated_zone(demo):
    ddl = subprocess.run(
        ["node", "tasks/run-pipeline/dist/lake-ddl.js", "--config", str(CONFIG), "--engine", "duckdb", "--root", str(demo["lake"])],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    con = duckdb.connect()
    con.execute(ddl)
    latest = con.execute("SELECT max(dt) FROM dim_product").fetchone()[0]
    products, cost_type = con.execute("SELECT count(*), any_value(typeof(unit_cost)) FROM dim_product WHERE dt = ?", [latest]).fetchone()
    assert products > 0 and cost_type == "DECIMAL(18,2)"
    total = con.execute("SELECT sum(total_amount) FROM fact_sales").fetchone()[0]
    assert total == sum(duckdb_revenue(demo).values())


def chunks_under(lake, zone, read):
    """`read` of every column chunk of the zone's files: the set of answers seen."""
    found = set()
    for path in (lake / zone).rglob("*.parquet"):
        meta = pq.ParquetFile(path).metadata
        for g in range(meta.num_row_groups):
            for c in range(meta.num_columns):
                found.add(read(meta.row_group(g).column(c)))
    return found


def codecs_under(lake, zone):
    return chunks_under(lake, zone, lambda chunk: chunk.compression)


def test_each_zone_is_compressed_as_lake_compression_says(demo):
    # The demo config leaves lake.compression at its defaults: snappy where the steps read and
    # write once a run, zstd in curated, the zone BI tools and query engines read.
    assert codecs_under(demo["lake"], "raw") == {"SNAPPY"}
    assert codecs_under(demo["lake"], "processed") == {"SNAPPY"}
    assert codecs_under(demo["lake"], "curated") == {"ZSTD"}


def statistics_under(lake, zone):
    return chunks_under(lake, zone, lambda chunk: chunk.is_stats_set)


def test_raw_keeps_no_statistics_and_the_zones_engines_prune_keep_them(demo):
    # lake.statistics at its defaults: none in raw (read whole by standardize), chunk elsewhere.
    assert statistics_under(demo["lake"], "raw") == {False}
    assert statistics_under(demo["lake"], "processed") == {True}
    assert statistics_under(demo["lake"], "curated") == {True}
    # Chunk statistics carry min and max, which DuckDB and Spark prune row groups by.
    path = next((demo["lake"] / "curated" / "fact_sales").rglob("*.parquet"))
    stats = pq.ParquetFile(path).metadata.row_group(0).column(0).statistics
    assert stats.has_min_max
