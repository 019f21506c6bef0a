//! Signers against published examples where venues publish them, and otherwise against
//! vectors made independently with Python's `hmac`/`hashlib` from each venue's documented
//! recipe (the pre-hash strings are spelled out below). Signing allocates nothing for the
//! fixed-input schemes.

#![allow(clippy::unwrap_used)]

use mdbus_sdk::signing::{MacKey, SignError, SignInput};
use mdbus_venues::{
    binance::sign::BinanceSigner, bybit::sign::BybitSigner, gate::sign::GateSigner, gemini::sign::GeminiSigner,
    htx::sign::HtxSigner, okx::sign::OkxSigner,
};

const SECRET: &str = "SECRETKEY0123456789";

#[test]
fn binance_reproduces_both_documented_examples() {
    let s = BinanceSigner::new("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j");
    // Example 1: everything in the query string.
    let q = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
    assert_eq!(s.sign(q, "").as_str(), "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
    // Example 1 again, all in the body.
    assert_eq!(s.sign("", q).as_str(), "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
    // Example 3: mixed query and body, concatenated without '&'.
    assert_eq!(
        s.sign(
            "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC",
            "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
        )
        .as_str(),
        "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"
    );
}

#[test]
fn okx_rest_and_websocket_login() {
    let s = OkxSigner::new(SECRET);
    // "2020-12-08T09:08:57.715Z" + "GET" + "/api/v5/account/balance?ccy=BTC" (OKX's example request).
    assert_eq!(
        s.sign("2020-12-08T09:08:57.715Z", "GET", "/api/v5/account/balance?ccy=BTC", "").as_str(),
        "wfTl2i1SELvp8Nb2669a45Ue+b1Wdy1udmIK9YrGXk0="
    );
    let body = r#"{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","px":"2.15","sz":"2"}"#;
    assert_eq!(
        s.sign("2020-12-08T09:08:57.715Z", "POST", "/api/v5/trade/order", body).as_str(),
        "g6W9YPLZh/PCvR13djZml+2KQUooXYJ7fNFRlVkl5gs="
    );
    // "1538054050" + "GET" + "/users/self/verify".
    assert_eq!(s.sign_ws_login("1538054050").as_str(), "F2nzlYFBkWcjKYhB/Rrt2NY/N7V86GvJ8A7pEbCDeNE=");
}

#[test]
fn bybit_post_body_and_get_query() {
    let s = BybitSigner::new(SECRET);
    let body =
        r#"{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.001","price":"10000"}"#;
    assert_eq!(
        s.sign("1658384314791", "XXXXXXXXXX", "5000", body).as_str(),
        "7762c3f10bdd9024dcddec28668a8e7490f8cd297a958fbba5961749623a63af"
    );
    assert_eq!(
        s.sign("1658384314791", "XXXXXXXXXX", "5000", "category=option&symbol=BTC-29JUL22-25000-C").as_str(),
        "3167a56cbc43e01f41c4f955295f8eaa753be99d7c6594b7788b65b2b98a0639"
    );
}

#[test]
fn gate_hashes_the_body_and_signs_five_lines() {
    let body = r#"{"contract":"BTC_USDT","size":100,"price":"30000","tif":"gtc"}"#;
    assert_eq!(
        GateSigner::body_hash(body).as_str(),
        "65cc138b966c606ae92d4509bebe397153c5adee87281f861b192e940ca03c31b04846f3d332f38ed6ecba60e17c269f754b6978a88b5855a0a0d629727c8cc4"
    );
    // The empty body's hash is SHA-512 of nothing.
    assert!(GateSigner::body_hash("").as_str().starts_with("cf83e1357eefb8bdf1542850d66d8007"));
    let s = GateSigner::new(SECRET);
    assert_eq!(
        s.sign("POST", "/api/v4/futures/usdt/orders", "", body, "1541993715").as_str(),
        "cd03053225f0c2ac4b2c90b821d1d26d88eb8f5b08736a4027fd3600f76c217ab239a3e78755e0b197cfcec89ea6725ed1518de3681dd0903d44f37db6b066c4"
    );
    assert_eq!(
        s.sign("GET", "/api/v4/futures/usdt/orders", "contract=BTC_USDT&status=finished&limit=50", "", "1541993715")
            .as_str(),
        "25b4aad0aa2714457d17f29c1f684c46b3cd0eda4f03738be25f5fcd2418115dc6039a184849dc403bb876c95ac3328906c667700cf62e12905ef0c6c9fa5ace"
    );
}

#[test]
fn htx_sorts_and_encodes_the_documented_request() {
    // The request of HTX's signature walkthrough (its key and secret are masked there, so the
    // signature is checked against Python on the same pre-hash).
    let s = HtxSigner::new("b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx");
    let (query, sig) = s.sign(
        "GET",
        "api.huobi.pro",
        "/v1/order/orders",
        "e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx",
        "2017-05-11T15:19:30",
        &[("order-id", "1234567890")],
    );
    assert_eq!(
        query,
        "AccessKeyId=e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx&SignatureMethod=HmacSHA256&SignatureVersion=2&Timestamp=2017-05-11T15%3A19%3A30&order-id=1234567890"
    );
    assert_eq!(sig.as_str(), "Nmd8AU8uAe0mkFpxNbiava0aeZzBEtYjCdie1ZYZjoM=");
}

#[test]
fn gemini_encodes_the_documented_payload_and_signs_its_base64() {
    let s = GeminiSigner::new("1234abcd");
    let (b64, sig) = s.sign(r#"{"request": "/v1/order/status", "nonce": 123456, "order_id": 18834}"#);
    // The base64 is the one in Gemini's documentation.
    assert_eq!(b64, "eyJyZXF1ZXN0IjogIi92MS9vcmRlci9zdGF0dXMiLCAibm9uY2UiOiAxMjM0NTYsICJvcmRlcl9pZCI6IDE4ODM0fQ==");
    assert_eq!(
        sig.as_str(),
        "b7bb3a39d0005c86c3e9b49892e866e3e0a071c5868cda185727affa1632ebca3451c8c35ab71f1ffdc2c000602f6f03"
    );
}

#[test]
fn a_keyed_mac_is_reused_without_changing() {
    let k = MacKey::sha256(b"key");
    let a = k.hex(&[b"The quick brown fox ", b"jumps over the lazy dog"]);
    let b = k.hex(&[b"The quick brown fox jumps over the lazy dog"]);
    // RFC 4231-style known value for HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
    assert_eq!(a.as_str(), "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
    assert_eq!(a, b);
    assert!(!format!("{k:?}").contains("key\""), "{k:?}");
}

#[test]
fn every_scheme_is_registered_under_its_name_and_says_what_is_missing() {
    for s in mdbus_venues::SCHEMES {
        assert_eq!(mdbus_venues::scheme(s.venue).map(|f| f.venue), Some(s.venue));
        // Nothing given: the scheme names what it signs, never panics.
        let err = (s.sign)("secret", &SignInput::default()).unwrap_err();
        assert!(matches!(err, SignError::Missing { venue, .. } if venue == s.venue), "{err}");
        // As many parts as it signs: a signature.
        let parts: Vec<String> = s.parts.iter().map(|_| "1".to_owned()).collect();
        let input = SignInput::from_parts(s.venue, s.parts, &parts).unwrap();
        assert!(!(s.sign)("secret", &input).unwrap().is_empty(), "{}", s.venue);
        assert_eq!(
            SignInput::from_parts(s.venue, s.parts, &parts[1..]).unwrap_err(),
            SignError::Parts { venue: s.venue, want: s.parts.len(), got: s.parts.len() - 1 }
        );
    }
    assert!(mdbus_venues::scheme("nope").is_none());
}

#[test]
fn a_scheme_signs_what_its_signer_signs() {
    let okx = mdbus_venues::scheme("okx").unwrap();
    let input = SignInput {
        timestamp: Some("2020-12-08T09:08:57.715Z".into()),
        method: Some("get".into()),
        path: Some("/api/v5/account/balance".into()),
        query: Some("ccy=BTC".into()),
        ..SignInput::default()
    };
    let want = OkxSigner::new(SECRET).sign("2020-12-08T09:08:57.715Z", "GET", "/api/v5/account/balance?ccy=BTC", "");
    assert_eq!((okx.sign)(SECRET, &input).unwrap(), want.as_str());
    let htx = mdbus_venues::scheme("htx").unwrap();
    let input = SignInput {
        query: Some("bad".into()),
        ..SignInput::from_parts(
            "htx",
            htx.parts,
            &["GET".into(), "api.huobi.pro".into(), "/v1/order".into(), "k".into(), "2026-12-05T01:02:03".into()],
        )
        .unwrap()
    };
    assert_eq!((htx.sign)(SECRET, &input).unwrap_err(), SignError::BadParam { venue: "htx", param: "bad".into() });
}
