"""Records per second into Python, in one run: `Subscriber.poll()` (a dict per record, Decimal
prices where the instrument is known), `Subscriber.read_array()` (one numpy array), the old
pure-Python reader mdbus shipped before this package (kept beside this script as the baseline
only, `pure_python_reader`, a dict per record), and as the floor a Python
loop popping the same number of ready-made tuples off a `collections.deque`.

Run (with the package installed): MDBUS=target/debug/mdbus python sdk/python/bench/bench.py [RECORDS]
"""

import collections
import os
import shutil
import subprocess
import sys
import tempfile
import time

import mdbus

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pure_python_reader  # noqa: E402

MDBUS = os.environ.get("MDBUS", os.path.join(HERE, "..", "..", "..", "target", "debug", "mdbus"))


def rate(n, seconds):
    return n / seconds if seconds > 0 else float("inf")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    if pure_python_reader.LAYOUT_HASH != mdbus.layout()["layout_hash"]:
        sys.exit("the baseline's layout.json is stale: mdbus layout > sdk/python/bench/pure_python_reader/layout.json")
    d = tempfile.mkdtemp(prefix="mdbus-py-bench-")
    try:
        cap = 1 << (n + 1).bit_length()
        subprocess.run([MDBUS, "internal", "write-sample", "--dir", d, "--records", str(n), "--capacity", str(cap)], check=True)
        path = os.path.join(d, "sample.trade.ring")
        out = {}

        s = mdbus.Subscriber("sample.trade", dir=d, start="oldest")
        t = time.perf_counter()
        got = 0
        while s.poll() is not None:
            got += 1
        out["poll"] = rate(got, time.perf_counter() - t)

        s = mdbus.Subscriber("sample.trade", dir=d, start="oldest")
        t = time.perf_counter()
        arr, _ = s.read_array()
        out["read_array"] = rate(len(arr), time.perf_counter() - t)

        r = pure_python_reader.Ring(path, start="oldest")
        t = time.perf_counter()
        old = 0
        while r.try_read() is not None:
            old += 1
        out["pure_python_reader"] = rate(old, time.perf_counter() - t)
        r.close()

        q = collections.deque((i, i, i) for i in range(got))
        t = time.perf_counter()
        floor = 0
        while q:
            q.popleft()
            floor += 1
        out["deque_floor"] = rate(floor, time.perf_counter() - t)

        print(f"records: {got}")
        for k, v in out.items():
            print(f"{k:<20} {v / 1e6:8.3f} M records/s   {v / out['deque_floor']:6.3f} x the deque floor")
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
