"""python-binance, unmodified, against `mdbus sim --venue binance`: its default calls for public
REST (spot and USD-M), the signed order lifecycle and the websocket streams, the user data
stream through the WebSocket API included. Only the base URLs (python-binance's URL class
attributes) and the keys are ours."""

import asyncio

import pytest
from binance import AsyncClient, Client
from binance.ws.streams import BinanceSocketManager
from conftest import KEY, SECRET

VENUE = "binance"


@pytest.fixture(scope="module")
def client(sim):
    for c in (Client, AsyncClient):
        c.API_URL = f"http://{sim}/api"
        c.FUTURES_URL = f"http://{sim}/fapi"
        c.MARGIN_API_URL = f"http://{sim}/sapi"
        c.WS_API_URL = f"ws://{sim}/ws-api/v3"
    BinanceSocketManager.STREAM_URL = f"ws://{sim}/"
    BinanceSocketManager.FSTREAM_URL = f"ws://{sim}/"
    # The constructor pings the venue, as by default.
    return Client(KEY, SECRET)


def test_public_rest(client):
    assert client.get_server_time()["serverTime"] > 0
    info = client.get_symbol_info("BTCUSDT")
    assert info["status"] == "TRADING" and any(f["filterType"] == "PRICE_FILTER" for f in info["filters"])
    assert float(client.get_symbol_ticker(symbol="BTCUSDT")["price"]) > 0
    t = client.get_ticker(symbol="BTCUSDT")
    assert float(t["lowPrice"]) <= float(t["lastPrice"]) <= float(t["highPrice"])
    book = client.get_order_book(symbol="BTCUSDT")
    assert float(book["bids"][0][0]) < float(book["asks"][0][0])
    assert client.get_recent_trades(symbol="BTCUSDT") and client.get_aggregate_trades(symbol="BTCUSDT")
    bars = client.get_klines(symbol="BTCUSDT", interval="1m")
    assert bars and all(float(b[2]) >= max(float(b[1]), float(b[4])) for b in bars)
    assert {s["symbol"] for s in client.futures_exchange_info()["symbols"]} >= {"BTCUSDT", "ETHUSDT"}


def test_order_lifecycle(client):
    usdt = [b for b in client.get_account()["balances"] if b["asset"] == "USDT"][0]
    assert float(usdt["free"]) + float(usdt["locked"]) == 100000
    order = client.order_limit_buy(symbol="BTCUSDT", quantity="0.001", price="20000")
    oid = order["orderId"]
    assert client.get_order(symbol="BTCUSDT", orderId=oid)["status"] == "NEW"
    assert oid in [o["orderId"] for o in client.get_open_orders(symbol="BTCUSDT")]
    assert client.cancel_order(symbol="BTCUSDT", orderId=oid)["status"] == "CANCELED"
    assert oid not in [o["orderId"] for o in client.get_open_orders(symbol="BTCUSDT")]
    assert [o["status"] for o in client.get_all_orders(symbol="BTCUSDT") if o["orderId"] == oid] == ["CANCELED"]
    assert float(client.futures_account_balance()[0]["balance"]) == 100000


def test_streams(client):
    async def run():
        ac = await AsyncClient.create(KEY, SECRET)
        bm = BinanceSocketManager(ac)
        try:
            for sock, kind in [
                (bm.trade_socket("BTCUSDT"), "trade"),
                (bm.depth_socket("BTCUSDT"), "depthUpdate"),
                (bm.symbol_ticker_socket("BTCUSDT"), "24hrTicker"),
                (bm.kline_socket("BTCUSDT"), "kline"),
            ]:
                async with sock as s:
                    message = await asyncio.wait_for(s.recv(), 10)
                    assert message["e"] == kind, message
            # The user data stream: a signed subscription on the WebSocket API.
            async with bm.user_socket() as s:
                placed = await asyncio.to_thread(client.order_limit_buy, symbol="BTCUSDT", quantity="0.002", price="21000")
                event = await asyncio.wait_for(s.recv(), 10)
                assert event["e"] == "executionReport" and event["i"] == placed["orderId"], event
                await asyncio.to_thread(client.cancel_order, symbol="BTCUSDT", orderId=placed["orderId"])
        finally:
            await ac.close_connection()

    asyncio.run(run())
