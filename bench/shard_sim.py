#!/usr/bin/env python3
"""A measured simulation of one ds split into hash shards, as parallel pods would run it (docs/scale-out.md).

    python3 bench/shard_sim.py [--size 1m] [--shards 4] [--dir .bench]

Splits the benchmark's landing day (bench/bench.py generates it; `npm run bench -- --sizes 1m
--engines ours --no-postgres` once) into N shards by a hash of transaction_id, the fact's grain
and the key standardize deduplicates on, so every version of a sale lands in one shard. The small
entities (customers, products, locations) go to every shard whole: the plan broadcasts
dimensions. Then it runs our steps (ingest -> check-quality) over the whole day once and over each
shard on its own lake, one after the other on this machine, and prints:

- per shard and for the whole day: wall seconds, CPU seconds and peak RSS of each step;
- what a cluster would take: the slowest shard (shards run side by side on N pods) plus the fixed
  start of the steps, next to the single run, and the speed-up;
- whether the shards' union equals the single run exactly: fact rows, distinct transaction ids,
  raw, processed and rejected transactions, revenue in exact decimal, and an md5 over every fact row
  joined back to its natural keys (surrogate keys differ between lakes; the natural keys and
  measures must not).

Needs pyarrow/duckdb (the bench venv: .bench/venv/bin/python bench/shard_sim.py).
"""
import argparse
import csv
import glob
import hashlib
import json
import os
import shutil
import sys
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import DS, OUR_STEPS, ROOT, measure  # noqa: E402

ENTITY_FILES = ("customers.csv", "products.json", "locations.ndjson")


def shard_of(key: str, shards: int) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") % shards


def split_landing(landing_day: str, out: str, shards: int) -> list[str]:
    days = []
    for i in range(shards):
        d = os.path.join(out, f"shard-{i}", "landing", f"dt={DS}")
        shutil.rmtree(os.path.dirname(os.path.dirname(d)), ignore_errors=True)
        os.makedirs(d)
        for name in ENTITY_FILES:
            shutil.copy(os.path.join(landing_day, name), d)
        days.append(d)
    files = [open(os.path.join(d, "sales_transactions.csv"), "w", newline="") for d in days]
    with open(os.path.join(landing_day, "sales_transactions.csv"), newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        writers = [csv.writer(x, lineterminator="\n") for x in files]
        for w in writers:
            w.writerow(header)
        for row in reader:
            writers[shard_of(row[0].strip(), shards)].writerow(row)
    for x in files:
        x.close()
    return [os.path.dirname(d) for d in days]


def run_lake(lake_dir: str, landing: str) -> list[dict]:
    shutil.rmtree(lake_dir, ignore_errors=True)
    env = {"MALLOC_MMAP_THRESHOLD_": "131072", "NODE_OPTIONS": "--max-semi-space-size=16", **os.environ, "LAKE_ROOT": os.path.join(lake_dir, "lake"), "LANDING_PATH": landing,
           "WAREHOUSE_SQLITE": os.path.join(lake_dir, "wh.sqlite"), "LOG_LEVEL": "warn"}
    steps = []
    for step in OUR_STEPS:
        r = measure(["node", f"tasks/{step[0]}/dist/main.js", "--config", "config/demo_config.yaml", "--ds", DS, "--run-id", "shard-sim", *step[1:]], env=env)
        if r["exit"] != 0:
            raise SystemExit(f"{step[0]} failed on {lake_dir} (exit {r['exit']}): {r['stderr']}")
        steps.append({"step": step[0], "seconds": r["seconds"], "cpu_seconds": r["cpu_seconds"], "peak_rss_mb": r["peak_rss_mb"]})
    return steps


def figures(lake_dirs: list[str]) -> dict:
    """Exact figures over the union of the lakes' curated facts, by natural keys."""
    import duckdb

    con = duckdb.connect()
    part = lambda lake, t: os.path.join(lake, "lake", "curated", t, f"dt={DS}", "*.parquet")
    unions = []
    for i, lake in enumerate(lake_dirs):
        unions.append(f"""SELECT f.transaction_id, c.customer_id, p.product_id, l.location_id, f.quantity, f.total_amount, f.date_key
            FROM read_parquet('{part(lake, 'fact_sales')}') f
            LEFT JOIN read_parquet('{part(lake, 'dim_customer')}') c USING (customer_key)
            LEFT JOIN read_parquet('{part(lake, 'dim_product')}') p USING (product_key)
            LEFT JOIN read_parquet('{part(lake, 'dim_location')}') l USING (location_key)""")
    con.execute("CREATE VIEW facts AS " + " UNION ALL ".join(unions))
    rows, distinct, revenue, digest = con.execute(
        """SELECT count(*), count(DISTINCT transaction_id), sum(total_amount)::VARCHAR,
           md5(string_agg(concat_ws('|', transaction_id, customer_id, product_id, location_id, quantity, total_amount, date_key), ',' ORDER BY transaction_id))
           FROM facts""").fetchone()
    count = lambda zone: sum(con.execute(f"SELECT count(*) FROM read_parquet('{os.path.join(lake, 'lake', zone, 'sales_transactions', f'dt={DS}', '*.parquet')}')").fetchone()[0] for lake in lake_dirs)
    return {"fact_rows": rows, "distinct_transactions": distinct, "revenue": str(Decimal(revenue)), "facts_md5": digest,
            "raw_transactions": count("raw/files/landing"), "processed_transactions": count("processed"), "rejected_transactions": count("processed/_rejected")}


def main():
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--size", default="1m")
    a.add_argument("--shards", type=int, default=4)
    a.add_argument("--dir", default=os.path.join(ROOT, ".bench"))
    args = a.parse_args()
    landing_day = os.path.join(args.dir, "data", args.size, "landing", f"dt={DS}")
    if not os.path.exists(os.path.join(landing_day, "sales_transactions.csv")):
        raise SystemExit(f"no landing day at {landing_day}: run `npm run bench -- --sizes {args.size} --engines ours --no-postgres` once")
    work = os.path.join(args.dir, "shard-sim", args.size)
    landings = split_landing(landing_day, work, args.shards)
    whole = run_lake(os.path.join(work, "whole"), os.path.dirname(landing_day))
    shards = [run_lake(os.path.join(work, f"shard-{i}", "run"), landings[i]) for i in range(args.shards)]
    whole_fig = figures([os.path.join(work, "whole")])
    shard_fig = figures([os.path.join(work, f"shard-{i}", "run") for i in range(args.shards)])
    sums = lambda steps, k: sum(s[k] for s in steps)
    out = {"size": args.size, "shards": args.shards,
           "whole": {"seconds": round(sums(whole, "seconds"), 1), "cpu_seconds": round(sums(whole, "cpu_seconds"), 1), "peak_rss_mb": max(s["peak_rss_mb"] for s in whole), "steps": whole},
           "shards_run": [{"seconds": round(sums(s, "seconds"), 1), "cpu_seconds": round(sums(s, "cpu_seconds"), 1), "peak_rss_mb": max(x["peak_rss_mb"] for x in s), "steps": s} for s in shards],
           "figures": {"whole": whole_fig, "shards": shard_fig}}
    out["cluster_seconds"] = max(s["seconds"] for s in out["shards_run"])
    out["speedup"] = round(out["whole"]["seconds"] / out["cluster_seconds"], 2)
    out["cpu_overhead"] = round(sum(s["cpu_seconds"] for s in out["shards_run"]) / out["whole"]["cpu_seconds"], 2)
    out["exact"] = whole_fig == shard_fig
    print(f"whole day: {out['whole']['seconds']} s, {out['whole']['cpu_seconds']} CPU s, peak {out['whole']['peak_rss_mb']} MB")
    for i, s in enumerate(out["shards_run"]):
        print(f"shard {i}/{args.shards}: {s['seconds']} s, {s['cpu_seconds']} CPU s, peak {s['peak_rss_mb']} MB")
    print(f"on {args.shards} pods: {out['cluster_seconds']} s (the slowest shard), {out['speedup']}x faster; all shards' CPU / whole day's CPU = {out['cpu_overhead']}")
    print(f"whole: {whole_fig}\nshards: {shard_fig}\nexact: {out['exact']}")
    with open(os.path.join(work, "result.json"), "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps({k: out[k] for k in ("size", "shards", "cluster_seconds", "speedup", "cpu_overhead", "exact")}))
    return 0 if out["exact"] else 1


if __name__ == "__main__":
    sys.exit(main())
