"""The Python reader against rings the Rust writer made (`mdbus internal write-sample`): every
record family decodes field by field, overruns report the exact lost count, a ring of another
layout is refused, and layout.json is the layout the Rust side prints.

Run: MDBUS=target/debug/mdbus python3 tools/python/test_reader.py
"""

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mdbus_reader  # noqa: E402
from mdbus_reader import LAYOUT, BadRing, LayoutMismatch, Overrun, Ring  # noqa: E402

WRITER_STARTED = 8

MDBUS = os.environ.get("MDBUS", os.path.join(os.path.dirname(__file__), "..", "..", "target", "debug", "mdbus"))

try:
    import numpy  # noqa: F401

    HAVE_NUMPY = True
except ImportError:
    HAVE_NUMPY = False


def expected(fam, i):
    """Record ``i`` of ``fam`` as `mdbus_tools::layout::sample_record` fills it."""
    out = {}
    for j, f in enumerate(fam["fields"]):
        if j == 0:
            continue
        name, ty, size = f["name"], f["type"], f["size"]
        if name.startswith("_pad"):
            continue
        if ty in ("Asset", "OrderId", "Symbol"):
            out[name] = ("t%d.%d" % (i, j))[:size]
        elif ty.startswith("[Level;"):
            out[name] = [(100 * i + k, k + 1) for k in range(size // 16)]
        elif ty.startswith("["):
            continue
        elif size == 8:
            out[name] = 1000 * i + j
        elif size == 4:
            out[name] = 100 * i + j
        elif size == 2:
            out[name] = 10 * i + j
        elif size == 1:
            out[name] = (i + j) % 100
    return out


class ReaderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mdbus-py-")
        # 100 records in 128 slots: all present. 300 in 128: the oldest are overwritten.
        subprocess.run([MDBUS, "internal", "write-sample", "--dir", os.path.join(cls.dir, "full"), "--records", "100", "--capacity", "128"], check=True)
        subprocess.run([MDBUS, "internal", "write-sample", "--dir", os.path.join(cls.dir, "lapped"), "--records", "300", "--capacity", "128"], check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def ring(self, which, fam, start="oldest"):
        return Ring(os.path.join(self.dir, which, "sample.%s.ring" % fam["name"]), start=start)

    def test_layout_json_is_what_the_rust_side_prints(self):
        printed = json.loads(subprocess.run([MDBUS, "layout"], check=True, capture_output=True, text=True).stdout)
        self.assertEqual(printed, LAYOUT, "regenerate tools/python/mdbus_reader/layout.json with `mdbus layout`")
        self.assertEqual(mdbus_reader.LAYOUT_HASH, int(printed["layout_hash"]))

    def test_every_family_decodes_field_by_field(self):
        self.assertEqual(len(LAYOUT["families"]), 10)
        for fam in LAYOUT["families"]:
            with self.ring("full", fam) as r:
                self.assertEqual(r.family, fam["name"])
                got = []
                while True:
                    rec = r.try_read()
                    if rec is None:
                        break
                    got.append(rec)
            # A writer's first record is its `writer_started` marker.
            marker = next(f for f in LAYOUT["families"] if f["name"] == "marker")
            self.assertEqual((got[0]["header"]["kind"], got[0]["code"]), (marker["kind"], WRITER_STARTED))
            got = got[1:]
            self.assertEqual(len(got), 100, fam["name"])
            for i, rec in enumerate(got):
                h = rec["header"]
                self.assertEqual((h["seq"], h["kind"], h["instrument"], h["venue_seq"]), (i + 1, fam["kind"], 7, i), fam["name"])
                self.assertEqual((h["venue_ts"], h["recv_ts"], h["publish_ts"]), (10 * i, 10 * i + 1, 10 * i + 2))
                for name, want in expected(fam, i).items():
                    self.assertEqual(rec[name], want, "%s record %d field %s" % (fam["name"], i, name))

    def test_overrun_reports_the_exact_lost_count(self):
        for fam in LAYOUT["families"]:
            with self.ring("lapped", fam, start=0) as r:
                with self.assertRaises(Overrun) as e:
                    r.try_read()
                # 301 records (the marker first) in 128 slots.
                self.assertEqual(e.exception.lost, 301 - 128, fam["name"])
                seqs = []
                while True:
                    rec = r.try_read()
                    if rec is None:
                        break
                    seqs.append(rec["header"]["seq"])
                self.assertEqual(seqs, list(range(173, 301)))
                self.assertEqual(r.lost, 173)
                self.assertEqual(r.lag(), 0)

    @unittest.skipUnless(HAVE_NUMPY, "numpy is not installed")
    def test_numpy_arrays_match_the_dicts(self):
        for fam in LAYOUT["families"]:
            with self.ring("full", fam) as r:
                arr, lost = r.read_array()
            if fam["name"] == "marker":
                # The writer_started marker is a marker too.
                self.assertEqual((len(arr), lost), (101, 0))
                arr = arr[1:]
            else:
                self.assertEqual((len(arr), lost, len(r.markers)), (100, 0, 1))
            self.assertEqual(list(arr["header"]["venue_seq"]), list(range(100)))
            for name, want in expected(fam, 42).items():
                v = arr[42][name]
                if isinstance(want, str):
                    self.assertEqual(v.decode(), want)
                elif isinstance(want, list):
                    self.assertEqual([(int(p), int(q)) for p, q in v], want)
                else:
                    self.assertEqual(int(v), want, "%s.%s" % (fam["name"], name))
        with self.ring("lapped", LAYOUT["families"][1], start=0) as r:
            arr, lost = r.read_array()
        self.assertEqual((len(arr), lost), (128, 173))
        self.assertEqual(list(arr["header"]["seq"]), list(range(173, 301)))

    def test_a_ring_of_another_layout_is_refused(self):
        src = os.path.join(self.dir, "full", "sample.trade.ring")
        bad = os.path.join(self.dir, "other-layout.ring")
        shutil.copy(src, bad)
        with open(bad, "r+b") as f:
            f.seek(16)
            f.write(struct.pack("<Q", mdbus_reader.LAYOUT_HASH ^ 1))
        with self.assertRaises(LayoutMismatch):
            Ring(bad)
        not_ring = os.path.join(self.dir, "not-a-ring")
        with open(not_ring, "wb") as f:
            f.write(b"\0" * 8192)
        with self.assertRaises(BadRing):
            Ring(not_ring)

    def _copy(self, name):
        src = os.path.join(self.dir, "full", "sample.trade.ring")
        dst = os.path.join(self.dir, name)
        shutil.copy(src, dst)
        return dst

    def _patch(self, path, word, value):
        with open(path, "r+b") as f:
            f.seek(8 * word)
            f.write(struct.pack("<Q", value))

    def test_hostile_files_give_the_errors_the_rust_side_gives(self):
        import threading

        # A FIFO under a ring's name: refused at once, nothing waits.
        fifo = os.path.join(self.dir, "x.ring")
        os.mkfifo(fifo)
        got = []
        t = threading.Thread(target=lambda: got.append(self._raises(lambda: Ring(fifo))), daemon=True)
        t.start()
        t.join(5)
        self.assertFalse(t.is_alive(), "opening a FIFO hangs")
        self.assertIsInstance(got[0], mdbus_reader.NotARegularFile)
        self.assertIn("FIFO", str(got[0]))
        # A directory.
        d = os.path.join(self.dir, "d.ring")
        os.mkdir(d)
        self.assertIsInstance(self._raises(lambda: Ring(d)), mdbus_reader.NotARegularFile)
        # Capacity 0, and one that is not a power of two.
        for cap in (0, 1, 3, 1 << 33):
            p = self._copy("cap%d.ring" % cap)
            self._patch(p, 4, cap)
            e = self._raises(lambda: Ring(p))
            self.assertIsInstance(e, BadRing)
            self.assertIn("capacity %d" % cap, str(e))
        # One byte short: reported with the real size.
        p = self._copy("short.ring")
        size = os.path.getsize(p)
        os.truncate(p, size - 1)
        e = self._raises(lambda: Ring(p))
        self.assertIn("%d bytes, %d expected" % (size - 1, size), str(e))
        # A head past any reachable sequence.
        p = self._copy("head.ring")
        self._patch(p, 48, (1 << 64) - 1)
        self.assertIn("head", str(self._raises(lambda: Ring(p, start="head"))))
        # A start out of range.
        p = self._copy("start.ring")
        self.assertIsInstance(self._raises(lambda: Ring(p, start=1 << 63)), ValueError)

    def test_a_record_of_an_unknown_kind_is_a_typed_error(self):
        p = self._copy("unknown.ring")
        with Ring(p, start="oldest") as r:
            seq = r.next
            # The first record's kind byte (word 1 of the slot, its first byte).
            base = 4096 + (seq % r.capacity) * r.record_size
        with open(p, "r+b") as f:
            f.seek(base + 8)
            f.write(bytes([250]))
        with Ring(p, start="oldest") as r:
            e = self._raises(r.try_read)
        self.assertIsInstance(e, mdbus_reader.UnknownRecord)
        self.assertEqual((e.kind, e.seq), (250, seq))

    @staticmethod
    def _raises(f):
        try:
            f()
        except Exception as e:  # noqa: BLE001 - the test looks at the type
            return e
        raise AssertionError("no error")

    def test_the_layout_hash_is_computed_like_the_rust_side(self):
        changed = json.loads(json.dumps(LAYOUT))
        changed["families"][1]["fields"][1]["offset"] += 8
        self.assertNotEqual(mdbus_reader.layout_hash(changed), mdbus_reader.LAYOUT_HASH)
        self.assertTrue(re.fullmatch(r"\d+", LAYOUT["layout_hash"]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
