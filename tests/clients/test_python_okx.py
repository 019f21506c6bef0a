"""python-okx (OKX's own SDK), unmodified, against `mdbus sim --venue okx --tls`: its default
calls for public REST, the signed order lifecycle and the websocket streams, public and
logged-in (python-okx's websockets take only `wss://`, so the simulator runs over TLS and the
SDK trusts its certificate through `SSL_CERT_FILE`). Only the base URLs, the certificate and
the keys are ours."""

import asyncio
import json
import os

import pytest
from conftest import KEY, PASSPHRASE, SECRET
from okx import Account, MarketData, PublicData, Trade
from okx.websocket.WsPrivateAsync import WsPrivateAsync
from okx.websocket.WsPublicAsync import WsPublicAsync

VENUE = "okx"


@pytest.fixture(scope="module")
def base(tls_sim):
    addr, cert = tls_sim
    before = os.environ.get("SSL_CERT_FILE")
    os.environ["SSL_CERT_FILE"] = cert
    yield addr
    if before is None:
        del os.environ["SSL_CERT_FILE"]
    else:
        os.environ["SSL_CERT_FILE"] = before


def clients(addr):
    keys = dict(api_key=KEY, api_secret_key=SECRET, passphrase=PASSPHRASE, use_server_time=False, flag="0")
    url = f"https://{addr}"
    return (
        MarketData.MarketAPI(flag="0", domain=url),
        PublicData.PublicAPI(flag="0", domain=url),
        Account.AccountAPI(domain=url, **keys),
        Trade.TradeAPI(domain=url, **keys),
    )


def test_public_rest(base):
    market, public, _, _ = clients(base)
    ids = [i["instId"] for i in public.get_instruments(instType="SPOT")["data"]]
    assert {"BTC-USDT", "ETH-USDT"} <= set(ids)
    assert public.get_system_time()["data"][0]["ts"]
    t = market.get_ticker(instId="BTC-USDT")["data"][0]
    assert float(t["low24h"]) <= float(t["last"]) <= float(t["high24h"]) and float(t["bidPx"]) < float(t["askPx"])
    assert len(market.get_tickers(instType="SPOT")["data"]) == 2
    book = market.get_orderbook(instId="BTC-USDT")["data"][0]
    assert float(book["bids"][0][0]) < float(book["asks"][0][0])
    assert market.get_trades(instId="BTC-USDT")["data"]
    assert market.get_candlesticks(instId="BTC-USDT", bar="1m")["data"]


def test_order_lifecycle(base):
    _, _, account, trade = clients(base)
    details = account.get_account_balance()["data"][0]["details"]
    assert any(d["ccy"] == "USDT" and float(d["cashBal"]) == 100000 for d in details)
    placed = trade.place_order(instId="BTC-USDT", tdMode="cash", side="buy", ordType="limit", sz="0.001", px="20000")
    oid = placed["data"][0]["ordId"]
    assert placed["code"] == "0" and trade.get_order(instId="BTC-USDT", ordId=oid)["data"][0]["state"] == "live"
    assert oid in [o["ordId"] for o in trade.get_order_list(instType="SPOT")["data"]]
    assert trade.cancel_order(instId="BTC-USDT", ordId=oid)["data"][0]["sCode"] == "0"
    assert oid not in [o["ordId"] for o in trade.get_order_list(instType="SPOT")["data"]]
    history = trade.get_orders_history(instType="SPOT")["data"]
    assert any(o["ordId"] == oid and o["state"] == "canceled" for o in history)


def test_streams(base):
    async def run():
        _, _, _, trade = clients(base)
        seen = {}

        def keep(raw):
            m = json.loads(raw)
            key = m.get("event") or m.get("arg", {}).get("channel")
            seen.setdefault(key, []).append(m)

        public = WsPublicAsync(url=f"wss://{base}/ws/v5/public")
        private = WsPrivateAsync(
            apiKey=KEY, passphrase=PASSPHRASE, secretKey=SECRET, url=f"wss://{base}/ws/v5/private", useServerTime=False
        )
        await public.start()
        await private.start()
        try:
            args = [{"channel": c, "instId": "BTC-USDT"} for c in ["tickers", "books", "trades", "candle1m"]]
            await public.subscribe(args, keep)
            # The login (a numeric timestamp, as python-okx sends it), then the orders channel.
            await private.subscribe([{"channel": "orders", "instType": "ANY"}], keep)
            await asyncio.sleep(1)
            placed = await asyncio.to_thread(
                trade.place_order, instId="BTC-USDT", tdMode="cash", side="buy", ordType="limit", sz="0.002", px="21000"
            )
            oid = placed["data"][0]["ordId"]
            for _ in range(100):
                if all(k in seen for k in ["tickers", "books", "trades", "candle1m", "orders"]):
                    break
                await asyncio.sleep(0.1)
            assert seen.get("login") and seen["login"][0]["code"] == "0", seen.get("login")
            assert all(k in seen for k in ["tickers", "books", "trades", "candle1m"]), list(seen)
            assert any(o["ordId"] == oid for m in seen.get("orders", []) for o in m["data"]), seen.get("orders")
            await asyncio.to_thread(trade.cancel_order, instId="BTC-USDT", ordId=oid)
        finally:
            await public.stop()
            await private.stop()

    asyncio.run(run())
