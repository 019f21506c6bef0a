//! Binance user-data stream events (spot `executionReport` and `outboundAccountPosition`,
//! USD-M `ORDER_TRADE_UPDATE` and `ACCOUNT_UPDATE`) decoded into the account records the
//! order path publishes: [`Order`], [`Fill`], [`Balance`], [`Position`].
//!
//! These events are rare next to market data, so the decoder uses serde_json; prices and
//! quantities go into mantissas at each instrument's exponents, exactly or not at all.
//!
//! Sample (spot, <https://developers.binance.com/docs/binance-spot-api-docs/user-data-stream>):
//!
//! ```json
//! {"e":"executionReport","E":1499405658658,"s":"ETHBTC","c":"mUvoqJxFIILMdfAW5iGSOW","S":"BUY",
//!  "o":"LIMIT","f":"GTC","q":"1.00000000","p":"0.10264410","x":"NEW","X":"NEW","i":4293153,
//!  "l":"0.00000000","z":"0.00000000","L":"0.00000000","n":"0","N":null,"T":1499405658657,
//!  "t":-1,"m":false}
//! ```

use std::collections::HashMap;

use mdbus_schemas::{
    Asset, Balance, Decimal, Fill, Header, InstrumentId, Kind, Nanos, Order, OrderId, OrderStatus, OrderType, Position,
    TimeInForce, VenueId, flags,
};
use serde_json::Value;

pub use mdbus_feeder::account::{AccountDecodeError, AccountEvent, InstrumentScale};

/// Decodes one account's events.
#[derive(Debug, Clone)]
pub struct AccountDecoder {
    venue: VenueId,
    account: u32,
    instruments: HashMap<String, InstrumentScale>,
    default_scale: (i8, i8),
    asset_exp: i8,
}

fn text<'a>(v: &'a Value, event: &str, field: &'static str) -> Result<&'a str, AccountDecodeError> {
    v.get(field).and_then(Value::as_str).ok_or_else(|| AccountDecodeError::Field { event: event.to_owned(), field })
}

fn int(v: &Value, event: &str, field: &'static str) -> Result<i64, AccountDecodeError> {
    v.get(field).and_then(Value::as_i64).ok_or_else(|| AccountDecodeError::Field { event: event.to_owned(), field })
}

fn fixed(v: &Value, event: &str, field: &'static str, exp: i8) -> Result<i64, AccountDecodeError> {
    let s = text(v, event, field)?;
    let d: Decimal = s.parse().map_err(|_| AccountDecodeError::Field { event: event.to_owned(), field })?;
    d.to_fixed(exp).map_err(|_| AccountDecodeError::Precision {
        event: event.to_owned(),
        field,
        value: s.to_owned(),
        exp,
    })
}

fn ms(v: &Value, field: &'static str) -> Nanos {
    Nanos(v.get(field).and_then(Value::as_u64).unwrap_or(0).saturating_mul(1_000_000))
}

fn status(x: &str) -> OrderStatus {
    match x {
        "NEW" => OrderStatus::NEW,
        "PARTIALLY_FILLED" => OrderStatus::PARTIALLY_FILLED,
        "FILLED" => OrderStatus::FILLED,
        "CANCELED" => OrderStatus::CANCELED,
        "REJECTED" => OrderStatus::REJECTED,
        "EXPIRED" | "EXPIRED_IN_MATCH" => OrderStatus::EXPIRED,
        _ => OrderStatus::UNKNOWN,
    }
}

fn order_type(o: &str, f: &str) -> OrderType {
    match (o, f) {
        ("MARKET", _) => OrderType::MARKET,
        ("LIMIT_MAKER", _) | (_, "GTX") => OrderType::LIMIT_MAKER,
        _ => OrderType::LIMIT,
    }
}

fn tif(f: &str) -> TimeInForce {
    match f {
        "IOC" => TimeInForce::IOC,
        "FOK" => TimeInForce::FOK,
        _ => TimeInForce::GTC,
    }
}

fn id_text(v: &Value, field: &'static str) -> String {
    match v.get(field) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn order_id(s: &str) -> OrderId {
    OrderId::new(s).unwrap_or_default()
}

impl AccountDecoder {
    /// Returns a decoder for account number `account` on `venue`. Instruments not added with
    /// [`AccountDecoder::instrument`] use exponents −8 (price and quantity) and id 0.
    pub fn new(venue: VenueId, account: u32) -> AccountDecoder {
        AccountDecoder { venue, account, instruments: HashMap::new(), default_scale: (-8, -8), asset_exp: -8 }
    }

    /// Adds an instrument's exponents and id.
    pub fn instrument(mut self, symbol: &str, scale: InstrumentScale) -> AccountDecoder {
        self.instruments.insert(symbol.to_owned(), scale);
        self
    }

    fn scale(&self, symbol: &str) -> InstrumentScale {
        self.instruments.get(symbol).copied().unwrap_or(InstrumentScale {
            id: InstrumentId(0),
            price_exp: self.default_scale.0,
            qty_exp: self.default_scale.1,
        })
    }

    fn header(&self, kind: Kind, instrument: InstrumentId, venue_seq: u64, venue_ts: Nanos, recv_ns: u64) -> Header {
        let mut h = Header::new(kind);
        h.venue = self.venue;
        h.instrument = instrument;
        h.venue_seq = venue_seq;
        h.venue_ts = venue_ts;
        h.recv_ts = Nanos(recv_ns);
        h
    }

    /// Decodes one frame, appending its records to `out`; returns how many it appended.
    /// Frames of other event types append nothing.
    ///
    /// # Errors
    ///
    /// [`AccountDecodeError`] naming the problem; nothing is appended then.
    pub fn decode(&self, frame: &[u8], recv_ns: u64, out: &mut Vec<AccountEvent>) -> Result<usize, AccountDecodeError> {
        let v: Value = serde_json::from_slice(frame).map_err(|e| AccountDecodeError::Json(e.to_string()))?;
        // Combined-stream wrapper.
        let v = match v.get("data") {
            Some(d) if v.get("stream").is_some() => d.clone(),
            _ => v,
        };
        let Some(event) = v.get("e").and_then(Value::as_str) else {
            return Err(AccountDecodeError::Field { event: "?".into(), field: "e" });
        };
        let mut new = Vec::new();
        match event {
            "executionReport" => self.order_update(&v, &v, event, recv_ns, &mut new)?,
            "ORDER_TRADE_UPDATE" => {
                let o = v.get("o").ok_or(AccountDecodeError::Field { event: event.into(), field: "o" })?;
                self.order_update(&v, o, event, recv_ns, &mut new)?;
            }
            "outboundAccountPosition" => {
                let list = v
                    .get("B")
                    .and_then(Value::as_array)
                    .ok_or(AccountDecodeError::Field { event: event.into(), field: "B" })?;
                for b in list {
                    let free = fixed(b, event, "f", self.asset_exp)?;
                    let locked = fixed(b, event, "l", self.asset_exp)?;
                    new.push(AccountEvent::Balance(self.balance(text(b, event, "a")?, free, locked, &v, recv_ns)));
                }
            }
            "ACCOUNT_UPDATE" => {
                let a = v.get("a").ok_or(AccountDecodeError::Field { event: event.into(), field: "a" })?;
                for b in a.get("B").and_then(Value::as_array).into_iter().flatten() {
                    let wallet = fixed(b, event, "wb", self.asset_exp)?;
                    let cross = fixed(b, event, "cw", self.asset_exp)?;
                    new.push(AccountEvent::Balance(self.balance(
                        text(b, event, "a")?,
                        cross,
                        wallet - cross,
                        &v,
                        recv_ns,
                    )));
                }
                for p in a.get("P").and_then(Value::as_array).into_iter().flatten() {
                    let symbol = text(p, event, "s")?;
                    let sc = self.scale(symbol);
                    let mut pos = Position {
                        header: self.header(Kind::POSITION, sc.id, 0, ms(&v, "E"), recv_ns),
                        qty: fixed(p, event, "pa", sc.qty_exp)?,
                        entry_price: fixed(p, event, "ep", sc.price_exp)?,
                        mark_price: 0,
                        unrealized_pnl: fixed(p, event, "up", self.asset_exp)?,
                        liquidation_price: 0,
                        account: self.account,
                        pnl_exp: self.asset_exp,
                        _pad0: 0,
                        leverage: 0,
                        _pad1: [0; 32],
                    };
                    pos.header.instrument = sc.id;
                    new.push(AccountEvent::Position(pos));
                }
            }
            "listenKeyExpired" => new.push(AccountEvent::ListenKeyExpired),
            _ => {}
        }
        let n = new.len();
        out.extend(new);
        Ok(n)
    }

    fn balance(&self, asset: &str, free: i64, locked: i64, v: &Value, recv_ns: u64) -> Balance {
        Balance {
            header: self.header(Kind::BALANCE, InstrumentId(0), 0, ms(v, "E"), recv_ns),
            free,
            locked,
            account: self.account,
            exponent: self.asset_exp,
            _pad0: [0; 3],
            asset: Asset::new(asset).unwrap_or_default(),
            _pad1: [0; 40],
        }
    }

    /// An order update (`o` is the order object: the event itself on spot, `o` on USD-M).
    fn order_update(
        &self,
        env: &Value,
        o: &Value,
        event: &str,
        recv_ns: u64,
        out: &mut Vec<AccountEvent>,
    ) -> Result<(), AccountDecodeError> {
        let symbol = text(o, event, "s")?;
        let sc = self.scale(symbol);
        let side = if text(o, event, "S")? == "SELL" { flags::SIDE_SELL } else { flags::SIDE_BUY };
        let f = o.get("f").and_then(Value::as_str).unwrap_or("GTC");
        let cid = order_id(text(o, event, "c")?);
        let vid = order_id(&id_text(o, "i"));
        let venue_ts = ms(o, "T");
        let venue_ts = if venue_ts.0 == 0 { ms(env, "E") } else { venue_ts };
        let filled = fixed(o, event, "z", sc.qty_exp)?;
        let avg = match o.get("ap").and_then(Value::as_str) {
            Some(_) => fixed(o, event, "ap", sc.price_exp)?,
            None => 0,
        };
        let order = Order {
            header: self.header(Kind::ORDER, sc.id, 0, venue_ts, recv_ns),
            price: fixed(o, event, "p", sc.price_exp)?,
            qty: fixed(o, event, "q", sc.qty_exp)?,
            filled_qty: filled,
            avg_price: avg,
            account: self.account,
            status: status(text(o, event, "X")?),
            side,
            order_type: order_type(o.get("o").and_then(Value::as_str).unwrap_or("LIMIT"), f),
            time_in_force: tif(f),
            client_id: cid,
            venue_order_id: vid,
            _pad: [0; 8],
        };
        let exec = text(o, event, "x")?;
        out.push(AccountEvent::Order(order));
        if exec == "TRADE" {
            let trade_id = int(o, event, "t")?;
            let fee_asset = o.get("N").and_then(Value::as_str).unwrap_or("");
            let fee: Decimal = o.get("n").and_then(Value::as_str).unwrap_or("0").parse().unwrap_or(Decimal::ZERO);
            let fee_exp = fee.exponent().clamp(-18, 0);
            let fill = Fill {
                header: self.header(Kind::FILL, sc.id, trade_id.max(0) as u64, venue_ts, recv_ns),
                price: fixed(o, event, "L", sc.price_exp)?,
                qty: fixed(o, event, "l", sc.qty_exp)?,
                fee: fee.to_fixed(fee_exp).map_err(|_| AccountDecodeError::Precision {
                    event: event.to_owned(),
                    field: "n",
                    value: fee.to_string(),
                    exp: fee_exp,
                })?,
                account: self.account,
                side,
                liquidity: if o.get("m").and_then(Value::as_bool).unwrap_or(false) {
                    flags::MAKER
                } else {
                    flags::TAKER
                },
                fee_exp,
                _pad0: 0,
                fee_asset: Asset::new(fee_asset).unwrap_or_default(),
                client_id: cid,
                venue_order_id: vid,
            };
            out.push(AccountEvent::Fill(fill));
        }
        Ok(())
    }
}
