"""The `mdbus` Python package against what the Rust side made: rings a demo feeder wrote and
left behind, a ring lapped on purpose, a limiter file a Rust process takes budget from, the
venue simulator's REST market data, and the venues' documented signatures.

Run: python -m pytest sdk/python/tests (with `pip install ./sdk/python` done and MDBUS naming
the `mdbus` program).
"""

import decimal
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

import mdbus

MDBUS = os.environ.get("MDBUS", os.path.join(os.path.dirname(__file__), "..", "..", "..", "target", "debug", "mdbus"))


@pytest.fixture(scope="module")
def demo_dir():
    """A ring directory a demo (a simulator, the feeder and readers) ran in and left behind."""
    d = tempfile.mkdtemp(prefix="mdbus-py-demo-")
    out = subprocess.run([MDBUS, "--dir", d, "demo", "--seconds", "3", "--keep"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    yield d
    shutil.rmtree(d, ignore_errors=True)


def ring(d, kind):
    names = [f[: -len(".ring")] for f in os.listdir(d) if f.endswith(f".{kind}.ring")]
    assert names, os.listdir(d)
    return names[0]


def test_a_subscriber_reads_the_trades_the_feeder_wrote_with_decimal_prices(demo_dir):
    sub = mdbus.Subscriber(ring(demo_dir, "trade"), dir=demo_dir, start="oldest")
    assert sub.kind == "trade"
    trades = []
    while (rec := sub.poll()) is not None:
        if rec["kind"] == "trade":
            trades.append(rec)
    assert len(trades) > 100
    t = trades[-1]
    assert t["symbol"] in ("BTCUSDT", "ETHUSDT")
    assert isinstance(t["price"], decimal.Decimal) and t["price"] > 0
    assert isinstance(t["qty"], decimal.Decimal) and t["qty"] > 0
    assert t["side"] in ("buy", "sell")
    # The demo's exponents are -2 and -5: the Decimals carry exactly those places.
    assert t["price"].as_tuple().exponent == -2 and t["qty"].as_tuple().exponent == -5
    assert int(t["trade_id"]) == t["venue_seq"]
    assert sub.lost == 0


def test_read_array_returns_every_record_without_python_objects(demo_dir):
    np = pytest.importorskip("numpy")
    name = ring(demo_dir, "trade")
    count = 0
    s = mdbus.Subscriber(name, dir=demo_dir, start="oldest")
    while (rec := s.poll()) is not None:
        # A writer's start marker comes back as a `writer_restarted` event: a record all the same.
        count += 1
    arr, lost = mdbus.Subscriber(name, dir=demo_dir, start="oldest").read_array()
    assert lost == 0
    assert len(arr) == count
    assert arr.dtype == mdbus.dtype("trade")
    trades = arr[arr["kind"] == 2]
    assert (trades["price"] > 0).all() and (np.diff(trades["seq"]) > 0).all()


def test_markers_are_visible_and_the_book_table_is_read(demo_dir):
    sub = mdbus.Subscriber(ring(demo_dir, "book"), dir=demo_dir, start="oldest")
    codes = set()
    while (rec := sub.poll()) is not None:
        if rec["kind"] == "marker":
            codes.add(rec["code"])
    assert {"connected", "resync_done"} <= codes, codes
    feed = ring(demo_dir, "book")[: -len(".book")]
    b = mdbus.book(feed, "BTCUSDT", dir=demo_dir)
    # The demo has just ended: the table says live until its writer's heartbeat is old enough
    # to call it stale, and keeps the last book either way.
    assert b is not None and b["state"] in ("live", "stale"), b
    bids, asks = b["bids"], b["asks"]
    assert bids and asks and bids[0][0] < asks[0][0], "best bid below best ask"
    assert all(isinstance(p, decimal.Decimal) for p, _ in bids)
    assert mdbus.book(feed, "NOSUCH", dir=demo_dir) is None


def test_an_overrun_is_an_exact_count():
    d = tempfile.mkdtemp(prefix="mdbus-py-lap-")
    try:
        subprocess.run([MDBUS, "internal", "write-sample", "--dir", d, "--records", "1000", "--capacity", "128"], check=True)
        sub = mdbus.Subscriber("sample.trade", dir=d, start=0)
        first = sub.poll()
        assert first["kind"] == "lost"
        rest = 0
        while sub.poll() is not None:
            rest += 1
        # The writer's start marker, then the 1000 records.
        assert first["lost"] + rest == 1001, "every record read or counted as lost"
        assert 0 < rest <= 128 and sub.lost == first["lost"]
        with pytest.raises(mdbus.Overrun) as e:
            mdbus.Subscriber("sample.trade", dir=d, start=0, raise_on_loss=True).poll()
        assert e.value.args[1] == first["lost"]
        raw, lost, size = mdbus.Subscriber("sample.trade", dir=d, start=0).read_raw()
        assert lost == first["lost"] and len(raw) == rest * size
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_next_waits_and_returns_none_on_timeout(demo_dir):
    sub = mdbus.Subscriber(ring(demo_dir, "trade"), dir=demo_dir, start="head")
    t0 = time.monotonic()
    assert sub.next(timeout=0.2) is None
    assert 0.15 <= time.monotonic() - t0 < 5


def test_the_limiter_is_shared_with_a_rust_process():
    d = tempfile.mkdtemp(prefix="mdbus-py-limit-")
    try:
        path = os.path.join(d, "venue.limits")
        lim = mdbus.RateLimiter([mdbus.RateLimitRule.sliding_window("shared", 5, 60.0)], path=path)
        assert lim.shared
        assert [lim.try_acquire() for _ in range(3)] == [None, None, None]
        out = subprocess.run(
            [MDBUS, "internal", "limiter-take", "--path", path, "--limit", "5", "--interval-ms", "60000", "--count", "5"],
            capture_output=True, text=True, check=True,
        )
        assert out.stdout.strip() == "2", "the Rust process saw the 3 Python took"
        wait = lim.try_acquire()
        assert wait is not None and 0 < wait <= 120
        assert lim.acquire(timeout=0.05) is False
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_documented_signatures():
    # Binance's SIGNED endpoint example (HMAC SHA256 of the query string).
    secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
    query = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
    assert mdbus.sign("binance", secret, query, "") == "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    with pytest.raises(ValueError):
        mdbus.sign("binance", secret, query)
    # Every other venue gives what the Rust signer behind `mdbus sign` gives for the same input.
    env = dict(os.environ, SIGN_SECRET="s3cr3t")

    def rust(*args):
        return subprocess.run([MDBUS, "sign", "--secret-env", "SIGN_SECRET", *args], capture_output=True, text=True, check=True, env=env).stdout.strip()

    ts = "2026-12-05T01:02:03"
    assert mdbus.sign("htx", "s3cr3t", "GET", "api.huobi.pro", "/v1/account/accounts", "key1", ts) == rust(
        "--venue", "htx", "--method", "GET", "--host", "api.huobi.pro", "--path", "/v1/account/accounts", "--api-key", "key1", "--timestamp", ts
    )
    assert mdbus.sign("okx", "s3cr3t", "2020-12-08T09:08:57.715Z", "GET", "/api/v5/account/balance", "") == rust(
        "--venue", "okx", "--timestamp", "2020-12-08T09:08:57.715Z", "--method", "GET", "--path", "/api/v5/account/balance"
    )


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def okx_sim():
    port = free_port()
    p = subprocess.Popen([MDBUS, "sim", "--venue", "okx", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    p.kill()
    p.wait()


def test_a_venue_feed_by_registry_key_against_the_simulator(okx_sim):
    assert "OKX___SPOT" in mdbus.ExchangeRegistry.keys()
    feed = mdbus.ExchangeRegistry.create("OKX___SPOT", rest_url=okx_sim)
    insts = feed.instruments()
    btc = next(i for i in insts if i["symbol"] == "BTC-USDT")
    assert btc["tick_size"] == decimal.Decimal("0.01")
    q = feed.ticker("BTC-USDT")
    assert q["kind"] == "quote" and q["bid_price"] < q["ask_price"]
    d = feed.depth("BTC-USDT", 5)
    assert len(d["bids"]) == 5 and d["bids"][0][0] == q["bid_price"]
    trades = feed.trades("BTC-USDT", 10)
    assert trades and all(isinstance(t["price"], decimal.Decimal) for t in trades)
    assert feed.klines("BTC-USDT", "1m", 3)


def test_an_order_lifecycle_against_the_simulator(okx_sim):
    feed = mdbus.VenueFeed("OKX___SPOT", okx_sim, api_key="mdbus-sim-key", secret="mdbus-sim-secret", passphrase="mdbus-sim-pass")
    bid = feed.ticker("BTC-USDT")["bid_price"]
    price = (bid - decimal.Decimal("100")).quantize(decimal.Decimal("0.01"))
    placed = feed.place_limit("BTC-USDT", "buy", decimal.Decimal("0.01"), price, client_order_id="pyorder1")
    assert placed["status"] == "new" and placed["client_order_id"] == "pyorder1"
    assert placed["price"] == price and placed["qty"] == decimal.Decimal("0.01")
    assert feed.query_order("BTC-USDT", "pyorder1")["order_id"] == placed["order_id"]
    assert any(o["client_order_id"] == "pyorder1" for o in feed.open_orders("BTC-USDT"))
    assert any(b["asset"] == "USDT" and b["free"] > 0 for b in feed.balances())
    assert feed.cancel_order("BTC-USDT", "pyorder1")["status"] in ("canceled", "cancelled")
    assert not any(o["client_order_id"] == "pyorder1" for o in feed.open_orders("BTC-USDT"))
    with pytest.raises(mdbus.OrderNotFoundError):
        feed.query_order("BTC-USDT", "never-placed")
    bad = mdbus.VenueFeed("OKX___SPOT", okx_sim, api_key="mdbus-sim-key", secret="wrong", passphrase="mdbus-sim-pass")
    with pytest.raises(mdbus.AuthenticationError) as e:
        bad.balances()
    assert not mdbus.is_retryable(e.value)


def test_a_market_order_fills_against_the_simulators_book(okx_sim):
    feed = mdbus.VenueFeed("OKX___SPOT", okx_sim, api_key="mdbus-sim-key", secret="mdbus-sim-secret", passphrase="mdbus-sim-pass")
    done = feed.place_market("BTC-USDT", "sell", "0.01", client_order_id="pymarket1")
    assert done["client_order_id"] == "pymarket1" and done["side"] == "sell", done
    state = feed.query_order("BTC-USDT", "pymarket1")
    assert state["status"] == "filled" and state["filled"] == decimal.Decimal("0.01"), state
    assert not any(o["client_order_id"] == "pymarket1" for o in feed.open_orders("BTC-USDT"))
    with pytest.raises(ValueError):
        feed.place_market("BTC-USDT", "short", "0.01")
    # Gemini takes limit orders only: refused before anything is sent, as an invalid order.
    gemini = mdbus.VenueFeed("GEMINI___SPOT", okx_sim, api_key="mdbus-sim-key", secret="mdbus-sim-secret")
    with pytest.raises(mdbus.InvalidOrderError) as e:
        gemini.place_market("BTCUSD", "buy", "1")
    assert not mdbus.is_retryable(e.value)


def test_errors_mirror_the_taxonomy():
    with pytest.raises(mdbus.ExchangeNotFoundError) as e:
        mdbus.VenueFeed("NOWHERE___SPOT")
    assert isinstance(e.value, mdbus.BtApiError) and not mdbus.is_retryable(e.value)
    port = free_port()  # nothing listens there
    feed = mdbus.VenueFeed("OKX___SPOT", f"http://127.0.0.1:{port}")
    with pytest.raises(mdbus.BtApiError) as e:
        feed.instruments()
    assert mdbus.is_network_error(e.value), e.value.args
    assert mdbus.is_retryable(e.value)
    with pytest.raises(mdbus.RingError):
        mdbus.Subscriber("no-such-ring", dir=tempfile.mkdtemp(prefix="mdbus-py-none-"))
    with pytest.raises(ValueError):
        mdbus.Subscriber("x", start="middle")


def test_the_layout_hash_is_the_rust_one():
    out = subprocess.run([MDBUS, "layout"], capture_output=True, text=True, check=True).stdout
    assert str(mdbus.layout()["layout_hash"]) in out
    assert re.search(r'"schema_version":\s*%d' % mdbus.layout()["schema_version"], out)


@pytest.fixture(scope="module")
def sample_dir():
    """One ring per record family, filled with the layout test pattern by the Rust side."""
    d = tempfile.mkdtemp(prefix="mdbus-py-sample-")
    subprocess.run([MDBUS, "internal", "write-sample", "--dir", d, "--records", "100", "--capacity", "128"], check=True)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def pattern(fam, i):
    """Integer fields of record ``i`` of ``fam`` as `mdbus_tools::layout::sample_record` fills them."""
    out = {}
    for j, (name, _, size, ty) in enumerate(fam["fields"]):
        if j == 0 or name.startswith("_") or ty.startswith("[") or ty in ("Asset", "OrderId"):
            continue
        out[name] = {8: 1000 * i + j, 4: 100 * i + j, 2: 10 * i + j, 1: (i + j) % 100}[size]
    return out


def test_every_family_reads_field_by_field_into_numpy(sample_dir):
    pytest.importorskip("numpy")
    lay = mdbus.layout()
    assert len(lay["families"]) == 10
    for name, fam in lay["families"].items():
        arr, lost = mdbus.Subscriber(f"sample.{name}", dir=sample_dir, start="oldest").read_array()
        assert lost == 0 and len(arr) == 101, name  # the writer's start marker, then 100 records
        rec = arr[1:]
        assert (rec["kind"] == fam["kind"]).all() and (rec["instrument"] == 7).all(), name
        for i in (0, 57, 99):
            assert (rec["venue_ts"][i], rec["recv_ts"][i], rec["publish_ts"][i]) == (10 * i, 10 * i + 1, 10 * i + 2)
            for field, want in pattern(fam, i).items():
                if field in arr.dtype.names and arr.dtype[field].kind in "iu":
                    assert int(rec[field][i]) == want, (name, i, field)


def test_a_ring_of_another_layout_is_refused(sample_dir):
    import struct

    d = tempfile.mkdtemp(prefix="mdbus-py-layout-")
    try:
        bad = os.path.join(d, "other.trade.ring")
        shutil.copy(os.path.join(sample_dir, "sample.trade.ring"), bad)
        with open(bad, "r+b") as f:
            f.seek(16)
            f.write(struct.pack("<Q", mdbus.layout()["layout_hash"] ^ 1))
        with pytest.raises(mdbus.RingError, match="layout"):
            mdbus.Subscriber("other.trade", dir=d, start="oldest")
        with open(os.path.join(d, "junk.trade.ring"), "wb") as f:
            f.write(b"\0" * 8192)
        with pytest.raises(mdbus.RingError):
            mdbus.Subscriber("junk.trade", dir=d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_hostile_files_are_refused_with_the_rust_readers_errors(sample_dir):
    """What the ring opener refuses, from Python: each a `RingError` naming the problem, and a
    FIFO under a ring's name refused at once rather than waited on."""
    import struct
    import threading

    d = tempfile.mkdtemp(prefix="mdbus-py-hostile-")

    def copy(name):
        dst = os.path.join(d, name + ".ring")
        shutil.copy(os.path.join(sample_dir, "sample.trade.ring"), dst)
        return dst

    def patch(path, word, value):
        with open(path, "r+b") as f:
            f.seek(8 * word)
            f.write(struct.pack("<Q", value))

    def refused(name, **kw):
        with pytest.raises(mdbus.RingError) as e:
            mdbus.Subscriber(name, dir=d, **kw)
        return str(e.value)

    try:
        os.mkfifo(os.path.join(d, "fifo.ring"))
        got = []
        t = threading.Thread(target=lambda: got.append(refused("fifo")), daemon=True)
        t.start()
        t.join(5)
        assert not t.is_alive(), "opening a FIFO hangs"
        assert "FIFO" in got[0], got[0]
        os.mkdir(os.path.join(d, "dir.ring"))
        assert "directory" in refused("dir")
        for cap in (0, 1, 3, 1 << 33):
            patch(copy("cap%d" % cap), 4, cap)
            assert "capacity %d" % cap in refused("cap%d" % cap)
        short = copy("short")
        size = os.path.getsize(short)
        os.truncate(short, size - 1)
        assert "%d bytes, %d expected" % (size - 1, size) in refused("short")
        patch(copy("head"), 48, (1 << 64) - 1)
        assert "head" in refused("head", start="head")
        copy("start")
        with pytest.raises((mdbus.RingError, ValueError, OverflowError)):
            mdbus.Subscriber("start", dir=d, start=1 << 63)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_a_record_of_an_unknown_kind_is_a_typed_error(sample_dir):
    """A slot whose kind byte no family has: a `RingError` naming the kind, not a wrong record."""
    d = tempfile.mkdtemp(prefix="mdbus-py-kind-")
    try:
        p = os.path.join(d, "unknown.trade.ring")
        shutil.copy(os.path.join(sample_dir, "sample.trade.ring"), p)
        reader = mdbus.Subscriber("unknown.trade", dir=d, start="oldest")
        reader.poll()  # the writer's start marker
        first, size = reader.poll()["seq"], mdbus.layout()["families"]["trade"]["size"]
        with open(p, "r+b") as f:
            f.seek(4096 + (first % 128) * size + 8)
            f.write(bytes([250]))
        s = mdbus.Subscriber("unknown.trade", dir=d, start=first)
        with pytest.raises(mdbus.RingError, match="250"):
            s.poll()
    finally:
        shutil.rmtree(d, ignore_errors=True)
