"""ccxt, unmodified, against `mdbus sim --venue bybit`: its default calls for public REST
(spot and linear), the signed order lifecycle (ccxt first asks whether the account is unified)
and the websocket streams (ccxt.pro: public spot and linear, the authenticated private socket).
Only the base URLs and the keys are ours."""

import asyncio
import time

import ccxt
import ccxt.pro as ccxtpro
from conftest import KEY, SECRET

VENUE = "bybit"
KEYS = {"apiKey": KEY, "secret": SECRET}


def at(exchange, addr):
    """Points ccxt's REST hosts and websocket endpoints at the simulator, paths unchanged."""
    api = exchange.urls["api"]
    for k, v in list(api.items()):
        if isinstance(v, str):
            api[k] = f"http://{addr}"
    ws = api.get("ws")
    if isinstance(ws, dict):
        for k in ws["public"]:
            ws["public"][k] = f"ws://{addr}/v5/public/{k}"
        ws["private"]["contract"] = f"ws://{addr}/v5/private"
        ws["private"]["spot"]["unified"] = f"ws://{addr}/v5/private"
    return exchange


def test_public_rest_spot_and_linear(sim):
    ex = at(ccxt.bybit(KEYS), sim)
    markets = ex.load_markets()
    assert {"BTC/USDT", "ETH/USDT", "BTC/USDT:USDT", "ETH/USDT:USDT"} <= set(markets)
    assert markets["BTC/USDT"]["spot"] and markets["BTC/USDT:USDT"]["linear"]
    assert markets["BTC/USDT"]["precision"]["price"] == 0.01
    assert abs(ex.fetch_time() - time.time() * 1000) < 60_000
    for symbol in ["BTC/USDT", "BTC/USDT:USDT"]:
        t = ex.fetch_ticker(symbol)
        assert t["low"] <= t["last"] <= t["high"] and t["bid"] < t["ask"], t
        book = ex.fetch_order_book(symbol)
        assert book["bids"][0][0] < book["asks"][0][0]
        trades = ex.fetch_trades(symbol)
        assert trades and all(tr["price"] > 0 and tr["amount"] > 0 for tr in trades)
        bars = ex.fetch_ohlcv(symbol, "1m")
        assert bars and all(b[2] >= max(b[1], b[4]) and b[3] <= min(b[1], b[4]) for b in bars)


def test_order_lifecycle(sim):
    ex = at(ccxt.bybit(KEYS), sim)
    assert ex.fetch_balance()["USDT"]["total"] == 100000
    order = ex.create_order("BTC/USDT", "limit", "buy", 0.001, 20000)
    fetched = ex.fetch_open_order(order["id"], "BTC/USDT")
    assert fetched["status"] == "open" and fetched["price"] == 20000 and fetched["amount"] == 0.001
    assert order["id"] in [o["id"] for o in ex.fetch_open_orders("BTC/USDT")]
    ex.cancel_order(order["id"], "BTC/USDT")
    assert order["id"] not in [o["id"] for o in ex.fetch_open_orders("BTC/USDT")]
    canceled = [o for o in ex.fetch_canceled_orders("BTC/USDT") if o["id"] == order["id"]]
    assert canceled and canceled[0]["status"] == "canceled"


def test_streams(sim):
    async def run():
        ex = at(ccxtpro.bybit(KEYS), sim)
        rest = at(ccxt.bybit(KEYS), sim)
        try:
            trades = await asyncio.wait_for(ex.watch_trades("BTC/USDT"), 20)
            assert trades and trades[-1]["price"] > 0
            # The book: the snapshot then deltas, kept by ccxt's own rules (every delete is of
            # a level the book holds).
            for _ in range(5):
                book = await asyncio.wait_for(ex.watch_order_book("BTC/USDT"), 20)
            assert book["bids"][0][0] < book["asks"][0][0]
            ticker = await asyncio.wait_for(ex.watch_ticker("BTC/USDT"), 20)
            assert ticker["low"] <= ticker["last"] <= ticker["high"]
            linear = await asyncio.wait_for(ex.watch_ticker("BTC/USDT:USDT"), 20)
            assert linear["symbol"] == "BTC/USDT:USDT" and linear["bid"] < linear["ask"]
            bars = await asyncio.wait_for(ex.watch_ohlcv("BTC/USDT", "1m"), 20)
            assert bars and bars[-1][2] >= bars[-1][3] > 0
            # The private socket: auth, then the order's push once it is placed.
            watch = asyncio.ensure_future(ex.watch_orders())
            await asyncio.sleep(1)
            placed = await asyncio.to_thread(rest.create_order, "BTC/USDT", "limit", "buy", 0.002, 21000)
            orders = await asyncio.wait_for(watch, 20)
            assert any(o["id"] == placed["id"] and o["status"] == "open" for o in orders), orders
            await asyncio.to_thread(rest.cancel_order, placed["id"], "BTC/USDT")
        finally:
            await ex.close()

    asyncio.run(run())
