"""ccxt, unmodified, against `mdbus sim --venue binance`: its default calls for public REST
(spot and USD-M), the signed order lifecycle and the websocket streams (ccxt.pro). Only the
base URLs (the simulator's address in place of the venue's hosts) and the keys are ours."""

import asyncio
import re
import time

import ccxt
import ccxt.pro as ccxtpro
import pytest
from conftest import KEY, SECRET, simulator

VENUE = "binance"
KEYS = {"apiKey": KEY, "secret": SECRET}


def at(exchange, addr):
    """Points every REST and websocket URL of `exchange` at the simulator. The venue's host name
    stays in the websocket path, where ccxt reads the market type from it."""
    api = exchange.urls["api"]
    for k, v in list(api.items()):
        if isinstance(v, str):
            api[k] = re.sub(r"https://[a-z]+\.binance\.com", f"http://{addr}", v)
    def ws(d):
        for k, v in list(d.items()):
            if isinstance(v, str):
                d[k] = re.sub(r"wss://([a-z0-9.\-]+?)(:\d+)?/", rf"ws://{addr}/\1/", v)
            elif isinstance(v, dict):
                ws(v)

    ws(api.get("ws", {}))
    return exchange


def test_public_rest_spot_and_usdm(sim):
    ex = at(ccxt.binance(KEYS), sim)
    markets = ex.load_markets()
    assert {"BTC/USDT", "ETH/USDT", "BTC/USDT:USDT", "ETH/USDT:USDT"} <= set(markets)
    assert markets["BTC/USDT"]["spot"] and markets["BTC/USDT:USDT"]["linear"]
    assert markets["BTC/USDT"]["precision"]["price"] == 0.01
    assert abs(ex.fetch_time() - time.time() * 1000) < 60_000
    for symbol in ["BTC/USDT", "BTC/USDT:USDT"]:
        t = ex.fetch_ticker(symbol)
        assert t["low"] <= t["last"] <= t["high"], t
        book = ex.fetch_order_book(symbol)
        assert book["bids"] and book["asks"] and book["bids"][0][0] < book["asks"][0][0]
        trades = ex.fetch_trades(symbol)
        assert trades and all(tr["price"] > 0 and tr["amount"] > 0 for tr in trades)
        bars = ex.fetch_ohlcv(symbol, "1m")
        assert bars and all(b[2] >= max(b[1], b[4]) and b[3] <= min(b[1], b[4]) for b in bars)


@pytest.mark.parametrize("symbol,kind", [("BTC/USDT", "spot"), ("BTC/USDT:USDT", "future")])
def test_order_lifecycle(sim, symbol, kind):
    ex = at(ccxt.binance(KEYS), sim)
    assert ex.fetch_balance({"type": kind})["USDT"]["total"] == 100000
    order = ex.create_order(symbol, "limit", "buy", 0.001, 20000)
    assert order["status"] == "open" and order["price"] == 20000
    assert ex.fetch_order(order["id"], symbol)["status"] == "open"
    assert order["id"] in [o["id"] for o in ex.fetch_open_orders(symbol)]
    assert ex.cancel_order(order["id"], symbol)["status"] == "canceled"
    assert order["id"] not in [o["id"] for o in ex.fetch_open_orders(symbol)]
    assert ex.fetch_order(order["id"], symbol)["status"] == "canceled"
    if kind == "future":
        assert ex.fetch_positions([symbol]) == [] or all(p["symbol"] == symbol for p in ex.fetch_positions([symbol]))


def test_streams():
    async def run(addr):
        ex = at(ccxtpro.binance(KEYS), addr)
        try:
            trades = await asyncio.wait_for(ex.watch_trades("BTC/USDT"), 20)
            assert trades and trades[-1]["price"] > 0
            # The book: the stream's diffs on the REST snapshot, kept in sync by ccxt's own rules.
            for _ in range(5):
                book = await asyncio.wait_for(ex.watch_order_book("BTC/USDT"), 20)
            assert book["bids"][0][0] < book["asks"][0][0]
            ticker = await asyncio.wait_for(ex.watch_ticker("BTC/USDT"), 20)
            assert ticker["last"] > 0
            bars = await asyncio.wait_for(ex.watch_ohlcv("BTC/USDT", "1m"), 20)
            assert bars and bars[-1][4] > 0
            linear = await asyncio.wait_for(ex.watch_trades("BTC/USDT:USDT"), 20)
            assert linear and linear[-1]["symbol"] == "BTC/USDT:USDT"
            # The user data stream through the WebSocket API (a signed subscription), then the
            # order's event once it is placed.
            rest = at(ccxt.binance(KEYS), addr)
            watch = asyncio.ensure_future(ex.watch_orders("BTC/USDT"))
            await asyncio.sleep(1)
            placed = await asyncio.to_thread(rest.create_order, "BTC/USDT", "limit", "buy", 0.002, 21000)
            orders = await asyncio.wait_for(watch, 20)
            assert any(o["id"] == placed["id"] and o["status"] == "open" for o in orders), orders
            await asyncio.to_thread(rest.cancel_order, placed["id"], "BTC/USDT")
        finally:
            await ex.close()

    with simulator(VENUE) as addr:
        asyncio.run(run(addr))
