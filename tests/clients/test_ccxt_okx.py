"""ccxt, unmodified, against `mdbus sim --venue okx`: its default calls for public REST, the
signed order lifecycle (ccxt places through `batch-orders`) and the websocket streams
(ccxt.pro: public, business and the logged-in private socket). Only the base URLs and the keys
are ours."""

import asyncio
import time

import ccxt
import ccxt.pro as ccxtpro
import pytest
from conftest import KEY, PASSPHRASE, SECRET

VENUE = "okx"
KEYS = {"apiKey": KEY, "secret": SECRET, "password": PASSPHRASE}


def at(exchange, addr):
    """Points ccxt's REST host and websocket base at the simulator."""
    exchange.urls["api"]["rest"] = f"http://{addr}"
    exchange.urls["api"]["ws"] = f"ws://{addr}/ws/v5"
    return exchange


def test_public_rest(sim):
    ex = at(ccxt.okx(KEYS), sim)
    markets = ex.load_markets()
    assert {"BTC/USDT", "ETH/USDT"} <= set(markets)
    assert markets["BTC/USDT"]["spot"] and markets["BTC/USDT"]["precision"]["price"] == 0.01
    assert abs(ex.fetch_time() - time.time() * 1000) < 60_000
    t = ex.fetch_ticker("BTC/USDT")
    assert t["low"] <= t["last"] <= t["high"] and t["baseVolume"] > 0, t
    assert t["bid"] < t["ask"]
    book = ex.fetch_order_book("BTC/USDT")
    assert book["bids"][0][0] < book["asks"][0][0]
    trades = ex.fetch_trades("BTC/USDT")
    assert trades and all(tr["price"] > 0 and tr["amount"] > 0 for tr in trades)
    bars = ex.fetch_ohlcv("BTC/USDT", "1m")
    assert bars and all(b[2] >= max(b[1], b[4]) and b[3] <= min(b[1], b[4]) for b in bars)
    # Only spot instruments exist: asking for swaps lists none.
    assert ex.publicGetPublicInstruments({"instType": "SWAP"})["data"] == []


def test_order_lifecycle(sim):
    ex = at(ccxt.okx(KEYS), sim)
    assert ex.fetch_balance()["USDT"]["total"] == 100000
    order = ex.create_order("BTC/USDT", "limit", "buy", 0.001, 20000)
    fetched = ex.fetch_order(order["id"], "BTC/USDT")
    assert fetched["status"] == "open" and fetched["price"] == 20000 and fetched["amount"] == 0.001
    assert order["id"] in [o["id"] for o in ex.fetch_open_orders("BTC/USDT")]
    assert ex.cancel_order(order["id"], "BTC/USDT")["id"] == order["id"]
    assert order["id"] not in [o["id"] for o in ex.fetch_open_orders("BTC/USDT")]
    assert ex.fetch_order(order["id"], "BTC/USDT")["status"] == "canceled"
    # A second cancel is refused with OKX's code for it, which ccxt maps to OrderNotFound.
    with pytest.raises(ccxt.OrderNotFound):
        ex.cancel_order(order["id"], "BTC/USDT")


def test_streams(sim):
    async def run():
        ex = at(ccxtpro.okx(KEYS), sim)
        rest = at(ccxt.okx(KEYS), sim)
        try:
            trades = await asyncio.wait_for(ex.watch_trades("BTC/USDT"), 20)
            assert trades and trades[-1]["price"] > 0
            # The book: snapshot then updates, chained by prevSeqId/seqId as ccxt checks.
            for _ in range(5):
                book = await asyncio.wait_for(ex.watch_order_book("BTC/USDT"), 20)
            assert book["bids"][0][0] < book["asks"][0][0]
            ticker = await asyncio.wait_for(ex.watch_ticker("BTC/USDT"), 20)
            assert ticker["low"] <= ticker["last"] <= ticker["high"]
            bars = await asyncio.wait_for(ex.watch_ohlcv("BTC/USDT", "1m"), 20)
            assert bars and bars[-1][2] >= bars[-1][3] > 0
            # The private socket: login, then the order's push once it is placed.
            watch = asyncio.ensure_future(ex.watch_orders("BTC/USDT"))
            await asyncio.sleep(1)
            placed = await asyncio.to_thread(rest.create_order, "BTC/USDT", "limit", "buy", 0.002, 21000)
            orders = await asyncio.wait_for(watch, 20)
            assert any(o["id"] == placed["id"] and o["status"] == "open" for o in orders), orders
            await asyncio.to_thread(rest.cancel_order, placed["id"], "BTC/USDT")
        finally:
            await ex.close()

    asyncio.run(run())
