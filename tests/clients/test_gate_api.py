"""gate-api (Gate.io's own SDK), unmodified, against `mdbus sim --venue gateio`: its default
calls for public REST and the signed order lifecycle (it sends `Timestamp` with a fraction of
a second, which Gate.io accepts). Only the host and the keys are ours. gate-api has no
websocket client."""

import time

import gate_api
import pytest
from conftest import KEY, SECRET

VENUE = "gateio"


@pytest.fixture(scope="module")
def spot(sim):
    cfg = gate_api.Configuration(host=f"http://{sim}/api/v4", key=KEY, secret=SECRET)
    return gate_api.SpotApi(gate_api.ApiClient(cfg))


def test_public_rest(spot):
    assert {"BTC_USDT", "ETH_USDT"} <= {p.id for p in spot.list_currency_pairs()}
    assert spot.get_currency_pair("BTC_USDT").precision == 2
    assert {"BTC", "USDT"} <= {c.currency for c in spot.list_currencies()}
    t = spot.list_tickers(currency_pair="BTC_USDT")[0]
    assert float(t.low_24h) <= float(t.last) <= float(t.high_24h) and float(t.highest_bid) < float(t.lowest_ask)
    book = spot.list_order_book("BTC_USDT")
    assert float(book.bids[0][0]) < float(book.asks[0][0])
    assert spot.list_trades("BTC_USDT")
    bars = spot.list_candlesticks("BTC_USDT", interval="1m")
    assert bars and all(float(b[3]) >= float(b[4]) for b in bars)
    assert abs(spot.get_system_time().server_time / 1000 - time.time()) < 60


def test_order_lifecycle(spot):
    usdt = [a for a in spot.list_spot_accounts() if a.currency == "USDT"][0]
    assert float(usdt.available) + float(usdt.locked) == 100000
    order = gate_api.Order(
        text="t-gateapi1", currency_pair="BTC_USDT", type="limit", account="spot", side="buy", amount="0.001", price="20000"
    )
    placed = spot.create_order(order)
    assert placed.status == "open" and placed.text == "t-gateapi1"
    assert spot.get_order(placed.id, "BTC_USDT").status == "open"
    assert placed.id in [o.id for o in spot.list_orders("BTC_USDT", "open")]
    assert any(placed.id in [o.id for o in p.orders] for p in spot.list_all_open_orders())
    assert spot.cancel_order(placed.id, "BTC_USDT").status == "cancelled"
    assert placed.id not in [o.id for o in spot.list_orders("BTC_USDT", "open")]
    assert placed.id in [o.id for o in spot.list_orders("BTC_USDT", "finished")]
