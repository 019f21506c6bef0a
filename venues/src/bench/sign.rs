//! `mdbus bench sign`: nanoseconds per signature for every venue's scheme, beside the seed's
//! Python figures.

use std::{fmt::Write as _, hint::black_box};

use super::best;
use crate::{
    binance::sign::BinanceSigner, bybit::sign::BybitSigner, gate::sign::GateSigner, gemini::sign::GeminiSigner,
    htx::sign::HtxSigner, okx::sign::OkxSigner,
};
use serde_json::{Value, json};

/// The seed's medians (ns, section 8 of the seed research): B9 `sign_hmac_sha256_hex` over a
/// 156-byte Binance query; B10 the Binance plugin's request prelude (dict → urlencode → HMAC
/// hex → urlencode); B11 `sign_hmac_sha256_b64` over an OKX pre-hash with a JSON body.
pub const SEED_NS: [(&str, f64); 3] = [("seed_b9_ns", 2_040.0), ("seed_b10_ns", 30_075.0), ("seed_b11_ns", 2_266.0)];

/// A 156-byte Binance order query, as in the seed's B9.
pub const BINANCE_QUERY: &str = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000000&price=65000.00&newClientOrderId=mdbus-1&recvWindow=5000&timestamp=1499827319559";

fn r1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Runs the benchmark: ns per signature per venue (best of 7 rounds of `iters`).
pub fn run(iters: u32) -> Value {
    let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    let okx_body = r#"{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","px":"65000","sz":"0.01"}"#;
    let (b, o, y, g, h, m) = (
        BinanceSigner::new(secret),
        OkxSigner::new(secret),
        BybitSigner::new(secret),
        GateSigner::new(secret),
        HtxSigner::new(secret),
        GeminiSigner::new(secret),
    );
    let binance = best(iters, || b.sign(black_box(BINANCE_QUERY), "").as_str().len());
    // The whole request prelude, as the seed's B10: parameters → query string → signature →
    // final query with `&signature=`.
    let mut query = String::with_capacity(256);
    let binance_request = best(iters, || {
        query.clear();
        let params = [
            ("symbol", "BTCUSDT"),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("timeInForce", "GTC"),
            ("quantity", "0.01000000"),
            ("price", "65000.00"),
            ("newClientOrderId", "mdbus-1"),
        ];
        for (i, (k, v)) in params.iter().enumerate() {
            if i > 0 {
                query.push('&');
            }
            query.push_str(k);
            query.push('=');
            query.push_str(v);
        }
        let _ = write!(query, "&recvWindow=5000&timestamp={}", black_box(1_499_827_319_559u64));
        let sig = b.sign(&query, "");
        query.push_str("&signature=");
        query.push_str(sig.as_str());
        query.len()
    });
    let okx = best(iters, || {
        o.sign("2020-12-08T09:08:57.715Z", "POST", "/api/v5/trade/order", black_box(okx_body)).as_str().len()
    });
    let bybit = best(iters, || y.sign("1658384314791", "XXXXXXXXXX", "5000", black_box(okx_body)).as_str().len());
    let gate =
        best(iters, || g.sign("POST", "/api/v4/spot/orders", "", black_box(okx_body), "1541993715").as_str().len());
    let htx = best(iters, || {
        let (q, s) = h.sign(
            "POST",
            "api.huobi.pro",
            "/v1/order/orders/place",
            "e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx",
            "2017-05-11T15:19:30",
            &[("account-id", "100009"), ("symbol", "btcusdt")],
        );
        q.len() + s.as_str().len()
    });
    let gemini = best(iters, || {
        let (p, s) = m.sign(black_box(r#"{"request":"/v1/order/new","nonce":1700000000000,"symbol":"btcusd","amount":"0.01","price":"65000","side":"buy","type":"exchange limit"}"#));
        p.len() + s.as_str().len()
    });
    let mut v = json!({
        "iters": iters,
        "rows": ["binance", "binance_request", "okx", "bybit", "gateio", "htx", "gemini"],
        "binance_ns": r1(binance),
        "binance_request_ns": r1(binance_request),
        "okx_ns": r1(okx),
        "bybit_ns": r1(bybit),
        "gateio_ns": r1(gate),
        "htx_ns": r1(htx),
        "gemini_ns": r1(gemini),
    });
    for (k, s) in SEED_NS {
        v[k] = json!(s);
    }
    v["seed_b9_over_binance"] = json!(r1(SEED_NS[0].1 / binance));
    v["seed_b10_over_binance_request"] = json!(r1(SEED_NS[1].1 / binance_request));
    v["seed_b11_over_okx"] = json!(r1(SEED_NS[2].1 / okx));
    v
}
