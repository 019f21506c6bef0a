//! Gemini's order events websocket (`wss://api.gemini.com/v1/order/events`): authenticated in
//! the upgrade's headers like a REST call (`X-GEMINI-APIKEY`, `X-GEMINI-PAYLOAD` with the
//! request path and a growing nonce, `X-GEMINI-SIGNATURE`), refused with an HTTP 400 and
//! Gemini's error body; events arrive as JSON arrays and decode into [`Order`] and [`Fill`]
//! records. Gemini sends no balances on this socket.
//!
//! Sample (<https://docs.gemini.com/websocket/order-events/>):
//!
//! ```json
//! [{"type":"accepted","order_id":"372456298","event_id":"372456299","client_order_id":"20170208_example",
//!   "api_session":"AeRLptFXoYEqLaNiRwv8","symbol":"btcusd","side":"buy","order_type":"exchange limit",
//!   "timestamp":"1478203017","timestampms":1478203017455,"is_live":true,"is_cancelled":false,
//!   "is_hidden":false,"avg_execution_price":"0","original_amount":"14.0296","remaining_amount":"14.0296",
//!   "price":"1059.54","socket_sequence":2}]
//! ```

use std::time::Duration;

use mdbus_feeder::{
    account::{AccountDecodeError, AccountEvent, InstrumentScale, Push, Scales, event_header},
    private::{Answer, PrivateProtocol, PrivateStream},
};
use mdbus_schemas::{Asset, Decimal, Fill, Kind, Order, OrderId, OrderStatus, OrderType, TimeInForce, VenueId, flags};
use mdbus_sdk::{
    credentials::Credentials,
    error::{Error, ErrorCode},
};
use serde_json::Value;

/// A Gemini account's order events stream.
pub type GeminiAccountStream = PrivateStream<GeminiPrivate>;

/// The request path the payload names.
const PATH: &str = "/v1/order/events";

/// The event types that carry an order's state.
const ORDER_EVENTS: [&str; 8] =
    ["initial", "accepted", "rejected", "booked", "fill", "cancelled", "cancel_rejected", "closed"];

/// Decodes one Gemini account's order events.
#[derive(Debug, Clone)]
pub struct GeminiAccountDecoder {
    account: u32,
    instruments: Scales,
}

impl GeminiAccountDecoder {
    /// Returns a decoder for account number `account`; instruments not added with
    /// [`GeminiAccountDecoder::instrument`] use exponents −8 and id 0.
    pub fn new(account: u32) -> GeminiAccountDecoder {
        GeminiAccountDecoder { account, instruments: Scales::default() }
    }

    /// Adds an instrument's exponents and id (`symbol` as the events spell it: `btcusd`).
    pub fn instrument(mut self, symbol: &str, scale: InstrumentScale) -> GeminiAccountDecoder {
        self.instruments.insert(symbol, scale);
        self
    }

    fn scale(&self, symbol: &str) -> InstrumentScale {
        self.instruments.get(symbol)
    }

    /// Decodes one frame, appending its records to `out`: the `subscription_ack` (the login),
    /// a heartbeat, or an array of order events.
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
        let Value::Array(events) = v else {
            return Ok(match v.get("type").and_then(Value::as_str) {
                Some("subscription_ack") => Answer::LoggedIn,
                _ => Answer::Other,
            });
        };
        let mut new = Vec::with_capacity(events.len() * 2);
        for e in &events {
            let p = Push::new(e, "order event");
            let kind = p.text("type")?;
            if ORDER_EVENTS.contains(&kind) {
                new.extend(self.event(e, kind, recv_ns)?);
            }
        }
        out.extend(new);
        Ok(Answer::Data)
    }

    /// The records of one event: the order's state, and for a `fill` the fill.
    fn event(&self, e: &Value, kind: &str, recv_ns: u64) -> Result<Vec<AccountEvent>, AccountDecodeError> {
        let p = Push::new(e, "order event");
        let sc = self.scale(p.text("symbol")?);
        let original = p.fixed("original_amount", sc.qty_exp)?;
        let remaining =
            if p.text_or_empty("remaining_amount").is_empty() { 0 } else { p.fixed("remaining_amount", sc.qty_exp)? };
        let live = e.get("is_live").and_then(Value::as_bool).unwrap_or(false);
        let status = match kind {
            "rejected" => OrderStatus::REJECTED,
            "cancelled" => OrderStatus::CANCELED,
            _ if e.get("is_cancelled").and_then(Value::as_bool) == Some(true) => OrderStatus::CANCELED,
            _ if !live && remaining == 0 => OrderStatus::FILLED,
            _ if remaining < original => OrderStatus::PARTIALLY_FILLED,
            _ => OrderStatus::NEW,
        };
        let ts = p.ms("timestampms");
        let side = if p.text("side")? == "sell" { flags::SIDE_SELL } else { flags::SIDE_BUY };
        let cid = OrderId::new(p.text_or_empty("client_order_id")).unwrap_or_default();
        let vid = OrderId::new(p.text("order_id")?).unwrap_or_default();
        let avg = p.text_or_empty("avg_execution_price");
        let mut out = Vec::with_capacity(2);
        if let Some(f) = e.get("fill") {
            let fp = Push::new(f, "fill");
            let fee: Decimal = fp
                .text("fee")?
                .parse()
                .map_err(|_| AccountDecodeError::Field { event: "fill".into(), field: "fee" })?;
            let fee_exp = fee.exponent().clamp(-18, 0);
            out.push(AccountEvent::Fill(Fill {
                header: event_header(
                    Kind::FILL,
                    VenueId::GEMINI,
                    sc.id,
                    fp.text("trade_id")?.parse().unwrap_or(0),
                    ts,
                    recv_ns,
                ),
                price: fp.fixed("price", sc.price_exp)?,
                qty: fp.fixed("amount", sc.qty_exp)?,
                fee: fp.fixed("fee", fee_exp)?,
                account: self.account,
                side,
                liquidity: if fp.text_or_empty("liquidity") == "Maker" { flags::MAKER } else { flags::TAKER },
                fee_exp,
                _pad0: 0,
                fee_asset: Asset::new(fp.text_or_empty("fee_currency")).unwrap_or_default(),
                client_id: cid,
                venue_order_id: vid,
            }));
        }
        out.push(AccountEvent::Order(Order {
            header: event_header(Kind::ORDER, VenueId::GEMINI, sc.id, 0, ts, recv_ns),
            price: if p.text_or_empty("price").is_empty() { 0 } else { p.fixed("price", sc.price_exp)? },
            qty: original,
            filled_qty: original - remaining,
            avg_price: if avg.is_empty() { 0 } else { p.fixed("avg_execution_price", sc.price_exp)? },
            account: self.account,
            status,
            side,
            order_type: if p.text_or_empty("order_type").contains("market") {
                OrderType::MARKET
            } else {
                OrderType::LIMIT
            },
            time_in_force: TimeInForce::GTC,
            client_id: cid,
            venue_order_id: vid,
            _pad: [0; 8],
        }));
        Ok(out)
    }
}

/// Gemini's order events: the handshake's headers authenticate, the server's
/// `subscription_ack` is the login's answer, websocket pings keep the line.
#[derive(Debug)]
pub struct GeminiPrivate {
    creds: Credentials,
    signer: super::sign::GeminiSigner,
    decoder: GeminiAccountDecoder,
}

impl GeminiPrivate {
    /// The protocol for `creds`, decoding with `decoder`.
    pub fn new(creds: Credentials, decoder: GeminiAccountDecoder) -> GeminiPrivate {
        let signer = super::sign::GeminiSigner::new(creds.secret().expose());
        GeminiPrivate { creds, signer, decoder }
    }
}

impl PrivateProtocol for GeminiPrivate {
    fn headers(&self, now_ms: u64) -> Vec<(String, String)> {
        let payload = serde_json::json!({"request": PATH, "nonce": now_ms}).to_string();
        let (b64, sig) = self.signer.sign(&payload);
        vec![
            ("X-GEMINI-APIKEY".to_owned(), self.creds.api_key().to_owned()),
            ("X-GEMINI-PAYLOAD".to_owned(), b64),
            ("X-GEMINI-SIGNATURE".to_owned(), sig.as_str().to_owned()),
        ]
    }

    /// Gemini refuses the order events handshake's credentials with HTTP 400 and a `reason`
    /// (a body the socket may not have read in full: then, with no reason to tell which, a
    /// 400, 401 or 403 is a refused signature).
    fn handshake_refused(&self, status: u16, body: &[u8]) -> Option<Error> {
        let v: Value = serde_json::from_slice(body).unwrap_or_default();
        let reason = v.get("reason").and_then(Value::as_str).unwrap_or("");
        let code = match reason {
            "InvalidSignature" => ErrorCode::InvalidSignature,
            "InvalidNonce" => ErrorCode::ExpiredTimestamp,
            "InvalidApiKey" | "MissingApikeyHeader" => ErrorCode::InvalidApiKey,
            "" if matches!(status, 400 | 401 | 403) => ErrorCode::InvalidSignature,
            _ => return None,
        };
        let msg = v.get("message").and_then(Value::as_str).unwrap_or("no body");
        Some(Error::Authentication { venue: "GEMINI".into(), code, detail: format!("HTTP {status} {reason}: {msg}") })
    }

    /// The server's `subscription_ack` answers the handshake's login.
    fn login(&self, _now_ms: u64) -> Vec<String> {
        Vec::new()
    }

    fn subscribe(&self) -> Vec<String> {
        Vec::new()
    }

    /// Gemini keeps the line with websocket pings (answered by the socket) and heartbeats.
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
