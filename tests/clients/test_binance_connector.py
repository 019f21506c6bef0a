"""binance-connector (Binance's own connector), unmodified, against `mdbus sim --venue
binance`: its default calls for public REST, the signed order lifecycle and the market
websocket streams. Only the base URLs and the keys are ours."""

import json
import threading
import time

import pytest
from binance.spot import Spot
from binance.websocket.spot.websocket_stream import SpotWebsocketStreamClient
from conftest import KEY, SECRET

VENUE = "binance"


@pytest.fixture(scope="module")
def spot(sim):
    return Spot(api_key=KEY, api_secret=SECRET, base_url=f"http://{sim}")


def test_public_rest(spot):
    assert spot.ping() == {}
    assert spot.time()["serverTime"] > 0
    assert {s["symbol"] for s in spot.exchange_info()["symbols"]} >= {"BTCUSDT", "ETHUSDT"}
    t = spot.ticker_24hr(symbol="BTCUSDT")
    assert float(t["lowPrice"]) <= float(t["lastPrice"]) <= float(t["highPrice"])
    assert float(spot.ticker_price(symbol="BTCUSDT")["price"]) > 0
    book = spot.depth(symbol="BTCUSDT")
    assert float(book["bids"][0][0]) < float(book["asks"][0][0])
    assert spot.trades(symbol="BTCUSDT") and spot.agg_trades(symbol="BTCUSDT")
    assert spot.klines(symbol="BTCUSDT", interval="1m")


def test_order_lifecycle(spot):
    usdt = [b for b in spot.account()["balances"] if b["asset"] == "USDT"][0]
    assert float(usdt["free"]) + float(usdt["locked"]) == 100000
    order = spot.new_order(symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.001", price="20000")
    oid = order["orderId"]
    assert spot.get_order(symbol="BTCUSDT", orderId=oid)["status"] == "NEW"
    assert oid in [o["orderId"] for o in spot.get_open_orders(symbol="BTCUSDT")]
    assert spot.cancel_order(symbol="BTCUSDT", orderId=oid)["status"] == "CANCELED"
    assert [o["status"] for o in spot.get_orders(symbol="BTCUSDT") if o["orderId"] == oid] == ["CANCELED"]


def test_streams(sim):
    seen = {}
    lock = threading.Lock()

    def on_message(_, raw):
        m = json.loads(raw)
        with lock:
            seen.setdefault(m.get("e", "reply"), []).append(m)

    ws = SpotWebsocketStreamClient(stream_url=f"ws://{sim}", on_message=on_message)
    try:
        ws.trade(symbol="btcusdt")
        ws.diff_book_depth(symbol="btcusdt", speed=100)
        ws.ticker(symbol="btcusdt")
        ws.kline(symbol="btcusdt", interval="1m")
        deadline = time.time() + 15
        while time.time() < deadline:
            with lock:
                if all(k in seen for k in ["trade", "depthUpdate", "24hrTicker", "kline"]):
                    break
            time.sleep(0.1)
        with lock:
            assert all(k in seen for k in ["trade", "depthUpdate", "24hrTicker", "kline"]), list(seen)
    finally:
        ws.stop()
