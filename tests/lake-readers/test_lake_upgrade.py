"""Lakes written before decimals were exact, rewritten by the lake upgrade so other engines read one schema.

Starts: the demo pipeline's three-day lake (conftest), copied; its first day is turned into the
old layout (declared decimals stored as double, batch_ds as text, as the pipeline wrote them
before) with pyarrow. DuckDB over that mixed lake reads the old types, as docs/query-the-lake.md
warns; `node tasks/setup/dist/upgrade-main.js` (npm run lake:upgrade) then rewrites exactly the
old partitions, after which DuckDB reads DECIMAL(p,s) and DATE everywhere and revenue per day
equals the original lake's to the cent; a second run rewrites nothing.
"""

import json
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import CONFIG, DAYS, ROOT

OLD_DAY = DAYS[0]
# Datasets of the demo config with declared decimal columns, and the day column of the fact.
OLD_DATASETS = ["curated/fact_sales", "processed/sales_transactions", "processed/masked/sales_transactions", "curated/dim_product"]


def downgrade_partition(part: Path):
    """Rewrites a partition's files as the old writer did: decimals as double, dates as text; the manifest says so."""
    manifest_path = part / "_manifest.json"
    manifest = json.loads(manifest_path.read_text())
    changed = []
    for f in manifest["files"]:
        path = part / Path(f["key"]).name
        table = pq.read_table(path)
        cols = []
        for field in table.schema:
            col = table[field.name]
            if pa.types.is_decimal(field.type):
                col = col.cast(pa.float64())
                changed.append(field.name)
            elif field.name == "batch_ds" and pa.types.is_date(field.type):
                col = col.cast(pa.string())
                changed.append(field.name)
            cols.append(col)
        pq.write_table(pa.table(cols, names=table.schema.names), path)
        f["bytes"] = path.stat().st_size
    for c in manifest["schema"]:
        if c["name"] in changed:
            if c["kind"] == "decimal":
                c["kind"] = "float64"
                c.pop("precision", None)
                c.pop("scale", None)
            else:
                c["kind"] = "string"
    manifest_path.write_text(json.dumps(manifest, indent=2))
    return manifest


def revenue_by_day(lake: Path):
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT dt, sum(total_amount)::VARCHAR FROM read_parquet('{lake}/curated/fact_sales/*/*.parquet', hive_partitioning = true) GROUP BY dt ORDER BY dt"
    ).fetchall()
    return {str(d): Decimal(s) for d, s in rows}


def duckdb_types(lake: Path, dataset: str, columns):
    con = duckdb.connect()
    rel = con.execute(f"DESCRIBE SELECT {', '.join(columns)} FROM read_parquet('{lake}/{dataset}/*/*.parquet', hive_partitioning = true)").fetchall()
    return {name: kind for name, kind, *_ in rel}


def upgrade(lake: Path, *extra):
    env = {**os.environ, "LAKE_ROOT": str(lake)}
    run = subprocess.run(["node", "tasks/setup/dist/upgrade-main.js", "--config", str(CONFIG), *extra], cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0, f"lake upgrade failed ({run.returncode}):\n{run.stderr[-3000:]}"
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def old_lake(demo, tmp_path_factory):
    lake = tmp_path_factory.mktemp("old-lake") / "lake"
    shutil.copytree(demo["lake"], lake)
    before = {ds: json.loads((lake / ds / f"dt={OLD_DAY}" / "_manifest.json").read_text()) for ds in OLD_DATASETS}
    for ds in OLD_DATASETS:
        downgrade_partition(lake / ds / f"dt={OLD_DAY}")
    return lake, before


def test_old_partitions_mislead_other_engines_until_upgraded(demo, old_lake):
    lake, before = old_lake
    exact = revenue_by_day(demo["lake"])
    # The old day first in the glob: DuckDB takes its types for every file.
    assert duckdb_types(lake, "curated/fact_sales", ["total_amount", "batch_ds"]) == {"total_amount": "DOUBLE", "batch_ds": "VARCHAR"}

    dry = upgrade(lake, "--dry-run")
    assert dry["dry_run"] is True
    assert sorted(dry["partitions_upgraded"]) == sorted(f"{ds} dt={OLD_DAY}" for ds in OLD_DATASETS)
    assert duckdb_types(lake, "curated/fact_sales", ["total_amount"]) == {"total_amount": "DOUBLE"}, "a dry run wrote"

    done = upgrade(lake)
    assert sorted(done["partitions_upgraded"]) == sorted(dry["partitions_upgraded"])
    assert set(done["columns"]["curated/fact_sales"]) >= {"unit_price", "total_amount", "batch_ds"}
    assert done["partitions_checked"] >= len(DAYS) * len(OLD_DATASETS)

    types = duckdb_types(lake, "curated/fact_sales", ["unit_price", "total_amount", "batch_ds"])
    assert types["batch_ds"] == "DATE"
    assert types["total_amount"].startswith("DECIMAL(") and types["unit_price"].startswith("DECIMAL("), types
    for path in (lake / "curated/fact_sales" / f"dt={OLD_DAY}").glob("*.parquet"):
        schema = pq.read_schema(path)
        assert pa.types.is_decimal(schema.field("total_amount").type) and pa.types.is_date32(schema.field("batch_ds").type)
    assert revenue_by_day(lake) == exact, "revenue changed by the double round trip and the upgrade"

    for ds in OLD_DATASETS:
        m = json.loads((lake / ds / f"dt={OLD_DAY}" / "_manifest.json").read_text())
        assert m["committed_at"] == before[ds]["committed_at"], f"{ds}: the upgrade moved the commit time"
        assert m["producer"] == before[ds]["producer"] and m["rows"] == before[ds]["rows"]
        assert m["schema"] == before[ds]["schema"] and m["schema_hash"] == before[ds]["schema_hash"], f"{ds}: schema differs from the original"
        assert m["meta"]["upgraded"]["columns"]

    again = upgrade(lake)
    assert again["partitions_upgraded"] == [], "a second run rewrote partitions already in the declared types"
