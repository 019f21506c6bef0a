//! HTX's private websocket (`wss://api.huobi.pro/ws/v2`, plain JSON text): the `auth` request
//! (signature version 2.1), the `orders#*`, `trade.clearing#*#0` and `accounts.update#2`
//! channels decoded into the account records ([`Order`], [`Fill`], [`Balance`]), the server's
//! `ping` answered with `pong`, and the protocol the feeder's shared private stream runs.
//!
//! Samples (<https://www.htx.com/en-us/opend/newApiPages/>, "Subscribe order updates"):
//!
//! ```json
//! {"action":"push","ch":"orders#btcusdt","data":{"orderSide":"buy","lastActTime":1583853365586,
//!  "clientOrderId":"abc123","orderStatus":"submitted","symbol":"btcusdt","eventType":"creation",
//!  "type":"buy-limit","orderPrice":"9634.56","orderSize":"0.1","orderId":27163533,
//!  "orderSource":"spot-api","orderCreateTime":1583853365586}}
//! {"action":"ping","data":{"ts":1575537778295}}
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

/// An HTX account's private stream.
pub type HtxAccountStream = PrivateStream<HtxPrivate>;

/// Decodes one HTX account's private pushes.
#[derive(Debug, Clone)]
pub struct HtxAccountDecoder {
    account: u32,
    instruments: Scales,
    asset_exp: i8,
}

fn status(s: &str) -> OrderStatus {
    match s {
        "submitted" | "created" => OrderStatus::NEW,
        "partial-filled" => OrderStatus::PARTIALLY_FILLED,
        "filled" => OrderStatus::FILLED,
        "canceled" | "partial-canceled" => OrderStatus::CANCELED,
        "rejected" => OrderStatus::REJECTED,
        _ => OrderStatus::UNKNOWN,
    }
}

/// A number that HTX sends as text or as a JSON number.
fn id(v: &Value, field: &str) -> u64 {
    v.get(field).and_then(|x| x.as_u64().or_else(|| x.as_str()?.parse().ok())).unwrap_or(0)
}

impl HtxAccountDecoder {
    /// Returns a decoder for account number `account`; instruments not added with
    /// [`HtxAccountDecoder::instrument`] use exponents −8 and id 0.
    pub fn new(account: u32) -> HtxAccountDecoder {
        HtxAccountDecoder { account, instruments: Scales::default(), asset_exp: -8 }
    }

    /// Adds an instrument's exponents and id (`symbol` as HTX spells it: `btcusdt`).
    pub fn instrument(mut self, symbol: &str, scale: InstrumentScale) -> HtxAccountDecoder {
        self.instruments.insert(symbol, scale);
        self
    }

    fn scale(&self, symbol: &str) -> InstrumentScale {
        self.instruments.get(symbol)
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
    ) -> Result<Answer, AccountDecodeError> {
        let v: Value = serde_json::from_slice(frame).map_err(|e| AccountDecodeError::Json(e.to_string()))?;
        let action = v.get("action").and_then(Value::as_str).unwrap_or("");
        let ch = v.get("ch").and_then(Value::as_str).unwrap_or("");
        let code = v.get("code").and_then(Value::as_i64);
        match action {
            "ping" => {
                let ts = v.get("data").and_then(|d| d.get("ts")).cloned().unwrap_or(Value::Null);
                return Ok(Answer::Reply(serde_json::json!({"action": "pong", "data": {"ts": ts}}).to_string()));
            }
            "req" if ch == "auth" => {
                return Ok(match code {
                    Some(200) => Answer::LoggedIn,
                    _ => Answer::Refused(Self::refusal(code, v.get("message").and_then(Value::as_str).unwrap_or(""))),
                });
            }
            "sub" => return Ok(if code == Some(200) { Answer::Subscribed } else { Answer::Other }),
            "push" => {}
            _ => return Ok(Answer::Other),
        }
        let Some(data) = v.get("data") else { return Ok(Answer::Other) };
        let record = if ch.starts_with("orders#") {
            self.order(data, recv_ns)?
        } else if ch.starts_with("trade.clearing#") {
            self.fill(data, recv_ns)?
        } else if ch.starts_with("accounts.update#") {
            self.balance(data, recv_ns)?
        } else {
            return Ok(Answer::Other);
        };
        out.push(record);
        Ok(Answer::Data)
    }

    /// The typed error of a refused `auth`.
    fn refusal(code_number: Option<i64>, msg: &str) -> Error {
        let lower = msg.to_ascii_lowercase();
        let code = if lower.contains("expire") || lower.contains("timestamp") {
            ErrorCode::ExpiredTimestamp
        } else if lower.contains("sign") || lower.contains("auth.fail") {
            ErrorCode::InvalidSignature
        } else {
            ErrorCode::InvalidApiKey
        };
        let detail = match code_number {
            Some(n) => format!("{n}: {msg}"),
            None => msg.to_owned(),
        };
        Error::Authentication { venue: "HTX".into(), code, detail }
    }

    fn order(&self, o: &Value, recv_ns: u64) -> Result<AccountEvent, AccountDecodeError> {
        let p = Push::new(o, "orders");
        let sc = self.scale(p.text("symbol")?);
        let kind = p.text("type")?;
        let opt = |f: &'static str, exp: i8| {
            if p.text_or_empty(f).is_empty() { Ok(0) } else { p.fixed(f, exp) }
        };
        let ts = match p.ms("tradeTime") {
            Nanos(0) => p.ms("lastActTime"),
            t => t,
        };
        Ok(AccountEvent::Order(Order {
            header: event_header(Kind::ORDER, VenueId::HTX, sc.id, 0, ts, recv_ns),
            price: opt("orderPrice", sc.price_exp)?,
            qty: opt("orderSize", sc.qty_exp)?,
            filled_qty: opt("execAmt", sc.qty_exp)?,
            avg_price: 0,
            account: self.account,
            status: status(p.text("orderStatus")?),
            side: if kind.starts_with("sell") { flags::SIDE_SELL } else { flags::SIDE_BUY },
            order_type: if kind.ends_with("-market") {
                OrderType::MARKET
            } else if kind.ends_with("-limit-maker") {
                OrderType::LIMIT_MAKER
            } else {
                OrderType::LIMIT
            },
            time_in_force: if kind.ends_with("-ioc") {
                TimeInForce::IOC
            } else if kind.ends_with("-fok") {
                TimeInForce::FOK
            } else {
                TimeInForce::GTC
            },
            client_id: OrderId::new(p.text_or_empty("clientOrderId")).unwrap_or_default(),
            venue_order_id: OrderId::new(&id(o, "orderId").to_string()).unwrap_or_default(),
            _pad: [0; 8],
        }))
    }

    fn fill(&self, t: &Value, recv_ns: u64) -> Result<AccountEvent, AccountDecodeError> {
        let p = Push::new(t, "trade.clearing");
        let sc = self.scale(p.text("symbol")?);
        // HTX reports the fee charged as positive, as records carry it.
        let fee: Decimal = p
            .text("transactFee")?
            .parse()
            .map_err(|_| AccountDecodeError::Field { event: "trade.clearing".into(), field: "transactFee" })?;
        let fee_exp = fee.exponent().clamp(-18, 0);
        Ok(AccountEvent::Fill(Fill {
            header: event_header(Kind::FILL, VenueId::HTX, sc.id, id(t, "tradeId"), p.ms("tradeTime"), recv_ns),
            price: p.fixed("tradePrice", sc.price_exp)?,
            qty: p.fixed("tradeVolume", sc.qty_exp)?,
            fee: p.fixed("transactFee", fee_exp)?,
            account: self.account,
            side: if p.text_or_empty("orderSide") == "sell" { flags::SIDE_SELL } else { flags::SIDE_BUY },
            liquidity: if t.get("aggressor").and_then(Value::as_bool) == Some(false) {
                flags::MAKER
            } else {
                flags::TAKER
            },
            fee_exp,
            _pad0: 0,
            fee_asset: Asset::new(&p.text_or_empty("feeCurrency").to_ascii_uppercase()).unwrap_or_default(),
            client_id: OrderId::new(p.text_or_empty("clientOrderId")).unwrap_or_default(),
            venue_order_id: OrderId::new(&id(t, "orderId").to_string()).unwrap_or_default(),
        }))
    }

    /// A balance change: `balance` in total, `available` free.
    fn balance(&self, b: &Value, recv_ns: u64) -> Result<AccountEvent, AccountDecodeError> {
        let p = Push::new(b, "accounts.update");
        let total = p.fixed("balance", self.asset_exp)?;
        let free = p.fixed("available", self.asset_exp)?;
        Ok(AccountEvent::Balance(Balance {
            header: event_header(
                Kind::BALANCE,
                VenueId::HTX,
                InstrumentId(0),
                id(b, "seqNum"),
                p.ms("changeTime"),
                recv_ns,
            ),
            free,
            locked: total - free,
            account: self.account,
            exponent: self.asset_exp,
            _pad0: [0; 3],
            asset: Asset::new(&p.text("currency")?.to_ascii_uppercase()).unwrap_or_default(),
            _pad1: [0; 40],
        }))
    }
}

/// HTX's private websocket: `auth` signed over `GET`, the host and path of the URL and the
/// version 2.1 parameters; the server pings, the client answers.
#[derive(Debug)]
pub struct HtxPrivate {
    creds: Credentials,
    signer: super::sign::HtxSigner,
    host: String,
    path: String,
    decoder: HtxAccountDecoder,
}

impl HtxPrivate {
    /// The protocol for `creds` on the private endpoint `url` (its host and path are signed),
    /// decoding with `decoder`.
    ///
    /// # Errors
    ///
    /// A message naming a URL that cannot be parsed.
    pub fn new(url: &str, creds: Credentials, decoder: HtxAccountDecoder) -> Result<HtxPrivate, String> {
        let ep = mdbus_sdk::url::Endpoint::parse(url)
            .ok_or_else(|| format!("bad websocket url {}", mdbus_sdk::redact::url(url)))?;
        let signer = super::sign::HtxSigner::new(creds.secret().expose());
        Ok(HtxPrivate { creds, signer, host: ep.host.to_ascii_lowercase(), path: ep.path, decoder })
    }
}

impl PrivateProtocol for HtxPrivate {
    fn login(&self, now_ms: u64) -> Vec<String> {
        let ts = mdbus_sdk::order::time::iso8601_secs(now_ms);
        let sig = self.signer.sign_ws_auth(&self.host, &self.path, self.creds.api_key(), &ts);
        vec![
            serde_json::json!({"action": "req", "ch": "auth", "params": {"authType": "api",
                "accessKey": self.creds.api_key(), "signatureMethod": "HmacSHA256", "signatureVersion": "2.1",
                "timestamp": ts, "signature": sig.as_str()}})
            .to_string(),
        ]
    }

    fn subscribe(&self) -> Vec<String> {
        ["orders#*", "trade.clearing#*#0", "accounts.update#2"]
            .iter()
            .map(|ch| serde_json::json!({"action": "sub", "ch": ch}).to_string())
            .collect()
    }

    /// HTX pings; the client answers each ping and sends nothing of its own.
    fn keepalive(&self, _now_ms: u64) -> Option<String> {
        None
    }

    fn keepalive_every(&self) -> Duration {
        Duration::from_secs(20)
    }

    fn decode(&self, frame: &[u8], recv_ns: u64, out: &mut Vec<AccountEvent>) -> Result<Answer, AccountDecodeError> {
        self.decoder.decode(frame, recv_ns, out)
    }
}
