//! Gate.io's private channels (`wss://api.gateio.ws/ws/v4/`, the same socket as the public
//! ones): each `subscribe` carries its own signature, `auth: {method: "api_key", KEY, SIGN}`
//! with `SIGN` the hex HMAC-SHA512 of `channel=<c>&event=subscribe&time=<t>`. The
//! `spot.orders`, `spot.usertrades` and `spot.balances` updates decode into the account records
//! ([`Order`], [`Fill`], [`Balance`]); the client's order id comes back in `text` as `t-<id>`.
//!
//! Sample `spot.orders` update (<https://www.gate.io/docs/developers/apiv4/ws/en/>):
//!
//! ```json
//! {"time":1605175506,"channel":"spot.orders","event":"update","result":[{"id":"30784435",
//!  "user":123456,"text":"t-abc","create_time":"1605175506","create_time_ms":"1605175506123",
//!  "update_time":"1605175506","update_time_ms":"1605175506123","event":"put",
//!  "currency_pair":"BTC_USDT","type":"limit","account":"spot","side":"sell","amount":"1",
//!  "price":"10001","time_in_force":"gtc","left":"1","filled_total":"0","fee":"0",
//!  "fee_currency":"USDT","point_fee":"0","gt_fee":"0","gt_discount":true,"rebated_fee":"0",
//!  "rebated_fee_currency":"USDT"}]}
//! ```

use std::time::Duration;

use mdbus_feeder::{
    account::{AccountDecodeError, AccountEvent, InstrumentScale, Push, Scales, event_header},
    private::{Answer, PrivateProtocol, PrivateStream},
};
use mdbus_schemas::{
    Asset, Balance, Decimal, Fill, InstrumentId, Kind, Nanos, Order, OrderId, OrderStatus, OrderType, TimeInForce,
    VenueId, flags,
};
use mdbus_sdk::{
    credentials::Credentials,
    error::{Error, ErrorCode},
};
use serde_json::Value;

/// A Gate.io account's private stream.
pub type GateAccountStream = PrivateStream<GatePrivate>;

/// The private channels, in the order they are subscribed (the first one's answer is the login's).
const CHANNELS: [&str; 3] = ["spot.orders", "spot.usertrades", "spot.balances"];

/// Decodes one Gate.io account's private updates.
#[derive(Debug, Clone)]
pub struct GateAccountDecoder {
    account: u32,
    instruments: Scales,
    asset_exp: i8,
}

/// The client's id without Gate's `t-` prefix.
fn client_id(text: &str) -> OrderId {
    OrderId::new(text.strip_prefix("t-").unwrap_or("")).unwrap_or_default()
}

/// A millisecond time Gate sends as text with a fraction (`"1605176741123.456"`).
fn ms(v: &Value, field: &str) -> Nanos {
    let text = v.get(field).and_then(Value::as_str).unwrap_or("");
    let whole = text.split('.').next().unwrap_or("");
    Nanos(whole.parse::<u64>().unwrap_or(0).saturating_mul(1_000_000))
}

impl GateAccountDecoder {
    /// Returns a decoder for account number `account`; instruments not added with
    /// [`GateAccountDecoder::instrument`] use exponents −8 and id 0.
    pub fn new(account: u32) -> GateAccountDecoder {
        GateAccountDecoder { account, instruments: Scales::default(), asset_exp: -8 }
    }

    /// Adds an instrument's exponents and id (`pair` as Gate.io spells it: `BTC_USDT`).
    pub fn instrument(mut self, pair: &str, scale: InstrumentScale) -> GateAccountDecoder {
        self.instruments.insert(pair, scale);
        self
    }

    fn scale(&self, pair: &str) -> InstrumentScale {
        self.instruments.get(pair)
    }

    /// Decodes one frame, appending its records to `out`: a subscription's answer (the first
    /// accepted one is the login; a refused signature is the login refused) or an update.
    ///
    /// # Errors
    ///
    /// [`AccountDecodeError`]; nothing is appended then.
    pub fn decode(
        &self,
        frame: &[u8],
        recv_ns: u64,
        out: &mut Vec<AccountEvent>,
    ) -> Result<Answer, AccountDecodeError> {
        let v: Value = serde_json::from_slice(frame).map_err(|e| AccountDecodeError::Json(e.to_string()))?;
        let channel = v.get("channel").and_then(Value::as_str).unwrap_or("");
        let event = v.get("event").and_then(Value::as_str).unwrap_or("");
        if !CHANNELS.contains(&channel) {
            return Ok(Answer::Other);
        }
        if event == "subscribe" {
            return Ok(match v.get("error").filter(|e| !e.is_null()) {
                None => Answer::LoggedIn,
                Some(e) => Answer::Refused(Self::refusal(e)),
            });
        }
        if event != "update" {
            return Ok(Answer::Other);
        }
        let items = v.get("result").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        let mut new = Vec::with_capacity(items.len());
        for item in items {
            new.push(match channel {
                "spot.orders" => self.order(item, recv_ns)?,
                "spot.usertrades" => self.fill(item, recv_ns)?,
                _ => self.balance(item, recv_ns)?,
            });
        }
        out.extend(new);
        Ok(Answer::Data)
    }

    /// The typed error of a refused subscription (Gate.io's code 4: authentication failed).
    fn refusal(e: &Value) -> Error {
        let msg = e.get("message").and_then(Value::as_str).unwrap_or("");
        let lower = msg.to_ascii_lowercase();
        let code = if lower.contains("key") {
            ErrorCode::InvalidApiKey
        } else if lower.contains("time") || lower.contains("expire") {
            ErrorCode::ExpiredTimestamp
        } else {
            ErrorCode::InvalidSignature
        };
        let number = e.get("code").and_then(Value::as_i64).unwrap_or(0);
        Error::Authentication { venue: "GATEIO".into(), code, detail: format!("{number}: {msg}") }
    }

    fn order(&self, o: &Value, recv_ns: u64) -> Result<AccountEvent, AccountDecodeError> {
        let p = Push::new(o, "spot.orders");
        let sc = self.scale(p.text("currency_pair")?);
        let amount = p.fixed("amount", sc.qty_exp)?;
        let left = p.fixed("left", sc.qty_exp)?;
        let status = match (p.text_or_empty("event"), p.text_or_empty("finish_as")) {
            ("finish", "filled") => OrderStatus::FILLED,
            ("finish", _) => OrderStatus::CANCELED,
            (_, _) if left < amount => OrderStatus::PARTIALLY_FILLED,
            _ => OrderStatus::NEW,
        };
        let tif = p.text_or_empty("time_in_force");
        Ok(AccountEvent::Order(Order {
            header: event_header(Kind::ORDER, VenueId::GATEIO, sc.id, 0, ms(o, "update_time_ms"), recv_ns),
            price: if p.text_or_empty("price").is_empty() { 0 } else { p.fixed("price", sc.price_exp)? },
            qty: amount,
            filled_qty: amount - left,
            avg_price: 0,
            account: self.account,
            status,
            side: if p.text("side")? == "sell" { flags::SIDE_SELL } else { flags::SIDE_BUY },
            order_type: match (p.text_or_empty("type"), tif) {
                ("market", _) => OrderType::MARKET,
                (_, "poc") => OrderType::LIMIT_MAKER,
                _ => OrderType::LIMIT,
            },
            time_in_force: match tif {
                "ioc" => TimeInForce::IOC,
                "fok" => TimeInForce::FOK,
                _ => TimeInForce::GTC,
            },
            client_id: client_id(p.text_or_empty("text")),
            venue_order_id: OrderId::new(p.text("id")?).unwrap_or_default(),
            _pad: [0; 8],
        }))
    }

    fn fill(&self, t: &Value, recv_ns: u64) -> Result<AccountEvent, AccountDecodeError> {
        let p = Push::new(t, "spot.usertrades");
        let sc = self.scale(p.text("currency_pair")?);
        // Gate.io reports the fee charged as positive, as records carry it.
        let fee: Decimal = p
            .text("fee")?
            .parse()
            .map_err(|_| AccountDecodeError::Field { event: "spot.usertrades".into(), field: "fee" })?;
        let fee_exp = fee.exponent().clamp(-18, 0);
        let seq = t.get("id").and_then(|x| x.as_u64().or_else(|| x.as_str()?.parse().ok())).unwrap_or(0);
        Ok(AccountEvent::Fill(Fill {
            header: event_header(Kind::FILL, VenueId::GATEIO, sc.id, seq, ms(t, "create_time_ms"), recv_ns),
            price: p.fixed("price", sc.price_exp)?,
            qty: p.fixed("amount", sc.qty_exp)?,
            fee: p.fixed("fee", fee_exp)?,
            account: self.account,
            side: if p.text_or_empty("side") == "sell" { flags::SIDE_SELL } else { flags::SIDE_BUY },
            liquidity: if p.text_or_empty("role") == "maker" { flags::MAKER } else { flags::TAKER },
            fee_exp,
            _pad0: 0,
            fee_asset: Asset::new(p.text_or_empty("fee_currency")).unwrap_or_default(),
            client_id: client_id(p.text_or_empty("text")),
            venue_order_id: OrderId::new(p.text("order_id")?).unwrap_or_default(),
        }))
    }

    /// A balance: `available` free, `freeze` locked.
    fn balance(&self, b: &Value, recv_ns: u64) -> Result<AccountEvent, AccountDecodeError> {
        let p = Push::new(b, "spot.balances");
        Ok(AccountEvent::Balance(Balance {
            header: event_header(Kind::BALANCE, VenueId::GATEIO, InstrumentId(0), 0, ms(b, "timestamp_ms"), recv_ns),
            free: p.fixed("available", self.asset_exp)?,
            locked: p.fixed("freeze", self.asset_exp)?,
            account: self.account,
            exponent: self.asset_exp,
            _pad0: [0; 3],
            asset: Asset::new(p.text("currency")?).unwrap_or_default(),
            _pad1: [0; 40],
        }))
    }
}

/// Gate.io's private channels: every subscription signed, the first one's answer the login,
/// `spot.ping` every 10 s.
#[derive(Debug)]
pub struct GatePrivate {
    creds: Credentials,
    signer: super::sign::GateSigner,
    decoder: GateAccountDecoder,
}

impl GatePrivate {
    /// The protocol for `creds`, decoding with `decoder`.
    pub fn new(creds: Credentials, decoder: GateAccountDecoder) -> GatePrivate {
        let signer = super::sign::GateSigner::new(creds.secret().expose());
        GatePrivate { creds, signer, decoder }
    }

    fn subscribe_to(&self, channel: &str, now_ms: u64) -> String {
        let time = now_ms / 1000;
        let sign = self.signer.sign_ws(channel, "subscribe", time);
        let payload = if channel == "spot.balances" { serde_json::json!([]) } else { serde_json::json!(["!all"]) };
        serde_json::json!({"time": time, "channel": channel, "event": "subscribe", "payload": payload,
            "auth": {"method": "api_key", "KEY": self.creds.api_key(), "SIGN": sign.as_str()}})
        .to_string()
    }
}

impl PrivateProtocol for GatePrivate {
    fn login(&self, now_ms: u64) -> Vec<String> {
        vec![self.subscribe_to(CHANNELS[0], now_ms)]
    }

    fn subscribe(&self) -> Vec<String> {
        let now_ms = mdbus_bus::now_ns() / 1_000_000;
        CHANNELS[1..].iter().map(|c| self.subscribe_to(c, now_ms)).collect()
    }

    fn keepalive(&self, now_ms: u64) -> Option<String> {
        Some(serde_json::json!({"time": now_ms / 1000, "channel": "spot.ping"}).to_string())
    }

    fn keepalive_every(&self) -> Duration {
        Duration::from_secs(10)
    }

    fn decode(&self, frame: &[u8], recv_ns: u64, out: &mut Vec<AccountEvent>) -> Result<Answer, AccountDecodeError> {
        self.decoder.decode(frame, recv_ns, out)
    }
}
