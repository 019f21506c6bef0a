"""ccxt, unmodified, against `mdbus sim --venue gateio`: its default calls for public REST
(spot and margin pairs, currencies, and the contract lists its market loading reads, empty
here), the signed order lifecycle and the websocket streams (ccxt.pro: public channels and the
private ones, signed per subscription on the same socket). Only the base URLs and the keys are
ours."""

import asyncio
import time

import ccxt
import ccxt.pro as ccxtpro
from conftest import KEY, SECRET

VENUE = "gateio"
KEYS = {"apiKey": KEY, "secret": SECRET}


def at(exchange, addr):
    """Points ccxt's REST and websocket URLs at the simulator, paths unchanged."""

    def fix(d):
        for k, v in list(d.items()):
            if isinstance(v, str):
                for host in ["https://api.gateio.ws", "wss://api.gateio.ws", "wss://ws.gate.io"]:
                    scheme = "ws" if host.startswith("wss") else "http"
                    v = v.replace(host, f"{scheme}://{addr}")
                d[k] = v
            elif isinstance(v, dict):
                fix(v)

    fix(exchange.urls["api"])
    return exchange


def test_public_rest(sim):
    ex = at(ccxt.gate(KEYS), sim)
    markets = ex.load_markets()
    assert {"BTC/USDT", "ETH/USDT"} <= set(markets)
    assert markets["BTC/USDT"]["spot"] and markets["BTC/USDT"]["margin"]
    assert abs(ex.fetch_time() - time.time() * 1000) < 60_000
    t = ex.fetch_ticker("BTC/USDT")
    assert t["low"] <= t["last"] <= t["high"] and t["bid"] < t["ask"] and t["baseVolume"] > 0, t
    book = ex.fetch_order_book("BTC/USDT")
    assert book["bids"][0][0] < book["asks"][0][0]
    trades = ex.fetch_trades("BTC/USDT")
    assert trades and all(tr["price"] > 0 and tr["amount"] > 0 for tr in trades)
    bars = ex.fetch_ohlcv("BTC/USDT", "1m")
    assert bars and all(b[2] >= max(b[1], b[4]) and b[3] <= min(b[1], b[4]) for b in bars)


def test_order_lifecycle(sim):
    ex = at(ccxt.gate(KEYS), sim)
    assert ex.fetch_balance()["USDT"]["total"] == 100000
    order = ex.create_order("BTC/USDT", "limit", "buy", 0.001, 20000)
    fetched = ex.fetch_order(order["id"], "BTC/USDT")
    assert fetched["status"] == "open" and fetched["price"] == 20000 and fetched["amount"] == 0.001
    assert order["id"] in [o["id"] for o in ex.fetch_open_orders("BTC/USDT")]
    assert ex.cancel_order(order["id"], "BTC/USDT")["status"] == "canceled"
    assert order["id"] not in [o["id"] for o in ex.fetch_open_orders("BTC/USDT")]
    assert ex.fetch_order(order["id"], "BTC/USDT")["status"] == "canceled"


def test_streams(sim):
    async def run():
        ex = at(ccxtpro.gate(KEYS), sim)
        rest = at(ccxt.gate(KEYS), sim)
        try:
            trades = await asyncio.wait_for(ex.watch_trades("BTC/USDT"), 20)
            assert trades and trades[-1]["price"] > 0
            # The book: the stream's updates on the REST snapshot, kept by ccxt's own rules.
            for _ in range(5):
                book = await asyncio.wait_for(ex.watch_order_book("BTC/USDT"), 20)
            assert book["bids"][0][0] < book["asks"][0][0]
            ticker = await asyncio.wait_for(ex.watch_ticker("BTC/USDT"), 20)
            assert ticker["low"] <= ticker["last"] <= ticker["high"]
            bars = await asyncio.wait_for(ex.watch_ohlcv("BTC/USDT", "1m"), 20)
            assert bars and bars[-1][2] >= bars[-1][3] > 0
            # The private channel, signed on subscription; the order's update once placed.
            watch = asyncio.ensure_future(ex.watch_orders("BTC/USDT"))
            await asyncio.sleep(1)
            placed = await asyncio.to_thread(rest.create_order, "BTC/USDT", "limit", "buy", 0.002, 21000)
            orders = await asyncio.wait_for(watch, 20)
            assert any(o["id"] == placed["id"] and o["status"] == "open" for o in orders), orders
            await asyncio.to_thread(rest.cancel_order, placed["id"], "BTC/USDT")
        finally:
            await ex.close()

    asyncio.run(run())
