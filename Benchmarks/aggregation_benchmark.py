#!/usr/bin/env python3
"""Local executor benchmark: `meshnode local-query` against DuckDB and SQLite, and the
time to get one site's data in: `meshnode import` and a node's start against DuckDB's CSV load.

One synthetic site of about 1,000,000 imaging studies (`meshnode synth`), imported with
`meshnode import`; the same three queries run by our columnar executor, by DuckDB on the
same CSV (in-memory table) and by SQLite on the imported database, in one run on one
machine. Each engine runs each query `--runs` times after a warm-up; the table reports
medians and the ratios ours/theirs (below 1.0 means we are faster).

Loading, each `--load-runs` times, medians:
- `meshnode import` of the CSV into a new database, wall time of the process;
- DuckDB `CREATE TABLE AS SELECT * FROM read_csv_auto(...)` of the same CSV, in memory;
- a node's start: `meshnode run` of a node folder holding that site, from exec until the
  node writes its first status file, which it does once the snapshot (with the record keys
  under the node's secret) is loaded, the catalogue built and the node serving;
- the snapshot load alone without record keys, as `local-query --timing` reports it.

Run from the repository root:  make benchmark-aggregation
"""

import argparse
import json
import os
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

QUERIES = {
    "a: distinct subjects, IN + BETWEEN, by modality, sex": {
        "ours": "SELECT COUNT(DISTINCT subject) FROM cases "
        "WHERE diagnosis IN ('C50', 'C61', 'C34') AND age_at_diagnosis BETWEEN 40 AND 70 "
        "GROUP BY modality, sex",
        "sql": "SELECT modality, sex, COUNT(DISTINCT subject_id) FROM cases "
        "WHERE diagnosis IN ('C50', 'C61', 'C34') AND age_at_diagnosis BETWEEN 40 AND 70 "
        "GROUP BY modality, sex",
    },
    "b: histogram of age, 10 bins": {
        "ours": "SELECT HISTOGRAM(age_at_diagnosis, 0, 100, 10) FROM cases",
        "sql": "SELECT CASE WHEN age_at_diagnosis < 0 THEN -1 WHEN age_at_diagnosis >= 100 THEN 10 "
        "ELSE CAST(floor((age_at_diagnosis - 0) * 10 / 100) AS INTEGER) END AS bin, "
        "COUNT(DISTINCT subject_id) FROM cases GROUP BY bin",
    },
    "c: AVG/STDDEV of slice thickness by manufacturer": {
        "ours": "SELECT AVG(slice_thickness_mm), STDDEV(slice_thickness_mm) FROM cases GROUP BY manufacturer",
        # SQLite has no STDDEV: the sample standard deviation from sums, as the engine would.
        "sqlite": "SELECT manufacturer, AVG(slice_thickness_mm), "
        "sqrt((SUM(slice_thickness_mm * slice_thickness_mm) - SUM(slice_thickness_mm) * SUM(slice_thickness_mm) / COUNT(slice_thickness_mm)) "
        "/ (COUNT(slice_thickness_mm) - 1)) FROM cases GROUP BY manufacturer",
        "duckdb": "SELECT manufacturer, AVG(slice_thickness_mm), STDDEV_SAMP(slice_thickness_mm) FROM cases GROUP BY manufacturer",
    },
}


def differ(a, b):
    if a is None or b is None:
        return a is not b
    return abs(float(a) - float(b)) > 1e-9 * max(1.0, abs(float(b)))


def len_aggregates(query):
    return 2 if query["ours"].startswith("SELECT AVG") else 1


def bin_label(index):
    """Our label of bin `index` of BIN(age, 0, 100, 10)."""
    if index < 0:
        return "<0"
    if index >= 10:
        return ">=100"
    return f"[{index * 10},{index * 10 + 10})"


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{result.stdout}\n{result.stderr}")
    return result


def time_sql(execute, sql, runs):
    execute(sql)  # warm-up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        execute(sql)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def timed_process(command):
    """Wall seconds of one run of `command`, which must succeed."""
    start = time.perf_counter()
    run(command)
    return time.perf_counter() - start


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def node_start_seconds(meshnode, folder, timeout_seconds=120.0):
    """Seconds from exec of `meshnode run` until the node's first status file: written after
    the site snapshot is loaded and keyed, the catalogue built and the node serving."""
    status = os.path.join(folder, "status.json")
    if os.path.exists(status):
        os.remove(status)
    start = time.perf_counter()
    process = subprocess.Popen([meshnode, "run", "--config", os.path.join(folder, "node.yaml"), "--log-level", "warning"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while not os.path.exists(status):
            if process.poll() is not None:
                sys.exit(f"the node stopped before it was ready:\n{process.stderr.read()}")
            if time.perf_counter() - start > timeout_seconds:
                sys.exit(f"the node was not ready after {timeout_seconds} s")
            time.sleep(0.005)
        return time.perf_counter() - start
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def load_average():
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meshnode", required=True, help="path of a release-built meshnode")
    parser.add_argument("--subjects", type=int, default=352_000, help="subjects of the synthetic site (about 2.84 studies each: 1M studies)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--load-runs", type=int, default=5, help="runs of each load measurement (import, DuckDB load, node start)")
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()

    import duckdb  # installed by `make benchmark-aggregation`

    workdir = args.workdir or tempfile.mkdtemp(prefix="oncomesh-bench-")
    csv = os.path.join(workdir, "site.csv")
    db = os.path.join(workdir, "site.sqlite")
    if not os.path.exists(csv):
        run([args.meshnode, "synth", "--profile", "general", "--subjects", str(args.subjects), "--seed", "1", "--out", csv])
    load_average_at_start = load_average()
    import_samples = []
    for _ in range(args.load_runs):
        for leftover in (db, db + "-journal", db + "-wal", db + "-shm"):
            if os.path.exists(leftover):
                os.remove(leftover)
        import_samples.append(timed_process([args.meshnode, "import", "--db", db, "--csv", csv]))

    # A node folder (throwaway CA, loopback port) holding the same site, started repeatedly.
    ca = os.path.join(workdir, "ca")
    node = os.path.join(workdir, "node")
    if not os.path.exists(ca):
        run([args.meshnode, "ca", "init", "--dir", ca])
    if not os.path.exists(node):
        run([args.meshnode, "init", "--node-id", "bench", "--ca-dir", ca, "--listen", f"127.0.0.1:{free_port()}", "--dir", node])
    run([args.meshnode, "import", "--db", os.path.join(node, "site.sqlite"), "--csv", csv])
    start_samples = [node_start_seconds(args.meshnode, node) for _ in range(args.load_runs)]

    # Ours: the executor in-process, timed by local-query itself (load once, run N times).
    ours = {}
    load_ms = bytes_per_row = rows = resident_kib = None
    for name, query in QUERIES.items():
        result = run([args.meshnode, "local-query", "--db", db, "--timing", "--runs", str(args.runs + 1), query["ours"]])
        load = re.search(r"loaded (\d+) studies of (\d+) subjects in ([\d.]+) ms; snapshot (\d+) bytes \(([\d.]+) bytes per study\); resident (\d+) KiB", result.stderr)
        median = re.search(r"query median ([\d.]+) ms", result.stderr)
        rows, load_ms, bytes_per_row, resident_kib = int(load.group(1)), float(load.group(3)), float(load.group(5)), int(load.group(6))
        ours[name] = float(median.group(1))

    # DuckDB: the same CSV in an in-memory table, loaded --load-runs times.
    duck = duckdb.connect()
    duck_load_samples = []
    for attempt in range(args.load_runs):
        if attempt > 0:
            duck.execute("DROP TABLE cases")
        start = time.perf_counter()
        duck.execute(f"CREATE TABLE cases AS SELECT * FROM read_csv_auto('{csv}', header = true)")
        duck_load_samples.append(time.perf_counter() - start)
    duck_load_seconds = statistics.median(duck_load_samples)
    duck_threads = duck.execute("SELECT current_setting('threads')").fetchone()[0]
    duck_times = {name: time_sql(lambda s: duck.execute(s).fetchall(), q.get("duckdb") or q["sql"], args.runs) for name, q in QUERIES.items()}

    # The engines must agree before their speed means anything.
    for name, query in QUERIES.items():
        ours_json = json.loads(run([args.meshnode, "local-query", "--db", db, "--k", "1", "--format", "json", query["ours"]]).stdout)
        ours_rows = {tuple(row[:-len_aggregates(query)]): row[-len_aggregates(query):] for row in ours_json["rows"]}
        theirs = duck.execute(query.get("duckdb") or query["sql"]).fetchall()
        if len(theirs) != len(ours_rows):
            sys.exit(f"{name}: DuckDB has {len(theirs)} groups, ours {len(ours_rows)}")
        for row in theirs:
            values = list(row[-len_aggregates(query):])
            key = tuple(bin_label(v) if name.startswith("b") else v for v in row[:-len_aggregates(query)])
            mine = ours_rows.get(key)
            if mine is None or any(differ(a, b) for a, b in zip(mine, values)):
                sys.exit(f"{name}: group {key}: ours {mine}, DuckDB {values}")

    # SQLite: the database `meshnode import` wrote.
    lite = sqlite3.connect(db)
    lite_times = {name: time_sql(lambda s: lite.execute(s).fetchall(), q.get("sqlite") or q["sql"], args.runs) for name, q in QUERIES.items()}

    print(f"Site: {rows:,} studies (`meshnode synth --profile general --subjects {args.subjects} --seed 1`), "
          f"{os.cpu_count()} cores, DuckDB {duckdb.__version__} with {duck_threads} threads, SQLite {sqlite3.sqlite_version}; "
          f"medians of {args.runs} runs after a warm-up.\n")
    print("| query | ours (ms) | DuckDB (ms) | SQLite (ms) | ours / DuckDB | ours / SQLite |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in QUERIES:
        print(f"| {name} | {ours[name]:.2f} | {duck_times[name]:.2f} | {lite_times[name]:.2f} | "
              f"{ours[name] / duck_times[name]:.2f} | {ours[name] / lite_times[name]:.3f} |")
    print()
    print("Ours and DuckDB returned the same groups and values (checked before timing).")
    print(f"Snapshot: {bytes_per_row:.1f} bytes per study row in columns; process resident {resident_kib / 1024:.0f} MiB after load.")
    print()
    print(f"Loading the site, medians of {args.load_runs} runs (load average {load_average_at_start} at the start, {load_average()} at the end):\n")
    print("| step | median (s) | min-max (s) | ours / DuckDB CSV load |")
    print("|---|---:|---:|---:|")

    def line(name, samples, ratio=True):
        median = statistics.median(samples)
        share = f"{median / duck_load_seconds:.2f}" if ratio else ""
        print(f"| {name} | {median:.2f} | {min(samples):.2f}-{max(samples):.2f} | {share} |")

    line("DuckDB `CREATE TABLE AS SELECT * FROM read_csv_auto(...)`", duck_load_samples, ratio=False)
    line("`meshnode import` (validate, write table and stored snapshot, commit)", import_samples)
    line("node start: `meshnode run` until ready (snapshot loaded and keyed)", start_samples)
    print(f"| snapshot load without record keys (`local-query --timing`) | {load_ms / 1000:.2f} | | {load_ms / 1000 / duck_load_seconds:.2f} |")


if __name__ == "__main__":
    main()
