"""The benchmark against the engines a user would pick instead (run it with `npm run bench`).

For each size (10 k, 1 M, 10 M sample transactions, landing files generated once with
tasks/sample-data), it runs, REPEATS times each:
  - ours: every step from raw to curated (setup, ingest, standardize, mask, build-star-schema,
    check-quality) as whole processes on a fresh local lake, exactly as Airflow runs them;
  - the same work written in DuckDB, pandas/pyarrow and PySpark local[2] (bench/peers/);
timing each process and sampling its peak RSS (the whole process tree: Spark's JVM included).
It then checks that every peer's outputs match ours (row counts, rejected and duplicate rows,
surrogate keys, masked values and the analytical totals), and, when PostgreSQL answers, times
our warehouse load next to COPY FROM / COPY TO of the same fact rows. One markdown and one JSON
table of medians land in .bench/results/.
"""
import argparse
import datetime as dt
import glob
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DS = "2026-11-26"
SIZES = {"10k": 1, "1m": 100, "10m": 1000, "50m": 5000}
OUR_STEPS = [["setup"], ["ingest", "--source", "landing"], ["standardize"], ["mask"], ["build-star-schema"], ["check-quality"]]
PEERS = {"duckdb": "duckdb_peer.py", "pandas": "pandas_peer.py", "pyspark": "spark_peer.py"}
PAGE = os.sysconf("SC_PAGE_SIZE")


def log(msg):
    sys.stderr.write(f"[bench {dt.datetime.now(dt.timezone.utc):%H:%M:%S}] {msg}\n")
    sys.stderr.flush()


def load1():
    return round(os.getloadavg()[0], 2)


def tree_rss_bytes(root_pid):
    """RSS of a process and all its descendants, from /proc (a JVM started by PySpark included)."""
    children = {}
    rss = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(d))
            rss[int(d)] = int(fields[21]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def measure(cmd, env=None, cwd=ROOT, stdout_path=None):
    """Runs cmd under /usr/bin/time -v; returns seconds, peak RSS (MB: the larger of time's maxrss and the sampled tree), exit code, stdout."""
    timing = f"/tmp/bench-time-{uuid.uuid4().hex}.txt"
    full = ["/usr/bin/time", "-v", "-o", timing, *cmd]
    started = time.perf_counter()
    out = open(stdout_path, "w") if stdout_path else subprocess.PIPE
    proc = subprocess.Popen(full, cwd=cwd, env=env, stdout=out, stderr=subprocess.PIPE, text=True)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.wait(0.1):
            peak[0] = max(peak[0], tree_rss_bytes(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if stdout_path:
        out.close()
        with open(stdout_path) as f:
            stdout = f.read()
    maxrss_kb = 0
    cpu = 0.0
    try:
        with open(timing) as f:
            for line in f:
                if "Maximum resident set size" in line:
                    maxrss_kb = int(line.rsplit(":", 1)[1])
                elif "User time (seconds)" in line or "System time (seconds)" in line:
                    cpu += float(line.rsplit(":", 1)[1])
        os.remove(timing)
    except OSError:
        pass
    # CPU seconds (user + system, waited-for children included) say more than wall time on a busy machine.
    return {"seconds": round(seconds, 3), "cpu_seconds": round(cpu, 2), "peak_rss_mb": round(max(maxrss_kb * 1024, peak[0]) / 2**20), "exit": proc.returncode,
            "stdout": stdout, "stderr": stderr[-3000:] if stderr else ""}


def generate(work, size):
    landing = os.path.join(work, "data", size, "landing")
    marker = os.path.join(landing, f"dt={DS}", "_complete.json")
    if os.path.exists(marker):
        with open(marker) as f:
            return landing, json.load(f)
    shutil.rmtree(landing, ignore_errors=True)
    log(f"generating the landing files for {size} transactions (once)")
    r = measure(["node", "tasks/sample-data/dist/main.js", "--out", os.path.join(landing, f"dt={DS}"), "--ds", DS, "--scale", str(SIZES[size])])
    if r["exit"] != 0:
        raise SystemExit(f"sample-data failed: {r['stderr']}")
    summary = json.loads(r["stdout"].strip().splitlines()[-1])
    with open(marker, "w") as f:
        json.dump(summary, f)
    return landing, summary


def run_ours(work, size, landing, repeat):
    lake = os.path.join(work, "runs", size, f"ours-{repeat}")
    shutil.rmtree(lake, ignore_errors=True)
    # MALLOC_MMAP_THRESHOLD_ and NODE_OPTIONS as the step images set them (STEP_PROCESS_ENV in libs/lake).
    env = {"MALLOC_MMAP_THRESHOLD_": "131072", "NODE_OPTIONS": "--max-semi-space-size=16", **os.environ, "LAKE_ROOT": os.path.join(lake, "lake"), "LANDING_PATH": landing,
           "WAREHOUSE_SQLITE": os.path.join(lake, "wh.sqlite"), "LOG_LEVEL": "warn"}
    steps = []
    for step in OUR_STEPS:
        cmd = ["node", f"tasks/{step[0]}/dist/main.js", "--config", "config/demo_config.yaml", "--ds", DS, "--run-id", f"bench-{repeat}", *step[1:]]
        r = measure(cmd, env=env)
        r["step"] = step[0]
        r["load1"] = load1()
        steps.append(r)
        if r["exit"] != 0:
            raise SystemExit(f"our {step[0]} failed (exit {r['exit']}) at {size}: {r['stderr']}")
    return {"seconds": round(sum(s["seconds"] for s in steps), 3), "cpu_seconds": round(sum(s["cpu_seconds"] for s in steps), 2), "peak_rss_mb": max(s["peak_rss_mb"] for s in steps),
            "steps": [{k: s[k] for k in ("step", "seconds", "cpu_seconds", "peak_rss_mb", "load1")} for s in steps], "out": lake, "env": env}


def run_peer(work, size, landing, engine, repeat, python):
    out = os.path.join(work, "runs", size, f"{engine}-{repeat}")
    cmd = [python, os.path.join(ROOT, "bench", "peers", PEERS[engine]), "--landing", os.path.join(landing, f"dt={DS}"), "--out", out]
    r = measure(cmd, env={**os.environ, "PYTHONPATH": os.path.join(ROOT, "bench", "peers")})
    if r["exit"] != 0:
        raise SystemExit(f"{engine} failed (exit {r['exit']}) at {size}: {r['stderr']}")
    summary = json.loads(r["stdout"].strip().splitlines()[-1])
    return {"seconds": r["seconds"], "cpu_seconds": r["cpu_seconds"], "peak_rss_mb": r["peak_rss_mb"], "load1": load1(), "out": out, "summary": summary}


def parquet_of(engine, out, zone, table):
    """The Parquet files of one table in an engine's outputs (ours: the lake's partition of ds)."""
    if engine == "ours":
        zone_dir = {"curated": "curated", "processed": "processed", "rejected": "processed/_rejected", "masked": "processed/masked"}[zone]
        return sorted(glob.glob(os.path.join(out, "lake", zone_dir, table, f"dt={DS}", "*.parquet")))
    single = os.path.join(out, zone, f"{table}.parquet")
    return [single] if os.path.isfile(single) else sorted(glob.glob(os.path.join(out, zone, table, "*.parquet")))


def output_figures(engine, out):
    """What must be equal whatever the engine: counts, keys, masked values and the analytical totals."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads = 2")
    for zone, table in [("curated", t) for t in ("fact_sales", "dim_customer", "dim_product", "dim_location", "dim_date")] + [
            ("processed", "sales_transactions"), ("rejected", "sales_transactions"), ("masked", "customers")]:
        files = parquet_of(engine, out, zone, table)
        if not files:
            raise SystemExit(f"{engine}: no {zone} {table} output under {out}")
        con.execute(f"CREATE VIEW {zone}_{table} AS SELECT * FROM read_parquet({files!r}, union_by_name = true)")
    q = lambda sql: con.execute(sql).fetchall()
    f = {}
    (f["fact_rows"], f["fact_total_amount"], f["fact_quantity"], f["fact_tax_amount"], f["date_keys"], f["customer_key_sum"],
     f["product_key_sum"], f["location_key_sum"], f["unknown_customer"]) = q(
        # Money summed as DECIMAL: ours is DECIMAL in the lake, a peer's DOUBLE cents cast back exactly; a sum of
        # 10 M doubles drifts by a cent.
        """SELECT count(*), sum(total_amount::DECIMAL(18, 2)), sum(quantity), sum(tax_amount::DECIMAL(18, 2)), count(DISTINCT date_key),
           sum(customer_key), sum(product_key), sum(location_key), count(*) FILTER (customer_key = -1) FROM curated_fact_sales""")[0]
    for t in ("dim_customer", "dim_product", "dim_location", "dim_date"):
        f[f"{t}_rows"] = q(f"SELECT count(*) FROM curated_{t}")[0][0]
    f["processed_transactions"] = q("SELECT count(*) FROM processed_sales_transactions")[0][0]
    f["rejected_transactions"] = q("SELECT count(*) FROM rejected_sales_transactions")[0][0]
    f["masked_customers_md5"] = q("""SELECT md5(string_agg(concat_ws('|', customer_id, first_name, last_name, email, phone, address), ',' ORDER BY customer_id))
        FROM masked_customers""")[0][0]
    # The analytical answer BI asks first: revenue by region and quarter.
    rows = q("""SELECT coalesce(l.region, '?'), CAST(d.year AS INT), CAST(d.quarter AS INT), sum(f.total_amount::DECIMAL(18, 2)) FROM curated_fact_sales f
        JOIN curated_dim_location l USING (location_key) JOIN curated_dim_date d USING (date_key) GROUP BY ALL ORDER BY ALL""")
    f["revenue_by_region_quarter"] = {f"{r[0]} {r[1]}Q{r[2]}": float(r[3]) for r in rows}
    return {k: (float(v) if hasattr(v, "as_tuple") else v) for k, v in f.items()}


def revenue_check(ours_run, landing):
    """Total revenue of ds three ways, exact: DuckDB over our curated fact (DECIMAL), our SQLite warehouse
    after load-warehouse (in integer cents: SQLite keeps REAL rounded to the scale), and a recomputation
    of the landing files in Python decimal (tests/calendar/expected_from_landing.py, none of our code)."""
    import duckdb
    import sqlite3
    from decimal import Decimal
    from pathlib import Path

    sys.path.insert(0, os.path.join(ROOT, "tests", "calendar"))
    from expected_from_landing import expected_from_landing

    files = parquet_of("ours", ours_run["out"], "curated", "fact_sales")
    lake = Decimal(duckdb.connect().execute(f"SELECT sum(total_amount)::VARCHAR FROM read_parquet({files!r})").fetchone()[0])
    env = ours_run["env"]
    r = measure(["node", "tasks/load-warehouse/dist/main.js", "--config", "config/demo_config.yaml", "--ds", DS, "--run-id", "bench-revenue"], env=env)
    if r["exit"] != 0:
        return {"error": f"load-warehouse into SQLite failed (exit {r['exit']}): {r['stderr'][-800:]}"}
    con = sqlite3.connect(env["WAREHOUSE_SQLITE"])
    cents = con.execute("SELECT SUM(CAST(ROUND(total_amount * 100) AS INTEGER)) FROM fact_sales WHERE batch_ds = ?", (DS,)).fetchone()[0]
    con.close()
    warehouse = (Decimal(cents) / 100).quantize(Decimal("0.01"))
    landing_total = Decimal(expected_from_landing(Path(landing), [DS])["revenue_total"])
    out = {"duckdb_curated": str(lake), "sqlite_warehouse": str(warehouse), "landing_recomputation": str(landing_total)}
    out["agree"] = lake == warehouse == landing_total
    return out


def compare(ours, peer):
    return [f"{k}: ours {ours[k]!r}, peer {peer.get(k)!r}" for k in ours if ours[k] != peer.get(k)]


def pg_section(work, size, ours_run, python):
    """Our warehouse load into PostgreSQL next to COPY FROM and COPY TO of the same rows."""
    import psycopg

    url = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    db = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(url, autocommit=True)
    except psycopg.OperationalError as e:
        return {"skipped": f"PostgreSQL does not answer at {url}: {e}"}
    admin.execute(f"CREATE DATABASE {db}")
    try:
        with open(os.path.join(ROOT, "config", "demo_config.yaml")) as f:
            text = f.read()
        head, rest = text.split("\nwarehouse:\n", 1)
        tail = rest.split("\n\n", 1)[1] if "\n\n" in rest else ""
        info = psycopg.conninfo.conninfo_to_dict(url)
        pg = (f"\nwarehouse:\n  client: postgres\n  connection:\n    host: {info.get('host', '127.0.0.1')}\n    port: {info.get('port', 5432)}\n"
              f"    user: {info.get('user', 'postgres')}\n    database: {db}\n  batch_size: 500\n\n")
        config = os.path.join(work, "runs", size, "pg_config.yaml")
        with open(config, "w") as f:
            f.write(head + pg + tail)
        env = ours_run["env"]
        r = measure(["node", "tasks/load-warehouse/dist/main.js", "--config", config, "--ds", DS, "--run-id", "bench-pg"], env=env)
        if r["exit"] != 0:
            return {"error": f"load-warehouse failed (exit {r['exit']}): {r['stderr'][-800:]}"}
        con = psycopg.connect(psycopg.conninfo.make_conninfo(url, dbname=db), autocommit=True)
        # The yardstick (as in npm run bench:star): the same fact rows by a plain COPY FROM (text format,
        # autocommit, from a local file) into an empty table of fact_sales's shape: its primary key and
        # indexes (LIKE ... INCLUDING ALL) and its foreign keys to the dimensions the load wrote. Ours is the
        # whole load-warehouse process (every table read from the lake and loaded, the commit), over the
        # same fact rows. COPY into a bare table (no index, no key) is shown for context.
        rows = con.execute("SELECT count(*) FROM fact_sales").fetchone()[0]
        dump = os.path.join(work, "runs", size, "pg_copy")
        os.makedirs(dump, exist_ok=True)
        file = os.path.join(dump, "fact_sales.tsv")
        started = time.perf_counter()
        with open(file, "wb") as f, con.cursor().copy("COPY fact_sales TO STDOUT") as cp:
            for chunk in cp:
                f.write(chunk)
        copy_to = time.perf_counter() - started
        con.execute("CREATE TABLE copy_fact_sales (LIKE fact_sales INCLUDING ALL)")
        con.execute("ALTER TABLE copy_fact_sales " + ", ".join(
            f"ADD FOREIGN KEY ({d}_key) REFERENCES dim_{d} ({d}_key)" for d in ("date", "customer", "product", "location")))
        con.execute("CREATE TABLE bare_fact_sales (LIKE fact_sales INCLUDING DEFAULTS)")

        def copy_from(table):
            started = time.perf_counter()
            with open(file, "rb") as f, con.cursor().copy(f"COPY {table} FROM STDIN") as cp:
                while chunk := f.read(1 << 20):
                    cp.write(chunk)
            return time.perf_counter() - started

        copy_from_s = copy_from("copy_fact_sales")
        bare_s = copy_from("bare_fact_sales")
        con.close()
        shutil.rmtree(dump, ignore_errors=True)
        res = {"rows": rows, "load_warehouse": {"seconds": r["seconds"], "peak_rss_mb": r["peak_rss_mb"], "rows_per_s": round(rows / r["seconds"])},
               "copy_from": {"seconds": round(copy_from_s, 3), "rows_per_s": round(rows / copy_from_s)},
               "copy_from_bare": {"seconds": round(bare_s, 3), "rows_per_s": round(rows / bare_s)},
               "copy_to": {"seconds": round(copy_to, 3), "rows_per_s": round(rows / copy_to)}, "load1": load1()}
        res["load_vs_copy_from"] = round(res["load_warehouse"]["rows_per_s"] / res["copy_from"]["rows_per_s"], 3)
        res["ingest"] = pg_ingest(work, size, env, info, db, rows)
        if "rows_per_s" in res["ingest"]:
            res["ingest_vs_copy_to"] = round(res["ingest"]["rows_per_s"] / res["copy_to"]["rows_per_s"], 3)
        return res
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        admin.close()


def pg_ingest(work, size, env, info, db, rows):
    """Our ingest step reading fact_sales back out of the warehouse (a database source) into a fresh
    lake: the same rows COPY TO dumped, through binary COPY, Arrow and Parquet."""
    config = os.path.join(work, "runs", size, "pg_ingest_config.json")
    source = {"name": "bench_pg", "kind": "database", "client": "postgres",
              "connection": {"host": info.get("host", "127.0.0.1"), "port": int(info.get("port", 5432)), "user": info.get("user", "postgres"), "database": db},
              "entities": [{"name": "fact_sales", "table": "fact_sales"}]}
    # The demo config as JSON (YAML's superset) with the source added, read by our own config loader.
    script = ("const {readConfig}=require('./libs/config/dist');const c=readConfig('config/demo_config.yaml',()=>undefined).config;"
              "process.stdout.write(JSON.stringify({...c,sources:[...c.sources,JSON.parse(process.argv[1])]}));")
    made = subprocess.run(["node", "-e", script, json.dumps(source)], cwd=ROOT, capture_output=True, text=True)
    if made.returncode != 0:
        return {"error": f"could not write the ingest config: {made.stderr[-500:]}"}
    with open(config, "w") as f:
        f.write(made.stdout)
    lake = os.path.join(work, "runs", size, "pg_ingest_lake")
    shutil.rmtree(lake, ignore_errors=True)
    r = measure(["node", "tasks/ingest/dist/main.js", "--config", config, "--ds", DS, "--run-id", "bench-pg-ingest", "--source", "bench_pg"], env={**env, "LAKE_ROOT": lake})
    shutil.rmtree(lake, ignore_errors=True)
    if r["exit"] != 0:
        return {"error": f"ingest failed (exit {r['exit']}): {r['stderr'][-800:]}"}
    landed = json.loads(r["stdout"].strip().splitlines()[-1]).get("rows_out")
    if landed != rows:
        return {"error": f"ingest landed {landed} rows, expected {rows}"}
    return {"seconds": r["seconds"], "peak_rss_mb": r["peak_rss_mb"], "rows_per_s": round(rows / r["seconds"])}


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def machine():
    mem = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":", 1)
            mem[k] = int(v.split()[0]) // 1024
    version = lambda cmd: subprocess.run(cmd, capture_output=True, text=True).stdout.strip() or subprocess.run(cmd, capture_output=True, text=True).stderr.strip()
    return {"cores": os.cpu_count(), "mem_total_mb": mem["MemTotal"], "mem_available_mb": mem["MemAvailable"], "load_avg": [round(x, 2) for x in os.getloadavg()],
            "node": version(["node", "--version"]), "python": platform.python_version(), "java": version(["java", "-version"]).splitlines()[0]}


def markdown(result):
    lines = [f"# Benchmark {result['started']}", "",
             f"Machine: {result['machine']['cores']} cores, {result['machine']['mem_total_mb']} MB; load average at start {result['machine']['load_avg']}, "
             f"at end {result['load_avg_end']} (shared machine: other work ran at the same time). Node {result['machine']['node']}, "
             f"Python {result['machine']['python']}, {result['machine']['java']}. Median of {result['repeats']} runs; raw -> curated "
             "(ingest, standardize, mask, star schema, checks), landing files generated once per size.", "",
             "| size | engine | seconds | CPU s | rows/s | peak RSS MB | ours/peer time | outputs match ours | load1 during |", "|---|---|---:|---:|---:|---:|---:|---|---|"]
    for size, s in result["sizes"].items():
        ours = s["engines"].get("ours")
        for engine, e in s["engines"].items():
            if "error" in e:
                lines.append(f"| {size} | {engine} | failed: {e['error'][-120:]!r} ||||||||")
                continue
            ratio = "" if engine == "ours" or not ours else f"{ours['seconds'] / e['seconds']:.2f}"
            match = "-" if engine == "ours" else ("yes" if not e["mismatches"] else f"NO ({len(e['mismatches'])})")
            lines.append(f"| {size} | {engine} | {e['seconds']:.1f} | {e.get('cpu_seconds', '')} | {e['rows_per_s']:,} | {e['peak_rss_mb']} | {ratio} | {match} | {e['load1']} |")
    lines += ["", "Our steps (median wall seconds, CPU seconds / peak RSS MB):", "", "| size | " + " | ".join(s[0] for s in OUR_STEPS) + " |", "|---|" + "---:|" * len(OUR_STEPS)]
    for size, s in result["sizes"].items():
        if "ours" in s["engines"]:
            st = s["engines"]["ours"]["steps"]
            lines.append(f"| {size} | " + " | ".join(f"{st[n[0]]['seconds']:.1f} s, {st[n[0]].get('cpu_seconds', '?')} CPU s / {st[n[0]]['peak_rss_mb']}" for n in OUR_STEPS) + " |")
    pgs = [(size, s["postgres"]) for size, s in result["sizes"].items() if s.get("postgres")]
    if pgs:
        lines += ["", "PostgreSQL warehouse load next to COPY of the same fact rows. Ours: the whole load-warehouse process (reads every",
                  "curated table from the lake, loads the dimensions and the fact, commits). COPY FROM: a plain COPY (text, from a local",
                  "file) of the same fact rows into an empty table with fact_sales's primary key, indexes and foreign keys; the bare",
                  "column is the same COPY into a table without them (context only). rows = fact rows on every side.", "",
                  "| size | fact rows | load-warehouse rows/s | COPY FROM rows/s | ours/COPY FROM | COPY FROM bare rows/s | COPY TO rows/s | load1 |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for size, pg in pgs:
            if "rows" in pg:
                lines.append(f"| {size} | {pg['rows']:,} | {pg['load_warehouse']['rows_per_s']:,} | {pg['copy_from']['rows_per_s']:,} | {pg['load_vs_copy_from']} | "
                             f"{pg.get('copy_from_bare', {}).get('rows_per_s', 0):,} | {pg['copy_to']['rows_per_s']:,} | {pg['load1']} |")
            else:
                lines.append(f"| {size} | {pg.get('skipped') or pg.get('error')} |||||||")
        lines += ["", "PostgreSQL ingest next to COPY TO of the same fact rows. Ours: the whole ingest process (a database source",
                  "reading fact_sales back through binary COPY, to Arrow, to ZSTD Parquet in a fresh local lake). COPY TO: the same",
                  "table dumped as text to a local file by psycopg.", "",
                  "| size | fact rows | ingest rows/s | COPY TO rows/s | ours/COPY TO | ingest peak RSS MB |", "|---|---:|---:|---:|---:|---:|"]
        for size, pg in pgs:
            ing = pg.get("ingest") or {}
            if "rows_per_s" in ing:
                lines.append(f"| {size} | {pg['rows']:,} | {ing['rows_per_s']:,} | {pg['copy_to']['rows_per_s']:,} | {pg['ingest_vs_copy_to']} | {ing['peak_rss_mb']} |")
            elif "rows" in pg:
                lines.append(f"| {size} | {pg['rows']:,} | {ing.get('error', 'not measured')} ||||")
    revs = [(size, s["revenue"]) for size, s in result["sizes"].items() if s.get("revenue")]
    if revs:
        lines += ["", "Revenue of the day, exact: DuckDB over our curated fact_sales, our SQLite warehouse (load-warehouse, summed in",
                  "integer cents), and the landing files recomputed in Python decimal (tests/calendar/expected_from_landing.py).", "",
                  "| size | DuckDB over curated | SQLite warehouse | landing recomputation | agree |", "|---|---:|---:|---:|---|"]
        for size, rev in revs:
            if "error" in rev:
                lines.append(f"| {size} | {rev['error'][-200:]!r} ||||")
            else:
                lines.append(f"| {size} | {rev['duckdb_curated']} | {rev['sqlite_warehouse']} | {rev['landing_recomputation']} | {'yes' if rev['agree'] else 'NO'} |")
    for size, s in result["sizes"].items():
        for engine, e in s["engines"].items():
            for m in e.get("mismatches", []):
                lines.append(f"- mismatch at {size}, {engine}: {m}")
    return "\n".join(lines) + "\n"


def main():
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--sizes", default="10k,1m,10m", help="comma-separated of " + ", ".join(SIZES))
    a.add_argument("--engines", default="ours,duckdb,pandas,pyspark", help="comma-separated of ours, " + ", ".join(PEERS))
    a.add_argument("--repeats", type=int, default=3, help="runs per engine and size; the median is reported")
    a.add_argument("--dir", default=os.path.join(ROOT, ".bench"), help="work folder (landing files are kept and reused)")
    a.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL load and COPY comparison")
    a.add_argument("--no-revenue", action="store_true", help="skip the revenue check (a SQLite load and a Python decimal recomputation: minutes at 10 M)")
    args = a.parse_args()
    sizes = args.sizes.split(",")
    engines = args.engines.split(",")
    for s in sizes:
        if s not in SIZES:
            raise SystemExit(f"--sizes: unknown size {s!r}; use {', '.join(SIZES)}")
    for e in engines:
        if e != "ours" and e not in PEERS:
            raise SystemExit(f"--engines: unknown engine {e!r}; use ours, {', '.join(PEERS)}")
    work = os.path.abspath(args.dir)
    result = {"started": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "machine": machine(), "repeats": args.repeats, "sizes": {}}
    for size in sizes:
        landing, gen = generate(work, size)
        rows = gen["counts"]["transactions"] + 1
        runs = {e: [] for e in engines}
        # Engines take turns within each repeat, so a change in the machine's load hits them all alike.
        for repeat in range(args.repeats):
            for engine in engines:
                log(f"{size}: {engine} run {repeat + 1}/{args.repeats} (load {load1()})")
                if engine == "ours":
                    runs[engine].append(run_ours(work, size, landing, repeat))
                    continue
                try:
                    runs[engine].append(run_peer(work, size, landing, engine, repeat, sys.executable))
                except SystemExit as e:
                    # A peer that fails is reported as such; the others still run.
                    log(str(e)[-2000:])
                    runs[engine].append({"error": str(e)[-2000:]})
        entry = {"transactions_lines": rows, "generated": gen["counts"], "engines": {}}
        reference = output_figures("ours", runs["ours"][-1]["out"]) if "ours" in runs else None
        for engine, rs in runs.items():
            failed = [r["error"] for r in rs if "error" in r]
            if failed:
                entry["engines"][engine] = {"error": failed[0]}
                continue
            seconds = median_of(rs, "seconds")
            e = {"seconds": round(seconds, 3), "cpu_seconds": round(median_of(rs, "cpu_seconds"), 2), "rows_per_s": round(rows / seconds), "peak_rss_mb": round(median_of(rs, "peak_rss_mb")),
                 "runs": [{"seconds": r["seconds"], "peak_rss_mb": r["peak_rss_mb"]} for r in rs]}
            if engine == "ours":
                e["load1"] = [s["load1"] for s in rs[-1]["steps"]][-1]
                e["steps"] = {n: {"seconds": round(statistics.median(r["steps"][i]["seconds"] for r in rs), 3),
                                  "cpu_seconds": round(statistics.median(r["steps"][i]["cpu_seconds"] for r in rs), 2),
                                  "peak_rss_mb": round(statistics.median(r["steps"][i]["peak_rss_mb"] for r in rs))} for i, (n, *_rest) in enumerate(OUR_STEPS)}
                e["figures"] = reference
            else:
                e["load1"] = rs[-1]["load1"]
                e["figures"] = output_figures(engine, rs[-1]["out"])
                e["checks_failed"] = rs[-1]["summary"]["failed"]
                e["mismatches"] = (compare(reference, e["figures"]) if reference else []) + [f"check failed: {c}" for c in e["checks_failed"]]
            entry["engines"][engine] = e
        if "ours" in runs and "error" not in runs["ours"][-1] and not args.no_revenue:
            log(f"{size}: revenue to the cent (lake, SQLite warehouse, landing recomputation)")
            entry["revenue"] = revenue_check(runs["ours"][-1], landing)
        if "ours" in runs and not args.no_postgres:
            log(f"{size}: PostgreSQL load and COPY")
            entry["postgres"] = pg_section(work, size, runs["ours"][-1], sys.executable)
        for engine, rs in runs.items():
            for r in rs:
                if "out" in r:
                    shutil.rmtree(r["out"], ignore_errors=True)
        result["sizes"][size] = entry
        # Written after every size, so a long run that is stopped still leaves the sizes it finished.
        md, stem = write_results(work, result)
    sys.stdout.write(md + f"\n(written to {stem}.md and .json)\n")


def write_results(work, result):
    result["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    os.makedirs(os.path.join(work, "results"), exist_ok=True)
    stem = os.path.join(work, "results", "bench-" + result["started"].replace(":", ""))
    with open(stem + ".json", "w") as f:
        json.dump(result, f, indent=1)
    md = markdown(result)
    with open(stem + ".md", "w") as f:
        f.write(md)
    return md, stem


if __name__ == "__main__":
    main()
