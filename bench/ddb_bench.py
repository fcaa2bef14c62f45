#!/usr/bin/env python3
"""DynamoDB on thaw against its floors, all in one run (issue 15, "Measure").

Starts `thaw serve` with its defaults (durability as shipped: a write is answered after its
commit, item and stream record together) on a free loopback port, runs bench/ddbload (Go,
every request SigV4-signed as sent; PutItem and GetItem with 1 and 8 clients on a table with a
NEW_AND_OLD_IMAGES stream, Query over 1,000 items, write -> record readable through GetRecords),
and beside it the floors:
  - one loopback HTTP exchange: bench/floor -mode=direct (a Go client and a Go echo server in
    another process, keep-alive, 1 client);
  - one 4 KiB write + fdatasync in the state directory's file system: the commit each PutItem's
    answer waits for (8 clients in a closed loop give a group commit at most 8 writes);
  - a SQLite point read: Python's sqlite3, SELECT by primary key on a table shaped like thaw's
    (WITHOUT ROWID, (pk, sk) key, a ~100-byte item), WAL, timed per call (Python's own call
    overhead, about a microsecond, is in it: the floor is a little high, never too low).
Prints a table with the issue's goals as ratios, and one JSON object (--json FILE).

  bench/ddb_bench.py            # the full run (~1-2 min)
  bench/ddb_bench.py --smoke    # a few seconds
"""

import argparse
import json
import os
import platform
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GO = os.environ.get("GO") or next(
    (p for p in ["/usr/local/go/bin/go"] if os.path.exists(p)), "go")


def go_build(out):
    subprocess.run([GO, "build", "-o", str(out) + "/", "./ddbload", "./floor"],
                   cwd=ROOT / "bench", check=True)


def sqlite_point_read(path, rows, reads):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE items (pk TEXT NOT NULL, sk BLOB NOT NULL, item BLOB NOT NULL,"
               " PRIMARY KEY (pk, sk)) WITHOUT ROWID")
    payload = os.urandom(100)
    db.execute("BEGIN")
    db.executemany("INSERT INTO items VALUES (?, ?, ?)",
                   ((f"c1-{i}", b"\x00", payload) for i in range(rows)))
    db.execute("COMMIT")
    query = "SELECT item FROM items WHERE pk = ? AND sk = ?"
    lat = []
    clock = time.perf_counter_ns
    for i in range(reads):
        key = (f"c1-{(i * 7919) % rows}", b"\x00")
        start = clock()
        row = db.execute(query, key).fetchone()
        lat.append(clock() - start)
        assert row is not None
    db.close()
    lat = sorted(lat[reads // 10:])
    return {"name": "sqlite_point_read", "n": len(lat),
            "p50_us": lat[len(lat) // 2] / 1000, "p99_us": lat[int(len(lat) * 0.99)] / 1000}


def fdatasync_floor(path, n):
    """One 4 KiB write + fdatasync: the commit under every PutItem's answer."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    lat = []
    try:
        block = os.urandom(4096)
        for i in range(n):
            start = time.perf_counter_ns()
            os.pwrite(fd, block, (i % 16) * 4096)
            os.fdatasync(fd)
            lat.append(time.perf_counter_ns() - start)
    finally:
        os.close(fd)
    lat.sort()
    return {"name": "fdatasync_4k", "n": n, "p50_us": lat[n // 2] / 1000,
            "p99_us": lat[int(n * 0.99)] / 1000}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--thaw", default=str(ROOT / "build" / "thaw"))
    args = ap.parse_args()
    n, nq, ns, nfloor = (2000, 30, 30, 3000) if args.smoke else (20000, 300, 300, 20000)

    with tempfile.TemporaryDirectory(prefix="thaw-ddb-bench.") as tmp:
        tmp = Path(tmp)
        go_build(tmp)
        port = free_port()
        log = open(tmp / "serve.log", "w")
        server = subprocess.Popen([args.thaw, "serve", "--listen", f"127.0.0.1:{port}",
                                   "--state-dir", str(tmp / "state")], stderr=log)
        try:
            endpoint = f"http://127.0.0.1:{port}"
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIATHAWBENCH0000000",
                       AWS_SECRET_ACCESS_KEY="thaw-bench-secret")
            load_before = os.getloadavg()
            http = json.loads(subprocess.run(
                [str(tmp / "floor"), "-mode=direct", "-n", str(nfloor), "-c", "1"],
                capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
            sync_path = str(tmp / "state" / "fsync-floor")
            sync_before = fdatasync_floor(sync_path, 50 if args.smoke else 300)
            ddb = subprocess.run([str(tmp / "ddbload"), "-endpoint", endpoint, "-n", str(n),
                                  "-nq", str(nq), "-ns", str(ns)],
                                 capture_output=True, text=True, env=env)
            sys.stderr.write(ddb.stderr)
            sys.stderr.flush()
            if ddb.returncode != 0:
                sys.exit(f"ddb_bench: ddbload failed (exit {ddb.returncode})")
            results = {r["name"]: r for r in map(json.loads, ddb.stdout.strip().splitlines())}
            sql = sqlite_point_read(str(tmp / "floor.db"), max(n, 1000), nfloor)
            sync_after = fdatasync_floor(sync_path, 50 if args.smoke else 300)
            load_after = os.getloadavg()
        finally:
            server.terminate()
            server.wait()

    floor = sql["p50_us"] + http["p50_us"]
    get = results["get_c1"]["p50_us"]
    puts = results["put_c8"]["throughput_rps"]
    errors = sum(r.get("errors", 0) for r in results.values())
    cpu = next((re.sub(r".*:\s*", "", line) for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    summary = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{cpu.strip()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
        "loadavg_before": load_before, "loadavg_after": load_after,
        "floors": {"http_exchange": http, "sqlite_point_read": sql, "sum_p50_us": floor,
                   "fdatasync_before": sync_before, "fdatasync_after": sync_after},
        "results": results,
        "goals": {"get_p50_over_floor": get / floor, "get_p50_goal_max": 2.0,
                  "put_c8_per_s": puts, "put_c8_goal_min": 5000},
        "errors": errors,
    }
    print(f"\n{summary['date']}  {summary['machine']}")
    print("load average before %.2f %.2f %.2f, after %.2f %.2f %.2f" % (*load_before, *load_after))
    print(f"floor: loopback HTTP exchange p50 {http['p50_us']:.1f} us, "
          f"SQLite point read p50 {sql['p50_us']:.1f} us, sum {floor:.1f} us")
    # fdatasync's cost here moves a lot with the other work on the disk: measured before and after.
    for when, sync in [("before", sync_before), ("after", sync_after)]:
        print(f"commit floor {when}: 4 KiB write + fdatasync in the state directory p50"
              f" {sync['p50_us']:.0f} us (8 clients, at most 8 writes a commit:"
              f" <= {8e6 / sync['p50_us']:.0f} PutItem/s)")
    print(f"{'':12} {'clients':>7} {'p50 us':>9} {'p99 us':>9} {'per s':>8} {'p50/floor':>9}")
    for name in ["put_c1", "put_c8", "get_c1", "get_c8", "query_1000", "stream_lag"]:
        r = results[name]
        print(f"{name:12} {r['concurrency']:7} {r['p50_us']:9.1f} {r['p99_us']:9.1f} "
              f"{r['throughput_rps']:8.0f} {r['p50_us'] / floor:8.1f}x")
    print(f"goal GetItem p50 <= 2 x floor: {get / floor:.2f} x "
          f"({'met' if get / floor <= 2 else 'NOT met'})")
    print(f"goal >= 5,000 PutItem/s from 8 signed clients, stream on: {puts:.0f}/s "
          f"({'met' if puts >= 5000 else 'NOT met'})")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1) + "\n")
    if errors:
        sys.exit(f"ddb_bench: {errors} request(s) failed")


if __name__ == "__main__":
    main()
