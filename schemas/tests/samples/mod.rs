#![allow(dead_code, unreachable_pub)]
//! Sample records with a distinct value in every field, shared by the layout tests.

use mdbus_schemas::*;

pub fn header(kind: Kind) -> Header {
    Header {
        seq: 0x0102_0304_0506_0708,
        kind,
        flags: 0xA5,
        venue: VenueId(0x1122),
        instrument: InstrumentId(0x3344_5566),
        venue_seq: 0x7788_99AA_BBCC_DDEE,
        venue_ts: Nanos(1_700_000_000_123_456_789),
        recv_ts: Nanos(1_700_000_000_223_456_789),
        publish_ts: Nanos(1_700_000_000_323_456_789),
    }
}

pub fn quote() -> Quote {
    Quote {
        header: header(Kind::QUOTE),
        bid_px: 6_543_210,
        bid_qty: 150_000_000,
        ask_px: 6_543_211,
        ask_qty: -2,
        _pad: [0; 48],
    }
}

pub fn trade() -> Trade {
    let mut t = Trade { header: header(Kind::TRADE), price: 6_543_210, qty: 100_000, ..Trade::default() };
    t.set_id(TradeId::parse_uuid("20f43950-d8dd-5b31-9112-a178eb6023af").unwrap());
    t
}

pub fn book_delta() -> BookDelta {
    BookDelta { header: header(Kind::BOOK_DELTA), price: 123_456, qty: 0 }
}

pub fn book_snapshot() -> BookSnapshot {
    let mut s = BookSnapshot { header: header(Kind::BOOK_SNAPSHOT), bid_count: 2, ask_count: 1, ..Default::default() };
    s.bids[0] = Level { price: 100, qty: 1 };
    s.bids[1] = Level { price: 99, qty: 2 };
    s.asks[0] = Level { price: 101, qty: 3 };
    s
}

pub fn bar() -> Bar {
    Bar {
        header: header(Kind::BAR),
        open: 1,
        high: 2,
        low: 3,
        close: 4,
        volume: 5,
        quote_volume: 6,
        trades: 7,
        start_ts: Nanos(8),
        interval_ns: 60_000_000_000,
        _pad: [0; 8],
    }
}

pub fn marker() -> Marker {
    Marker { header: header(Kind::MARKER), code: MarkerCode::GAP, _pad: [0; 6], detail: 99 }
}

pub fn order() -> Order {
    Order {
        header: header(Kind::ORDER),
        price: 1,
        qty: 2,
        filled_qty: 3,
        avg_price: 4,
        account: 5,
        status: OrderStatus::NEW,
        side: flags::SIDE_BUY,
        order_type: OrderType::LIMIT,
        time_in_force: TimeInForce::GTC,
        client_id: OrderId::new("cid-1").unwrap(),
        venue_order_id: OrderId::new("9876543210").unwrap(),
        _pad: [0; 8],
    }
}

pub fn fill() -> Fill {
    Fill {
        header: header(Kind::FILL),
        price: 1,
        qty: 2,
        fee: -3,
        account: 4,
        side: flags::SIDE_SELL,
        liquidity: flags::MAKER,
        fee_exp: -8,
        _pad0: 0,
        fee_asset: Asset::new("BNB").unwrap(),
        client_id: OrderId::new("cid-2").unwrap(),
        venue_order_id: OrderId::new("42").unwrap(),
    }
}

pub fn balance() -> Balance {
    Balance {
        header: header(Kind::BALANCE),
        free: 1,
        locked: 2,
        account: 3,
        exponent: -8,
        _pad0: [0; 3],
        asset: Asset::new("USDT").unwrap(),
        _pad1: [0; 40],
    }
}

pub fn position() -> Position {
    Position {
        header: header(Kind::POSITION),
        qty: -5,
        entry_price: 1,
        mark_price: 2,
        unrealized_pnl: 3,
        liquidation_price: 4,
        account: 6,
        pnl_exp: -2,
        _pad0: 0,
        leverage: 20,
        _pad1: [0; 32],
    }
}
