"""ccxt, unmodified, against `mdbus sim --venue gemini`: its default calls for public REST
(the symbols, and the exchange web app's page data ccxt reads precisions from), the signed
order lifecycle (ccxt takes only account-scoped keys, `account-...`) and the websocket streams
(ccxt.pro: trades, the book and candles on the v2 market data). Only the base URLs and the
keys are ours.

Not here: ccxt.pro's `watch_orders` for Gemini sends none of the signed headers this version
sets up (its handshake goes out bare and any Gemini refuses it); the feeder's own test covers
the order events socket. ccxt.pro has no `watch_ticker` for Gemini."""

import asyncio

import ccxt
import ccxt.pro as ccxtpro
from conftest import SECRET

VENUE = "gemini"
KEYS = {"apiKey": "account-mdbus-sim-key", "secret": SECRET}


def at(exchange, addr):
    """Points ccxt's REST, web and websocket URLs at the simulator, paths unchanged."""

    def fix(d):
        for k, v in list(d.items()):
            if isinstance(v, str):
                d[k] = v.replace("https://api.gemini.com", f"http://{addr}").replace(
                    "wss://api.gemini.com", f"ws://{addr}"
                )
            elif isinstance(v, dict):
                fix(v)

    fix(exchange.urls["api"])
    exchange.urls["api"]["webExchange"] = f"http://{addr}"
    return exchange


def test_public_rest(sim):
    ex = at(ccxt.gemini(KEYS), sim)
    markets = ex.load_markets()
    assert {"BTC/USD", "ETH/USD"} <= set(markets)
    assert markets["BTC/USD"]["precision"]["price"] == 0.01
    t = ex.fetch_ticker("BTC/USD")
    assert t["bid"] < t["ask"] and t["last"] > 0 and t["baseVolume"] > 0, t
    book = ex.fetch_order_book("BTC/USD")
    assert book["bids"][0][0] < book["asks"][0][0]
    trades = ex.fetch_trades("BTC/USD")
    assert trades and all(tr["price"] > 0 and tr["amount"] > 0 for tr in trades)
    bars = ex.fetch_ohlcv("BTC/USD", "1m")
    assert bars and all(b[2] >= max(b[1], b[4]) and b[3] <= min(b[1], b[4]) for b in bars)


def test_order_lifecycle(sim):
    ex = at(ccxt.gemini(KEYS), sim)
    assert ex.fetch_balance()["USD"]["total"] == 100000
    order = ex.create_order("BTC/USD", "limit", "buy", 0.001, 20000)
    assert order["status"] == "open"
    fetched = ex.fetch_order(order["id"], "BTC/USD")
    assert fetched["status"] == "open" and fetched["price"] == 20000 and fetched["amount"] == 0.001
    assert order["id"] in [o["id"] for o in ex.fetch_open_orders("BTC/USD")]
    assert ex.cancel_order(order["id"], "BTC/USD")["status"] == "canceled"
    assert order["id"] not in [o["id"] for o in ex.fetch_open_orders("BTC/USD")]
    assert ex.fetch_order(order["id"], "BTC/USD")["status"] == "canceled"


def test_streams(sim):
    async def run():
        ex = at(ccxtpro.gemini(KEYS), sim)
        try:
            # The first update carries the trades made before the subscription.
            trades = await asyncio.wait_for(ex.watch_trades("BTC/USD"), 20)
            assert trades and trades[-1]["price"] > 0
            for _ in range(5):
                book = await asyncio.wait_for(ex.watch_order_book("BTC/USD"), 20)
            assert book["bids"][0][0] < book["asks"][0][0]
            bars = await asyncio.wait_for(ex.watch_ohlcv("BTC/USD", "1m"), 20)
            assert bars and bars[-1][2] >= bars[-1][3] > 0
        finally:
            await ex.close()

    asyncio.run(run())
