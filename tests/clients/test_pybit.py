"""pybit (Bybit's own SDK), unmodified, against `mdbus sim --venue bybit`: its default calls
for public REST, the signed order lifecycle and the websocket streams, its own order book
kept from the snapshot and deltas. Only the base URLs (pybit's URL constants and the HTTP
session's endpoint) and the keys are ours."""

import logging
import threading
import time

import pybit.unified_trading as ut
import pytest
from conftest import KEY, SECRET

VENUE = "bybit"


@pytest.fixture(scope="module")
def http(sim):
    ut.PUBLIC_WSS = f"ws://{sim}/v5/public/{{CHANNEL_TYPE}}"
    ut.PRIVATE_WSS = f"ws://{sim}/v5/private"
    s = ut.HTTP(api_key=KEY, api_secret=SECRET)
    s.endpoint = f"http://{sim}"
    return s


def test_public_rest(http):
    assert abs(int(http.get_server_time()["result"]["timeSecond"]) - time.time()) < 60
    symbols = [i["symbol"] for i in http.get_instruments_info(category="spot")["result"]["list"]]
    assert {"BTCUSDT", "ETHUSDT"} <= set(symbols)
    t = http.get_tickers(category="spot", symbol="BTCUSDT")["result"]["list"][0]
    assert float(t["lowPrice24h"]) <= float(t["lastPrice"]) <= float(t["highPrice24h"])
    assert float(t["bid1Price"]) < float(t["ask1Price"])
    book = http.get_orderbook(category="spot", symbol="BTCUSDT")["result"]
    assert float(book["b"][0][0]) < float(book["a"][0][0])
    assert http.get_public_trade_history(category="spot", symbol="BTCUSDT")["result"]["list"]
    bars = http.get_kline(category="spot", symbol="BTCUSDT", interval=1)["result"]["list"]
    assert bars and all(float(b[2]) >= max(float(b[1]), float(b[4])) for b in bars)


def test_order_lifecycle(http):
    coins = http.get_wallet_balance(accountType="UNIFIED")["result"]["list"][0]["coin"]
    assert any(c["coin"] == "USDT" and float(c["walletBalance"]) == 100000 for c in coins)
    placed = http.place_order(category="spot", symbol="BTCUSDT", side="Buy", orderType="Limit", qty="0.001", price="20000")
    oid = placed["result"]["orderId"]
    assert oid in [o["orderId"] for o in http.get_open_orders(category="spot", symbol="BTCUSDT")["result"]["list"]]
    assert http.cancel_order(category="spot", symbol="BTCUSDT", orderId=oid)["result"]["orderId"] == oid
    assert oid not in [o["orderId"] for o in http.get_open_orders(category="spot", symbol="BTCUSDT")["result"]["list"]]
    history = http.get_order_history(category="spot", symbol="BTCUSDT")["result"]["list"]
    assert any(o["orderId"] == oid and o["orderStatus"] == "Cancelled" for o in history)


class Said(logging.Handler):
    """What pybit logs: it reports a subscription's acknowledgement only there."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def test_streams(http):
    seen = {"book": [], "trade": [], "ticker": [], "kline": [], "order": []}
    lock = threading.Lock()

    def keep(kind):
        def on(message):
            with lock:
                seen[kind].append(message)

        return on

    said = Said()
    log = logging.getLogger("pybit._websocket_stream")
    log.addHandler(said)
    log.setLevel(logging.DEBUG)
    ws = ut.WebSocket(testnet=False, channel_type="spot")
    private = ut.WebSocket(testnet=False, channel_type="private", api_key=KEY, api_secret=SECRET)
    try:
        # pybit keeps the book itself: every delta applied to its copy, deletes included.
        ws.orderbook_stream(50, "BTCUSDT", keep("book"))
        ws.trade_stream("BTCUSDT", keep("trade"))
        ws.ticker_stream("BTCUSDT", keep("ticker"))
        ws.kline_stream(1, "BTCUSDT", keep("kline"))
        private.order_stream(keep("order"))
        # The order's one push goes only to a subscribed socket: wait until pybit says it is.
        def subscribed():
            return any(m.startswith("Subscription to") and '["order"]' in m and m.endswith("successful.") for m in said.lines)

        deadline = time.time() + 15
        while time.time() < deadline and not subscribed():
            time.sleep(0.05)
        assert subscribed(), "\n".join(said.lines)
        oid = http.place_order(category="spot", symbol="BTCUSDT", side="Buy", orderType="Limit", qty="0.002", price="21000")["result"]["orderId"]
        deadline = time.time() + 15
        while time.time() < deadline:
            with lock:
                if len(seen["book"]) > 50 and all(seen[k] for k in seen):
                    break
            time.sleep(0.1)
        with lock:
            assert len(seen["book"]) > 50, len(seen["book"])
            book = seen["book"][-1]["data"]
            assert float(book["b"][0][0]) < float(book["a"][0][0])
            assert seen["trade"] and seen["ticker"] and seen["kline"]
            assert any(o["orderId"] == oid for m in seen["order"] for o in m["data"]), seen["order"]
        http.cancel_order(category="spot", symbol="BTCUSDT", orderId=oid)
    finally:
        ws.exit()
        private.exit()
        log.removeHandler(said)
