"""ccxt, unmodified, against `mdbus sim --venue htx --tls`: its default calls for public REST
(spot, and the contract lists its market loading reads), the signed order lifecycle and the
websocket streams (ccxt.pro: the gzip public feed and the authenticated `/ws/v2`). HTX signs
the host and path of the URL, so the simulator runs over TLS at `localhost:PORT` and ccxt keeps
its own https/wss URLs; only the host name, the certificate to trust and the keys are ours."""

import asyncio
import os
import time

import ccxt
import ccxt.pro as ccxtpro
from conftest import KEY, SECRET

VENUE = "htx"


def make(module, tls_sim):
    """An htx client of ccxt's `module` at the simulator: the synchronous client trusts its
    certificate through requests' `REQUESTS_CA_BUNDLE` (ccxt's `requests_trust_env`), the
    asynchronous one through ccxt's `cafile`."""
    addr, cert = tls_sim
    os.environ["REQUESTS_CA_BUNDLE"] = cert
    config = {"apiKey": KEY, "secret": SECRET, "hostname": addr, "cafile": cert, "requests_trust_env": True}
    ex = module.htx(config)
    ex.urls["hostnames"] = {k: addr for k in ex.urls["hostnames"]}
    return ex


def test_public_rest(tls_sim):
    ex = make(ccxt, tls_sim)
    markets = ex.load_markets()
    assert {"BTC/USDT", "ETH/USDT", "BTC/USDT:USDT"} <= set(markets)
    assert markets["BTC/USDT"]["spot"] and markets["BTC/USDT"]["precision"]["price"] == 0.01
    assert abs(ex.fetch_time() - time.time() * 1000) < 60_000
    t = ex.fetch_ticker("BTC/USDT")
    assert t["low"] <= t["last"] <= t["high"] and t["bid"] < t["ask"] and t["baseVolume"] > 0, t
    book = ex.fetch_order_book("BTC/USDT")
    assert book["bids"][0][0] < book["asks"][0][0]
    trades = ex.fetch_trades("BTC/USDT")
    assert trades and all(tr["price"] > 0 and tr["amount"] > 0 for tr in trades)
    bars = ex.fetch_ohlcv("BTC/USDT", "1m")
    assert bars and all(b[2] >= max(b[1], b[4]) and b[3] <= min(b[1], b[4]) for b in bars)


def test_order_lifecycle(tls_sim):
    ex = make(ccxt, tls_sim)
    assert ex.fetch_balance()["USDT"]["total"] == 100000
    order = ex.create_order("BTC/USDT", "limit", "buy", 0.001, 20000)
    fetched = ex.fetch_order(order["id"], "BTC/USDT")
    assert fetched["status"] == "open" and fetched["price"] == 20000 and fetched["amount"] == 0.001
    assert order["id"] in [o["id"] for o in ex.fetch_open_orders("BTC/USDT")]
    assert ex.cancel_order(order["id"], "BTC/USDT")["status"] == "canceled"
    assert order["id"] not in [o["id"] for o in ex.fetch_open_orders("BTC/USDT")]
    assert ex.fetch_order(order["id"], "BTC/USDT")["status"] == "canceled"


def test_streams(tls_sim):
    async def run():
        ex = make(ccxtpro, tls_sim)
        rest = make(ccxt, tls_sim)
        try:
            trades = await asyncio.wait_for(ex.watch_trades("BTC/USDT"), 20)
            assert trades and trades[-1]["price"] > 0
            # The book: the `mbp` increments on the `req` snapshot, chained as ccxt checks.
            for _ in range(5):
                book = await asyncio.wait_for(ex.watch_order_book("BTC/USDT"), 20)
            assert book["bids"][0][0] < book["asks"][0][0]
            ticker = await asyncio.wait_for(ex.watch_ticker("BTC/USDT"), 20)
            assert ticker["low"] <= ticker["last"] <= ticker["high"]
            bars = await asyncio.wait_for(ex.watch_ohlcv("BTC/USDT", "1m"), 20)
            assert bars and bars[-1][2] >= bars[-1][3] > 0
            # The private socket: auth over the host and path, then the order's push.
            watch = asyncio.ensure_future(ex.watch_orders())
            await asyncio.sleep(1)
            placed = await asyncio.to_thread(rest.create_order, "BTC/USDT", "limit", "buy", 0.002, 21000)
            orders = await asyncio.wait_for(watch, 20)
            assert any(o["id"] == placed["id"] and o["status"] == "open" for o in orders), orders
            await asyncio.to_thread(rest.cancel_order, placed["id"], "BTC/USDT")
        finally:
            await ex.close()

    asyncio.run(run())
