//! OKX private websocket pushes (`orders`, `account`, `positions` channels) decoded into the
//! account records: [`Order`], [`Fill`], [`Balance`], [`Position`].
//!
//! Sample (<https://www.okx.com/docs-v5/en/#order-book-trading-trade-ws-order-channel>):
//!
//! ```json
//! {"arg":{"channel":"orders","instType":"SPOT","uid":"77982378738415879"},
//!  "data":[{"instId":"BTC-USDT","ordId":"312269865356374016","clOrdId":"b1","px":"65000",
//!   "sz":"0.01","side":"buy","ordType":"limit","state":"filled","accFillSz":"0.01",
//!   "fillPx":"65000","fillSz":"0.01","tradeId":"242589207","fee":"-0.00001","feeCcy":"BTC",
//!   "execType":"T","uTime":"1597026383085"}]}
//! ```

use std::collections::HashMap;

use mdbus_schemas::{
    Asset, Balance, Decimal, Fill, Header, InstrumentId, Kind, Nanos, Order, OrderId, OrderStatus, OrderType, Position,
    TimeInForce, VenueId, flags,
};
use serde_json::Value;

pub use mdbus_feeder::account::{AccountDecodeError, AccountEvent, InstrumentScale};

/// What a frame was, besides data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Control {
    /// Data pushes (records appended).
    Data,
    /// `{"event":"login","code":"0"}`.
    LoggedIn,
    /// `{"event":"subscribe",...}`.
    Subscribed,
    /// `{"event":"error","code":...,"msg":...}` (login refused, bad subscription).
    Error {
        /// OKX's code.
        code: String,
        /// Its message.
        msg: String,
    },
    /// `pong`, or a frame of a channel this decoder does not read.
    Other,
}

/// Decodes one OKX account's private pushes.
#[derive(Debug, Clone)]
pub struct OkxAccountDecoder {
    account: u32,
    instruments: HashMap<String, InstrumentScale>,
    asset_exp: i8,
}

fn s<'a>(v: &'a Value, field: &'static str) -> Result<&'a str, AccountDecodeError> {
    v.get(field).and_then(Value::as_str).ok_or(AccountDecodeError::Field { event: "okx".into(), field })
}

fn fixed(v: &Value, field: &'static str, exp: i8) -> Result<i64, AccountDecodeError> {
    let text = s(v, field)?;
    if text.is_empty() {
        return Ok(0);
    }
    let d: Decimal = text.parse().map_err(|_| AccountDecodeError::Field { event: "okx".into(), field })?;
    d.to_fixed(exp).map_err(|_| AccountDecodeError::Precision {
        event: "okx".into(),
        field,
        value: text.to_owned(),
        exp,
    })
}

fn ms(v: &Value, field: &str) -> Nanos {
    Nanos(
        v.get(field).and_then(Value::as_str).and_then(|t| t.parse::<u64>().ok()).unwrap_or(0).saturating_mul(1_000_000),
    )
}

impl OkxAccountDecoder {
    /// Returns a decoder for account number `account`; instruments not added with
    /// [`OkxAccountDecoder::instrument`] use exponents −8 and id 0.
    pub fn new(account: u32) -> OkxAccountDecoder {
        OkxAccountDecoder { account, instruments: HashMap::new(), asset_exp: -8 }
    }

    /// Adds an instrument's exponents and id.
    pub fn instrument(mut self, inst_id: &str, scale: InstrumentScale) -> OkxAccountDecoder {
        self.instruments.insert(inst_id.to_owned(), scale);
        self
    }

    fn scale(&self, inst: &str) -> InstrumentScale {
        self.instruments.get(inst).copied().unwrap_or(InstrumentScale {
            id: InstrumentId(0),
            price_exp: -8,
            qty_exp: -8,
        })
    }

    fn header(kind: Kind, instrument: InstrumentId, seq: u64, ts: Nanos, recv_ns: u64) -> Header {
        let mut h = Header::new(kind);
        h.venue = VenueId::OKX;
        h.instrument = instrument;
        h.venue_seq = seq;
        h.venue_ts = ts;
        h.recv_ts = Nanos(recv_ns);
        h
    }

    /// Decodes one frame, appending its records to `out`.
    ///
    /// # Errors
    ///
    /// [`AccountDecodeError`]; nothing is appended then.
    pub fn decode(
        &self,
        frame: &[u8],
        recv_ns: u64,
        out: &mut Vec<AccountEvent>,
    ) -> Result<Control, AccountDecodeError> {
        if frame == b"pong" {
            return Ok(Control::Other);
        }
        let v: Value = serde_json::from_slice(frame).map_err(|e| AccountDecodeError::Json(e.to_string()))?;
        if let Some(event) = v.get("event").and_then(Value::as_str) {
            return Ok(match event {
                "login" if v.get("code").and_then(Value::as_str) == Some("0") => Control::LoggedIn,
                "subscribe" | "channel-conn-count" => Control::Subscribed,
                "error" | "login" => Control::Error {
                    code: v.get("code").and_then(Value::as_str).unwrap_or("").to_owned(),
                    msg: v.get("msg").and_then(Value::as_str).unwrap_or("").to_owned(),
                },
                _ => Control::Other,
            });
        }
        let channel = v.get("arg").and_then(|a| a.get("channel")).and_then(Value::as_str).unwrap_or("");
        let data = v.get("data").and_then(Value::as_array).cloned().unwrap_or_default();
        let mut new = Vec::new();
        match channel {
            "orders" => {
                for o in &data {
                    self.order(o, recv_ns, &mut new)?;
                }
            }
            "account" => {
                for a in &data {
                    for d in a.get("details").and_then(Value::as_array).into_iter().flatten() {
                        new.push(AccountEvent::Balance(Balance {
                            header: Self::header(Kind::BALANCE, InstrumentId(0), 0, ms(d, "uTime"), recv_ns),
                            free: fixed(d, "availBal", self.asset_exp)?,
                            locked: fixed(d, "frozenBal", self.asset_exp)?,
                            account: self.account,
                            exponent: self.asset_exp,
                            _pad0: [0; 3],
                            asset: Asset::new(s(d, "ccy")?).unwrap_or_default(),
                            _pad1: [0; 40],
                        }));
                    }
                }
            }
            "positions" => {
                for p in &data {
                    let inst = s(p, "instId")?;
                    let sc = self.scale(inst);
                    new.push(AccountEvent::Position(Position {
                        header: Self::header(Kind::POSITION, sc.id, 0, ms(p, "uTime"), recv_ns),
                        qty: fixed(p, "pos", sc.qty_exp)?,
                        entry_price: fixed(p, "avgPx", sc.price_exp)?,
                        mark_price: 0,
                        unrealized_pnl: fixed(p, "upl", self.asset_exp)?,
                        liquidation_price: 0,
                        account: self.account,
                        pnl_exp: self.asset_exp,
                        _pad0: 0,
                        leverage: p.get("lever").and_then(Value::as_str).and_then(|l| l.parse().ok()).unwrap_or(0),
                        _pad1: [0; 32],
                    }));
                }
            }
            _ => return Ok(Control::Other),
        }
        out.extend(new);
        Ok(Control::Data)
    }

    fn order(&self, o: &Value, recv_ns: u64, out: &mut Vec<AccountEvent>) -> Result<(), AccountDecodeError> {
        let inst = s(o, "instId")?;
        let sc = self.scale(inst);
        let side = if s(o, "side")? == "sell" { flags::SIDE_SELL } else { flags::SIDE_BUY };
        let ord_type = s(o, "ordType")?;
        let cid = OrderId::new(s(o, "clOrdId")?).unwrap_or_default();
        let vid = OrderId::new(s(o, "ordId")?).unwrap_or_default();
        let ts = ms(o, "uTime");
        out.push(AccountEvent::Order(Order {
            header: Self::header(Kind::ORDER, sc.id, 0, ts, recv_ns),
            price: fixed(o, "px", sc.price_exp)?,
            qty: fixed(o, "sz", sc.qty_exp)?,
            filled_qty: fixed(o, "accFillSz", sc.qty_exp)?,
            avg_price: match o.get("avgPx") {
                Some(_) => fixed(o, "avgPx", sc.price_exp)?,
                None => 0,
            },
            account: self.account,
            status: match s(o, "state")? {
                "live" => OrderStatus::NEW,
                "partially_filled" => OrderStatus::PARTIALLY_FILLED,
                "filled" => OrderStatus::FILLED,
                "canceled" | "mmp_canceled" => OrderStatus::CANCELED,
                _ => OrderStatus::UNKNOWN,
            },
            side,
            order_type: match ord_type {
                "market" | "optimal_limit_ioc" => OrderType::MARKET,
                "post_only" => OrderType::LIMIT_MAKER,
                _ => OrderType::LIMIT,
            },
            time_in_force: match ord_type {
                "ioc" | "optimal_limit_ioc" => TimeInForce::IOC,
                "fok" => TimeInForce::FOK,
                _ => TimeInForce::GTC,
            },
            client_id: cid,
            venue_order_id: vid,
            _pad: [0; 8],
        }));
        let fill_sz = o.get("fillSz").and_then(Value::as_str).unwrap_or("");
        if !fill_sz.is_empty() && fill_sz != "0" {
            let fee: Decimal = o.get("fee").and_then(Value::as_str).unwrap_or("0").parse().unwrap_or(Decimal::ZERO);
            let fee_exp = fee.exponent().clamp(-18, 0);
            // OKX reports fees as negative amounts charged; records carry a charge as positive.
            let fee_m = fee.to_fixed(fee_exp).map_err(|_| AccountDecodeError::Precision {
                event: "okx".into(),
                field: "fee",
                value: fee.to_string(),
                exp: fee_exp,
            })?;
            out.push(AccountEvent::Fill(Fill {
                header: Self::header(
                    Kind::FILL,
                    sc.id,
                    s(o, "tradeId")?.parse().unwrap_or(0),
                    ms(o, "fillTime").max(ts),
                    recv_ns,
                ),
                price: fixed(o, "fillPx", sc.price_exp)?,
                qty: fixed(o, "fillSz", sc.qty_exp)?,
                fee: -fee_m,
                account: self.account,
                side,
                liquidity: if o.get("execType").and_then(Value::as_str) == Some("M") {
                    flags::MAKER
                } else {
                    flags::TAKER
                },
                fee_exp,
                _pad0: 0,
                fee_asset: Asset::new(o.get("feeCcy").and_then(Value::as_str).unwrap_or("")).unwrap_or_default(),
                client_id: cid,
                venue_order_id: vid,
            }));
        }
        Ok(())
    }
}
