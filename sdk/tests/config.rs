//! Exchange configuration: each kind of invalid field is reported with its path, all at once.

#![allow(clippy::unwrap_used)]

use mdbus_sdk::{
    config::{ConfigError, ExchangeConfig},
    rate_limit::{RuleKind, Scope},
};

const GOOD: &str = r#"
id: okx
display_name: OKX
venue_type: cex
base_urls:
  rest: { swap: "https://www.okx.com" }
  wss: { swap: "wss://ws.okx.com:8443/ws/v5/public" }
  acct_wss: { swap: "wss://ws.okx.com:8443/ws/v5/private" }
connection: { type: websocket, timeout: 5, max_retries: 2 }
authentication: { type: hmac_sha256, header_name: OK-ACCESS-KEY }
rate_limits:
  - { name: market, type: token_bucket, interval: 2, limit: 20, scope: endpoint, endpoint: "/api/v5/market/*" }
  - { name: trade, type: sliding_window, interval: 2, limit: 60, scope: account, weight_map: { "POST /api/v5/trade/batch-orders": 5, DELETE: 2 } }
  - { name: ip, type: fixed_window, interval: 1, limit: 100, scope: ip, usage_header: x-ratelimit-used }
asset_types:
  swap: { exchange_name: OKX___SWAP, symbol_format: "{base}-{quote}-SWAP", rest_paths: { order: /api/v5/trade/order } }
"#;

fn invalid(yaml: &str) -> Vec<(String, String)> {
    match ExchangeConfig::from_yaml(yaml) {
        Err(ConfigError::Invalid(errs)) => errs.into_iter().map(|e| (e.path, e.message)).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn a_good_config_loads_and_converts_its_rate_limits() {
    let cfg = ExchangeConfig::from_yaml(GOOD).unwrap();
    assert_eq!(cfg.connection.timeout, 5);
    assert_eq!(cfg.asset_types["swap"].symbol_format, "{base}-{quote}-SWAP");
    let rules = cfg.rate_limit_rules().unwrap();
    assert_eq!(rules.len(), 3);
    assert_eq!(rules[0].kind, RuleKind::TokenBucket);
    assert_eq!(rules[0].scope, Scope::Endpoint("/api/v5/market/*".into()));
    assert_eq!(rules[1].scope, Scope::Account(None));
    assert_eq!(rules[1].weight_for("POST", "/api/v5/trade/batch-orders"), 5);
    assert_eq!(rules[1].weight_for("DELETE", "/api/v5/trade/order"), 2);
    assert_eq!(rules[1].weight_for("POST", "/api/v5/trade/order"), 1);
    assert_eq!(rules[2].usage_header.as_deref(), Some("x-ratelimit-used"));
    mdbus_sdk::rate_limit::Limiter::new(rules).unwrap();
}

#[test]
fn defaults_apply_when_omitted() {
    let cfg = ExchangeConfig::from_yaml(
        "id: ib\ndisplay_name: IB\nventure_type: broker\n".replace("venture", "venue").as_str(),
    )
    .unwrap();
    assert_eq!((cfg.connection.kind.as_str(), cfg.connection.timeout, cfg.connection.max_retries), ("http", 10, 3));
    assert!(cfg.rate_limits.is_empty());
}

#[test]
fn every_invalid_field_is_reported_with_its_path() {
    let yaml = GOOD
        .replace("id: okx", "id: o")
        .replace("venue_type: cex", "venue_type: casino")
        .replace("timeout: 5", "timeout: 500")
        .replace("max_retries: 2", "max_retries: 11")
        .replace("type: hmac_sha256", "type: rot13")
        .replace("\"https://www.okx.com\"", "\"ftp://www.okx.com\"")
        .replace("type: token_bucket", "type: leaky")
        .replace("limit: 60", "limit: 0")
        .replace("scope: ip", "scope: planet")
        .replace("\"{base}-{quote}-SWAP\"", "\"\"")
        .replace("exchange_name: OKX___SWAP", "exchange_name: okx-swap");
    let errs = invalid(&yaml);
    let paths: Vec<&str> = errs.iter().map(|(p, _)| p.as_str()).collect();
    for want in [
        "id",
        "venue_type",
        "connection.timeout",
        "connection.max_retries",
        "authentication.type",
        "base_urls.rest.swap",
        "rate_limits[0].type",
        "rate_limits[1].limit",
        "rate_limits[2].scope",
        "asset_types.swap.symbol_format",
        "asset_types.swap.exchange_name",
    ] {
        assert!(paths.contains(&want), "{want} missing from {errs:#?}");
    }
    let msg = ExchangeConfig::from_yaml(&yaml).unwrap_err().to_string();
    assert!(msg.starts_with(&format!("config: {} invalid fields", errs.len())), "{msg}");
    assert!(msg.contains("\"casino\" is not one of cex, dex, broker"), "{msg}");
}

#[test]
fn cross_field_rules() {
    // A CEX must have REST base URLs, however they are missing.
    for base in ["", "base_urls: {}\n", "base_urls: null\n", "base_urls: { wss: { spot: \"wss://x\" } }\n"] {
        let yaml = format!("id: cx\ndisplay_name: X\nvenue_type: cex\n{base}");
        let errs = invalid(&yaml);
        assert!(errs.iter().any(|(p, _)| p.starts_with("base_urls")), "{base:?}: {errs:?}");
    }
    // A CEX does not connect through a local terminal.
    let errs = invalid(&GOOD.replace("type: websocket", "type: local_terminal"));
    assert_eq!(errs[0].0, "connection.type");
    // An endpoint rule needs its pattern; a pattern on another scope is a mistake.
    let errs = invalid(
        &GOOD.replace(", endpoint: \"/api/v5/market/*\"", "").replace("scope: ip,", "scope: ip, endpoint: /x,"),
    );
    let paths: Vec<_> = errs.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["rate_limits[0].endpoint", "rate_limits[2].endpoint"]);
    // Rule names are unique.
    let errs = invalid(&GOOD.replace("name: ip", "name: market"));
    assert_eq!(errs[0].0, "rate_limits[2].name");
    // CTP fronts are tcp://.
    let errs = invalid(&GOOD.replace("max_retries: 2", "max_retries: 2, md_front: \"http://1.2.3.4:1\""));
    assert_eq!(errs[0].0, "connection.md_front");
}

#[test]
fn unknown_keys_and_wrong_types_name_their_path() {
    let err = ExchangeConfig::from_yaml(&GOOD.replace("max_retries: 2", "max_retries: 2, retries: 3")).unwrap_err();
    match err {
        ConfigError::Parse { path, message } => {
            assert_eq!(path, "connection.retries");
            assert!(message.contains("retries"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let err = ExchangeConfig::from_yaml(&GOOD.replace("limit: 20", "limit: twenty")).unwrap_err();
    assert!(matches!(&err, ConfigError::Parse { path, .. } if path == "rate_limits[0].limit"), "{err}");
    let err = ExchangeConfig::from_yaml("   \n").unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
    let err = ExchangeConfig::from_yaml("id: [unclosed").unwrap_err();
    assert!(matches!(err, ConfigError::Parse { .. }), "{err}");
}

#[test]
fn a_directory_loads_good_files_and_reports_bad_ones() {
    let dir = std::env::temp_dir().join(format!("mdbus-config-dir-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("okx.yaml"), GOOD).unwrap();
    std::fs::write(dir.join("okx2.yml"), GOOD).unwrap();
    std::fs::write(dir.join("bad.yaml"), "id: b\n").unwrap();
    std::fs::write(dir.join("_template.yaml"), "garbage: [").unwrap();
    std::fs::write(dir.join("notes.txt"), "ignored").unwrap();
    let (good, bad) = ExchangeConfig::load_dir(&dir).unwrap();
    assert_eq!(good.keys().collect::<Vec<_>>(), ["okx"]);
    let bad_names: Vec<_> = bad.iter().map(|(p, _)| p.file_name().unwrap().to_str().unwrap()).collect();
    assert_eq!(bad_names, ["bad.yaml", "okx2.yml"]);
    let missing = ExchangeConfig::load(dir.join("nope.yaml")).unwrap_err();
    assert!(missing.to_string().contains("nope.yaml"), "{missing}");
    std::fs::remove_dir_all(&dir).unwrap();
}

mod fuzz {
    use mdbus_sdk::config::ExchangeConfig;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Arbitrary text, and the good config with a line dropped or mangled, gives a typed
        /// error or a config; never a panic.
        #[test]
        fn yaml_never_panics(text in ".{0,300}", drop in 0usize..20, junk in "[ -~]{0,12}") {
            let _ = ExchangeConfig::from_yaml(&text);
            let mangled: Vec<String> = super::GOOD
                .lines()
                .enumerate()
                .map(|(i, l)| if i == drop { format!("{l}{junk}") } else { l.to_owned() })
                .collect();
            if let Ok(cfg) = ExchangeConfig::from_yaml(&mangled.join("\n")) {
                let _ = cfg.rate_limit_rules();
            }
        }
    }
}
