"""`mdbus demo --metrics`: while the demo runs, `/metrics` parses with Prometheus' own text
parsers (the OpenMetrics one and the classic one, from the `prometheus_client` package) and
holds every family the operator's dashboards use, with the labels Prometheus conventions ask
for.

Run: MDBUS=target/debug/mdbus python -m pytest tests/clients/test_metrics.py
(`scripts/test` installs `prometheus_client` into its virtual environment).
"""

import os
import re
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

MDBUS = os.environ.get("MDBUS", "target/debug/mdbus")

from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families as classic_families

FAMILIES = {
    # name: (type, labels every sample carries)
    "mdbus_feed_frames": ("counter", {"feed", "venue"}),
    "mdbus_feed_records": ("counter", {"feed", "venue"}),
    "mdbus_feed_decode_errors": ("counter", {"feed", "venue"}),
    "mdbus_feed_value_errors": ("counter", {"feed", "venue"}),
    "mdbus_feed_snapshots": ("counter", {"feed", "venue"}),
    "mdbus_feed_snapshot_failures": ("counter", {"feed", "venue"}),
    "mdbus_feed_gaps": ("counter", {"feed", "venue"}),
    "mdbus_feed_resyncs": ("counter", {"feed", "venue"}),
    "mdbus_feed_failed_connects": ("counter", {"feed", "venue"}),
    "mdbus_feed_books_live": ("gauge", {"feed", "venue"}),
    "mdbus_conn_frames": ("counter", {"feed", "venue", "conn"}),
    "mdbus_conn_bytes": ("counter", {"feed", "venue", "conn"}),
    "mdbus_conn_connects": ("counter", {"feed", "venue", "conn"}),
    "mdbus_conn_reconnects": ("counter", {"feed", "venue", "conn"}),
    "mdbus_conn_up": ("gauge", {"feed", "venue", "conn"}),
    "mdbus_ring_head": ("gauge", {"ring"}),
    "mdbus_ring_writer_alive": ("gauge", {"ring"}),
    "mdbus_ring_heartbeat_age_seconds": ("gauge", {"ring"}),
    "mdbus_ring_publish_rate": ("gauge", {"ring"}),
    "mdbus_ring_readers": ("gauge", {"ring"}),
    "mdbus_ring_reader_lag": ("gauge", {"ring"}),
    "mdbus_ring_reader_lost": ("gauge", {"ring"}),
    "mdbus_stage_latency_seconds": ("histogram", {"ring", "stage"}),
}


class DemoMetrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mdbus-metrics-")
        cls.demo = subprocess.Popen(
            [MDBUS, "--dir", cls.dir, "demo", "--seconds", "8", "--metrics", "127.0.0.1:0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        url = None
        deadline = time.time() + 60
        while url is None and time.time() < deadline:
            line = cls.demo.stdout.readline()
            if not line:
                break
            m = re.search(r"metrics on (http://\S+/metrics)", line)
            if m:
                url = m.group(1)
        if url is None:
            cls.demo.kill()
            raise AssertionError("the demo did not announce its metrics address")
        cls.url = url
        # Let the feeder report and the follower read records, then scrape twice (rates).
        time.sleep(3)
        urllib.request.urlopen(url, timeout=10).read()
        time.sleep(1.5)
        with urllib.request.urlopen(url, timeout=10) as r:
            cls.content_type = r.headers.get("Content-Type", "")
            cls.text = r.read().decode()
        cls.missing = urllib.request.Request(url.replace("/metrics", "/nothing"))

    @classmethod
    def tearDownClass(cls):
        cls.demo.stdout.read()
        cls.demo.wait(timeout=60)

    def test_exposition_is_openmetrics_text(self):
        self.assertIn("application/openmetrics-text", self.content_type)
        self.assertTrue(self.text.rstrip().endswith("# EOF"), self.text[-200:])
        for name, (kind, _) in FAMILIES.items():
            self.assertIn(f"# TYPE {name} {kind}\n", self.text, name)

    def test_other_paths_are_404(self):
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(self.missing, timeout=10)
        self.assertEqual(e.exception.code, 404)

    def test_values_show_a_live_feed(self):
        def value(metric):
            m = re.search(rf"^{metric}(?:_total)?\{{[^}}]*\}} ([0-9.e+-]+)$", self.text, re.M)
            self.assertIsNotNone(m, metric)
            return float(m.group(1))

        self.assertGreater(value("mdbus_feed_frames"), 100)
        self.assertGreater(value("mdbus_conn_bytes"), 1000)
        self.assertEqual(value("mdbus_conn_up"), 1.0)
        self.assertEqual(value("mdbus_feed_decode_errors"), 0.0)
        self.assertRegex(self.text, r'mdbus_stage_latency_seconds_count\{ring="[^"]+\.book",stage="receive_to_publish"\} [1-9]')

    def test_the_grafana_dashboard_asks_only_for_served_metrics(self):
        import json

        path = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "grafana", "mdbus-feeder.json")
        with open(path) as f:
            dash = json.load(f)
        exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
        self.assertTrue(exprs)
        for e in exprs:
            for name in re.findall(r"\bmdbus_[a-z_]+", e):
                self.assertRegex(self.text, rf"(?m)^{name}(\{{| )", f"{name} in {e}")

    def test_prometheus_parsers_read_every_family_with_its_labels(self):
        families = {f.name: f for f in openmetrics_families(self.text)}
        for name, (kind, labels) in FAMILIES.items():
            self.assertIn(name, families)
            f = families[name]
            self.assertEqual(f.type, kind, name)
            self.assertTrue(f.samples, name)
            for s in f.samples:
                self.assertTrue(labels <= set(s.labels), (name, s.labels))
        buckets = [s for s in families["mdbus_stage_latency_seconds"].samples if s.name.endswith("_bucket")]
        inf = [s for s in buckets if s.labels["le"] == "+Inf"]
        count = {(s.labels["ring"], s.labels["stage"]): s.value for s in families["mdbus_stage_latency_seconds"].samples if s.name.endswith("_count")}
        for s in inf:
            self.assertEqual(s.value, count[(s.labels["ring"], s.labels["stage"])], "the +Inf bucket holds every sample")
        classic = {f.name for f in classic_families(self.text.replace("# EOF\n", ""))}
        for name in FAMILIES:
            self.assertIn(name, classic)


if __name__ == "__main__":
    sys.exit(unittest.main())
