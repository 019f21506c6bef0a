//! Bybit v5 private websocket (`/v5/private`): the `auth` request, the `order`, `execution`,
//! `wallet` and `position` topics decoded into the account records ([`Order`], [`Fill`],
//! [`Balance`], [`Position`]), and the protocol the feeder's shared private stream runs.
//!
//! Sample `order` push
//! (<https://bybit-exchange.github.io/docs/v5/websocket/private/order>):
//!
//! ```json
//! {"id":"5923240c6880ab-c59f-420b-9adb-3639adc9dd90","topic":"order","creationTime":1672364262474,
//!  "data":[{"symbol":"ETH-30DEC22-1400-C","orderId":"5cf98598-39a7-459e-97bf-76ca765ee020",
//!   "side":"Sell","orderType":"Market","cancelType":"UNKNOWN","price":"72.5","qty":"1",
//!   "orderIv":"","timeInForce":"IOC","orderStatus":"Filled","orderLinkId":"","avgPrice":"75",
//!   "leavesQty":"","cumExecQty":"1","cumExecValue":"75","cumExecFee":"0.358635",
//!   "createdTime":"1672364262444","updatedTime":"1672364262457","category":"option"}]}
//! ```

use std::time::Duration;

use mdbus_feeder::{
    account::{AccountDecodeError, AccountEvent, InstrumentScale, Push, Scales, event_header},
    private::{Answer, PrivateProtocol, PrivateStream},
};
use mdbus_schemas::{
    Asset, Balance, Decimal, Fill, InstrumentId, Kind, Nanos, Order, OrderId, OrderStatus, OrderType, Position,
    TimeInForce, VenueId, flags,
};
use mdbus_sdk::{
    credentials::Credentials,
    error::{Error, ErrorCode},
};
use serde_json::Value;

/// A Bybit account's private stream (`wss://stream.bybit.com/v5/private`).
pub type BybitAccountStream = PrivateStream<BybitPrivate>;

/// How long a login's `expires` lies ahead of the host's clock.
const AUTH_AHEAD_MS: u64 = 10_000;

/// Decodes one Bybit account's private pushes.
#[derive(Debug, Clone)]
pub struct BybitAccountDecoder {
    account: u32,
    instruments: Scales,
    asset_exp: i8,
}

fn venue(category: &str) -> VenueId {
    if category == "spot" { VenueId::BYBIT_SPOT } else { VenueId::BYBIT_LINEAR }
}

fn status(s: &str) -> OrderStatus {
    match s {
        "New" | "Untriggered" | "Triggered" => OrderStatus::NEW,
        "PartiallyFilled" => OrderStatus::PARTIALLY_FILLED,
        "Filled" => OrderStatus::FILLED,
        "Cancelled" | "PartiallyFilledCanceled" | "Deactivated" => OrderStatus::CANCELED,
        "Rejected" => OrderStatus::REJECTED,
        _ => OrderStatus::UNKNOWN,
    }
}

impl BybitAccountDecoder {
    /// Returns a decoder for account number `account`; instruments not added with
    /// [`BybitAccountDecoder::instrument`] use exponents −8 and id 0.
    pub fn new(account: u32) -> BybitAccountDecoder {
        BybitAccountDecoder { account, instruments: Scales::default(), asset_exp: -8 }
    }

    /// Adds an instrument's exponents and id.
    pub fn instrument(mut self, symbol: &str, scale: InstrumentScale) -> BybitAccountDecoder {
        self.instruments.insert(symbol, scale);
        self
    }

    fn scale(&self, symbol: &str) -> InstrumentScale {
        self.instruments.get(symbol)
    }

    /// Decodes one frame, appending its records to `out`: an answer to a request (`auth`,
    /// `subscribe`, `pong`) or the pushes of a topic.
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
        if let Some(op) = v.get("op").and_then(Value::as_str) {
            let ok = v.get("success").and_then(Value::as_bool).unwrap_or(true);
            let msg = v.get("ret_msg").and_then(Value::as_str).unwrap_or("");
            return Ok(match (op, ok) {
                ("auth", true) => Answer::LoggedIn,
                ("auth", false) => Answer::Refused(Self::refusal(msg)),
                ("subscribe", true) => Answer::Subscribed,
                _ => Answer::Other,
            });
        }
        let topic = v.get("topic").and_then(Value::as_str).unwrap_or("");
        let data = v.get("data").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        let ts = Push::new(&v, "bybit").ms("creationTime");
        let mut new = Vec::with_capacity(data.len());
        for item in data {
            match topic {
                "order" => new.push(self.order(item, recv_ns)?),
                "execution" => new.extend(self.fill(item, recv_ns)?),
                "wallet" => self.balances(item, ts, recv_ns, &mut new)?,
                "position" => new.push(self.position(item, recv_ns)?),
                _ => return Ok(Answer::Other),
            }
        }
        out.extend(new);
        Ok(Answer::Data)
    }

    /// The typed error of a refused `auth` (Bybit answers `"Params Error"` to an `expires`
    /// in the past).
    fn refusal(msg: &str) -> Error {
        let lower = msg.to_ascii_lowercase();
        let code = if lower.contains("expire") || lower.contains("params") {
            ErrorCode::ExpiredTimestamp
        } else if lower.contains("sign") {
            ErrorCode::InvalidSignature
        } else {
            ErrorCode::InvalidApiKey
        };
        Error::Authentication { venue: "BYBIT___SPOT".into(), code, detail: msg.to_owned() }
    }

    fn order(&self, o: &Value, recv_ns: u64) -> Result<AccountEvent, AccountDecodeError> {
        let p = Push::new(o, "order");
        let sc = self.scale(p.text("symbol")?);
        let tif = p.text_or_empty("timeInForce");
        let avg = p.text_or_empty("avgPrice");
        Ok(AccountEvent::Order(Order {
            header: event_header(
                Kind::ORDER,
                venue(p.text_or_empty("category")),
                sc.id,
                0,
                p.ms("updatedTime"),
                recv_ns,
            ),
            price: p.fixed("price", sc.price_exp)?,
            qty: p.fixed("qty", sc.qty_exp)?,
            filled_qty: p.fixed("cumExecQty", sc.qty_exp)?,
            avg_price: if avg.is_empty() { 0 } else { p.fixed("avgPrice", sc.price_exp)? },
            account: self.account,
            status: status(p.text("orderStatus")?),
            side: if p.text("side")? == "Sell" { flags::SIDE_SELL } else { flags::SIDE_BUY },
            order_type: match (p.text("orderType")?, tif) {
                ("Market", _) => OrderType::MARKET,
                (_, "PostOnly") => OrderType::LIMIT_MAKER,
                _ => OrderType::LIMIT,
            },
            time_in_force: match tif {
                "IOC" => TimeInForce::IOC,
                "FOK" => TimeInForce::FOK,
                _ => TimeInForce::GTC,
            },
            client_id: OrderId::new(p.text_or_empty("orderLinkId")).unwrap_or_default(),
            venue_order_id: OrderId::new(p.text("orderId")?).unwrap_or_default(),
            _pad: [0; 8],
        }))
    }

    /// An execution of type `Trade` as a fill; funding, settlement and the like are not fills.
    fn fill(&self, e: &Value, recv_ns: u64) -> Result<Option<AccountEvent>, AccountDecodeError> {
        let p = Push::new(e, "execution");
        if p.text_or_empty("execType") != "Trade" {
            return Ok(None);
        }
        let sc = self.scale(p.text("symbol")?);
        // Bybit reports the fee paid as positive (a rebate negative), as records carry it.
        let fee_text = p.text("execFee")?;
        let fee: Decimal = if fee_text.is_empty() {
            Decimal::ZERO
        } else {
            fee_text.parse().map_err(|_| AccountDecodeError::Field { event: "execution".into(), field: "execFee" })?
        };
        let fee_exp = fee.exponent().clamp(-18, 0);
        Ok(Some(AccountEvent::Fill(Fill {
            header: event_header(
                Kind::FILL,
                venue(p.text_or_empty("category")),
                sc.id,
                e.get("seq").and_then(Value::as_u64).unwrap_or(0),
                p.ms("execTime"),
                recv_ns,
            ),
            price: p.fixed("execPrice", sc.price_exp)?,
            qty: p.fixed("execQty", sc.qty_exp)?,
            fee: p.fixed("execFee", fee_exp)?,
            account: self.account,
            side: if p.text("side")? == "Sell" { flags::SIDE_SELL } else { flags::SIDE_BUY },
            liquidity: if e.get("isMaker").and_then(Value::as_bool) == Some(true) {
                flags::MAKER
            } else {
                flags::TAKER
            },
            fee_exp,
            _pad0: 0,
            fee_asset: Asset::new(p.text_or_empty("feeCurrency")).unwrap_or_default(),
            client_id: OrderId::new(p.text_or_empty("orderLinkId")).unwrap_or_default(),
            venue_order_id: OrderId::new(p.text("orderId")?).unwrap_or_default(),
        })))
    }

    /// Each coin of a wallet: free is the wallet balance less what orders lock.
    fn balances(
        &self,
        w: &Value,
        ts: Nanos,
        recv_ns: u64,
        out: &mut Vec<AccountEvent>,
    ) -> Result<(), AccountDecodeError> {
        for c in w.get("coin").and_then(Value::as_array).into_iter().flatten() {
            let p = Push::new(c, "wallet");
            let total = p.fixed("walletBalance", self.asset_exp)?;
            let locked = if c.get("locked").is_some() { p.fixed("locked", self.asset_exp)? } else { 0 };
            out.push(AccountEvent::Balance(Balance {
                header: event_header(Kind::BALANCE, VenueId::BYBIT_SPOT, InstrumentId(0), 0, ts, recv_ns),
                free: total - locked,
                locked,
                account: self.account,
                exponent: self.asset_exp,
                _pad0: [0; 3],
                asset: Asset::new(p.text("coin")?).unwrap_or_default(),
                _pad1: [0; 40],
            }));
        }
        Ok(())
    }

    fn position(&self, o: &Value, recv_ns: u64) -> Result<AccountEvent, AccountDecodeError> {
        let p = Push::new(o, "position");
        let sc = self.scale(p.text("symbol")?);
        let size = p.fixed("size", sc.qty_exp)?;
        let price = |f: &'static str| if p.text_or_empty(f).is_empty() { Ok(0) } else { p.fixed(f, sc.price_exp) };
        Ok(AccountEvent::Position(Position {
            header: event_header(Kind::POSITION, VenueId::BYBIT_LINEAR, sc.id, 0, p.ms("updatedTime"), recv_ns),
            qty: if p.text_or_empty("side") == "Sell" { -size } else { size },
            entry_price: price("entryPrice")?,
            mark_price: price("markPrice")?,
            unrealized_pnl: if p.text_or_empty("unrealisedPnl").is_empty() {
                0
            } else {
                p.fixed("unrealisedPnl", self.asset_exp)?
            },
            liquidation_price: price("liqPrice")?,
            account: self.account,
            pnl_exp: self.asset_exp,
            _pad0: 0,
            leverage: p.text_or_empty("leverage").parse::<f64>().map_or(0, |l| l as u16),
            _pad1: [0; 32],
        }))
    }
}

/// Bybit's private websocket: `auth` with `[apiKey, expires, signature]` (hex HMAC-SHA256 of
/// `GET/realtime` + expires), the four account topics, `{"op":"ping"}` every 20 s.
#[derive(Debug)]
pub struct BybitPrivate {
    creds: Credentials,
    signer: super::sign::BybitSigner,
    decoder: BybitAccountDecoder,
}

impl BybitPrivate {
    /// The protocol for `creds`, decoding with `decoder`.
    pub fn new(creds: Credentials, decoder: BybitAccountDecoder) -> BybitPrivate {
        let signer = super::sign::BybitSigner::new(creds.secret().expose());
        BybitPrivate { creds, signer, decoder }
    }
}

impl PrivateProtocol for BybitPrivate {
    fn login(&self, now_ms: u64) -> Vec<String> {
        let expires = now_ms + AUTH_AHEAD_MS;
        let sign = self.signer.sign_ws_auth(&expires.to_string());
        vec![
            serde_json::json!({"req_id": "auth", "op": "auth", "args": [self.creds.api_key(), expires, sign.as_str()]})
                .to_string(),
        ]
    }

    fn subscribe(&self) -> Vec<String> {
        vec![r#"{"req_id":"account","op":"subscribe","args":["order","execution","wallet","position"]}"#.to_owned()]
    }

    fn keepalive(&self, _now_ms: u64) -> Option<String> {
        Some(r#"{"req_id":"ping","op":"ping"}"#.to_owned())
    }

    /// Bybit asks for a ping every 20 s.
    fn keepalive_every(&self) -> Duration {
        Duration::from_secs(20)
    }

    fn decode(&self, frame: &[u8], recv_ns: u64, out: &mut Vec<AccountEvent>) -> Result<Answer, AccountDecodeError> {
        self.decoder.decode(frame, recv_ns, out)
    }
}
