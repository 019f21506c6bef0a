//! The seed's exchange configuration schema as typed structs, loaded from YAML.
//!
//! Unknown keys are rejected (the seed ignores them, so a typo silently falls back to a
//! default). Syntax errors, unknown keys and wrong types stop parsing at the first one, with
//! its path; every other problem (enumerated values, ranges, cross-field rules) is collected
//! and reported together, each with its path. Unlike the seed, a CEX without a REST base URL is
//! refused whether `base_urls` is missing, empty or null, and rate-limit rules convert to
//! [`Rule`]s the limiter runs.
//!
//! # Examples
//!
//! ```
//! use mdbus_sdk::config::ExchangeConfig;
//!
//! let cfg = ExchangeConfig::from_yaml(r#"
//! id: binance
//! display_name: Binance
//! venue_type: cex
//! base_urls:
//!   rest: { spot: "https://api.binance.com" }
//!   wss: { spot: "wss://stream.binance.com:9443/ws" }
//! connection: { type: websocket, timeout: 10 }
//! authentication: { type: hmac_sha256, header_name: X-MBX-APIKEY }
//! rate_limits:
//!   - { name: weight, type: sliding_window, interval: 60, limit: 6000, scope: ip }
//!   - { name: orders, type: fixed_window, interval: 10, limit: 100, scope: endpoint,
//!       endpoint: "/api/v3/order*", weight_map: { POST: 1 } }
//! asset_types:
//!   spot: { symbol_format: "{base}{quote}", rest_paths: { ticker: /api/v3/ticker/bookTicker } }
//! "#)?;
//! assert_eq!(cfg.rate_limit_rules()?.len(), 2);
//!
//! let err = ExchangeConfig::from_yaml("id: x\ndisplay_name: X\nventure_type: cex\n").unwrap_err();
//! assert!(err.to_string().contains("venture_type"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::{
    collections::BTreeMap,
    fmt,
    path::{Path, PathBuf},
    time::Duration,
};

use serde::Deserialize;

use crate::rate_limit::{LimitError, Rule, RuleKind};

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field, e.g. `rate_limits[1].limit`.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("config {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The YAML does not fit the schema (syntax, unknown key, wrong type).
    #[error("config: {path}: {message}")]
    Parse {
        /// Path of the offending field (`.` for the document).
        path: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// Fields are well-formed but invalid; all of them are listed.
    #[error("config: {}", Invalid(.0))]
    Invalid(Vec<FieldError>),
}

struct Invalid<'a>(&'a [FieldError]);

impl fmt::Display for Invalid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} invalid field{}", self.0.len(), if self.0.len() == 1 { "" } else { "s" })?;
        for e in self.0 {
            write!(f, "\n  {}: {}", e.path, e.message)?;
        }
        Ok(())
    }
}

/// Base URLs by role, each a map from asset type (or any label) to URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseUrls {
    /// REST endpoints.
    #[serde(default)]
    pub rest: BTreeMap<String, String>,
    /// Public websocket endpoints.
    #[serde(default)]
    pub wss: BTreeMap<String, String>,
    /// Private (account) websocket endpoints.
    #[serde(default)]
    pub acct_wss: BTreeMap<String, String>,
}

/// How to reach the venue.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// `http`, `websocket`, `spi`, `tws`, `local_terminal` or `rpc`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Request timeout in seconds, 1 to 120. Default 10.
    #[serde(default = "default_timeout")]
    pub timeout: u32,
    /// Retries of idempotent requests, 0 to 10. Default 3.
    #[serde(default = "default_retries")]
    pub max_retries: u32,
    /// CTP market-data front (`tcp://host:port`).
    pub md_front: Option<String>,
    /// CTP trading front.
    pub td_front: Option<String>,
    /// Path of a terminal executable.
    pub exe_path: Option<String>,
    /// Session id.
    pub session_id: Option<String>,
    /// Host (TWS, RPC).
    pub host: Option<String>,
    /// Port.
    pub port: Option<u16>,
    /// Client id.
    pub client_id: Option<i64>,
}

fn default_timeout() -> u32 {
    10
}
fn default_retries() -> u32 {
    3
}

impl Default for Connection {
    fn default() -> Self {
        Connection {
            kind: "http".into(),
            timeout: 10,
            max_retries: 3,
            md_front: None,
            td_front: None,
            exe_path: None,
            session_id: None,
            host: None,
            port: None,
            client_id: None,
        }
    }
}

/// How requests are authenticated.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authentication {
    /// `none`, `api_key`, `hmac_sha256`, `hmac_sha256_jwt`, `hmac_sha384`, `hmac_sha512`,
    /// `oauth`, `certificate` or `password`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Header carrying the API key.
    pub header_name: Option<String>,
    /// Name of the timestamp parameter.
    pub timestamp_key: Option<String>,
    /// Name of the signature parameter.
    pub signature_key: Option<String>,
    /// Name of the API-key parameter.
    pub api_key_param: Option<String>,
}

/// One rate-limit rule as configured (the seed's `RateLimitRuleConfig`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Rule name. Default `rule<N>`.
    pub name: Option<String>,
    /// `sliding_window`, `fixed_window` or `token_bucket`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Window length in seconds (> 0).
    pub interval: f64,
    /// Weight allowed per window (> 0).
    pub limit: u64,
    /// `global` (default), `endpoint`, `ip` or `account`.
    #[serde(default = "default_scope")]
    pub scope: String,
    /// Glob of paths, required with scope `endpoint`.
    pub endpoint: Option<String>,
    /// Default request weight (≥ 1). Default 1.
    #[serde(default = "default_weight")]
    pub weight: u32,
    /// Weights by `METHOD` or `METHOD path`.
    #[serde(default)]
    pub weight_map: BTreeMap<String, u32>,
    /// Response header with the venue's count for this rule.
    pub usage_header: Option<String>,
}

fn default_scope() -> String {
    "global".into()
}
fn default_weight() -> u32 {
    1
}

/// Per-asset-type settings (the seed's `AssetTypeConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetType {
    /// Venue key for the asset type, e.g. `BINANCE___SPOT`.
    pub exchange_name: Option<String>,
    /// REST URL overriding the base URL.
    pub rest_url: Option<String>,
    /// Websocket URL overriding the base URL.
    pub wss_url: Option<String>,
    /// How the venue writes a symbol, e.g. `{base}{quote}` or `{base}-{quote}-SWAP`. Required.
    pub symbol_format: String,
    /// REST paths by operation.
    #[serde(default)]
    pub rest_paths: BTreeMap<String, String>,
    /// Websocket paths by stream.
    #[serde(default)]
    pub wss_paths: BTreeMap<String, String>,
    /// Websocket channel names by stream.
    #[serde(default)]
    pub wss_channels: BTreeMap<String, String>,
    /// Kline periods: mdbus name → venue name.
    pub kline_periods: Option<BTreeMap<String, String>>,
    /// Quote currencies.
    pub legal_currency: Option<Vec<String>>,
    /// Symbols to load.
    pub symbols: Option<Vec<String>>,
    /// Symbols to trade.
    pub trading_symbols: Option<Vec<String>>,
}

/// A venue's configuration (the seed's `ExchangeConfig`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeConfig {
    /// Identifier, 2 to 30 characters.
    pub id: String,
    /// Name for people.
    pub display_name: String,
    /// `cex`, `dex` or `broker`.
    pub venue_type: String,
    /// Web site.
    pub website: Option<String>,
    /// API documentation.
    pub api_doc: Option<String>,
    /// Base URLs; a CEX needs at least one REST URL.
    pub base_urls: Option<BaseUrls>,
    /// Connection settings.
    #[serde(default)]
    pub connection: Connection,
    /// Authentication settings.
    pub authentication: Option<Authentication>,
    /// Rate-limit rules.
    #[serde(default)]
    pub rate_limits: Vec<RateLimitConfig>,
    /// Settings per asset type.
    #[serde(default)]
    pub asset_types: BTreeMap<String, AssetType>,
    /// DEX chains.
    pub chains: Option<Vec<String>>,
    /// DEX router address.
    pub router_address: Option<String>,
    /// DEX factory address.
    pub factory_address: Option<String>,
    /// Kline periods: mdbus name → venue name.
    pub kline_periods: Option<BTreeMap<String, String>>,
    /// Quote currencies.
    pub legal_currency: Option<Vec<String>>,
    /// Venue status words → mdbus ones.
    pub status_dict: Option<BTreeMap<String, String>>,
    /// Venue ids by name.
    pub exchange_id_map: Option<BTreeMap<String, String>>,
    /// Broker id.
    pub broker_id: Option<String>,
    /// Application id.
    pub app_id: Option<String>,
}

const VENUE_TYPES: [&str; 3] = ["cex", "dex", "broker"];
const CONNECTION_TYPES: [&str; 6] = ["http", "websocket", "spi", "tws", "local_terminal", "rpc"];
const AUTH_TYPES: [&str; 9] = [
    "none",
    "api_key",
    "hmac_sha256",
    "hmac_sha256_jwt",
    "hmac_sha384",
    "hmac_sha512",
    "oauth",
    "certificate",
    "password",
];
const RULE_TYPES: [&str; 3] = ["sliding_window", "fixed_window", "token_bucket"];
const SCOPES: [&str; 4] = ["global", "endpoint", "ip", "account"];

fn one_of(value: &str, allowed: &[&str]) -> Option<String> {
    (!allowed.contains(&value)).then(|| format!("{value:?} is not one of {}", allowed.join(", ")))
}

fn is_url(u: &str, schemes: &[&str]) -> bool {
    schemes.iter().any(|s| u.strip_prefix(s).and_then(|r| r.strip_prefix("://")).is_some_and(|h| !h.is_empty()))
}

impl ExchangeConfig {
    /// Parses and validates a YAML configuration.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Parse`] with the field's path, or [`ConfigError::Invalid`] listing every
    /// invalid field.
    pub fn from_yaml(text: &str) -> Result<ExchangeConfig, ConfigError> {
        if text.trim().is_empty() {
            return Err(ConfigError::Parse { path: ".".into(), message: "the document is empty".into() });
        }
        let de = yaml_serde::Deserializer::from_str(text);
        let cfg: ExchangeConfig = serde_path_to_error::deserialize(de)
            .map_err(|e| ConfigError::Parse { path: e.path().to_string(), message: e.inner().to_string() })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Reads, parses and validates a YAML file.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Io`] naming the file, or as [`ExchangeConfig::from_yaml`].
    pub fn load(path: impl AsRef<Path>) -> Result<ExchangeConfig, ConfigError> {
        let path = path.as_ref();
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Io { path: path.to_path_buf(), source })?;
        ExchangeConfig::from_yaml(&text)
    }

    /// Loads every `*.yaml` / `*.yml` file of `dir` whose name does not start with `_`, in name
    /// order, keyed by `id`. Files that fail are returned beside the good ones, not skipped
    /// silently; a second file with an `id` already loaded counts as failed.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Io`] if the directory cannot be read.
    #[allow(clippy::type_complexity)]
    pub fn load_dir(
        dir: impl AsRef<Path>,
    ) -> Result<(BTreeMap<String, ExchangeConfig>, Vec<(PathBuf, ConfigError)>), ConfigError> {
        let dir = dir.as_ref();
        let io = |source| ConfigError::Io { path: dir.to_path_buf(), source };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("_");
                !name.starts_with('_') && (name.ends_with(".yaml") || name.ends_with(".yml"))
            })
            .collect();
        files.sort();
        let (mut good, mut bad) = (BTreeMap::new(), Vec::new());
        for f in files {
            match ExchangeConfig::load(&f) {
                Ok(cfg) if good.contains_key(&cfg.id) => {
                    let e = FieldError {
                        path: "id".into(),
                        message: format!("id {:?} is already used by another file", cfg.id),
                    };
                    bad.push((f, ConfigError::Invalid(vec![e])));
                }
                Ok(cfg) => {
                    good.insert(cfg.id.clone(), cfg);
                }
                Err(e) => bad.push((f, e)),
            }
        }
        Ok((good, bad))
    }

    /// Checks every field and reports all problems at once.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Invalid`] listing every invalid field with its path.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut errs = Vec::new();
        let mut bad = |path: String, message: String| errs.push(FieldError { path, message });
        if !(2..=30).contains(&self.id.chars().count()) {
            bad("id".into(), format!("{:?} must be 2 to 30 characters", self.id));
        }
        if self.display_name.trim().is_empty() {
            bad("display_name".into(), "must not be empty".into());
        }
        if let Some(m) = one_of(&self.venue_type, &VENUE_TYPES) {
            bad("venue_type".into(), m);
        }
        let c = &self.connection;
        if let Some(m) = one_of(&c.kind, &CONNECTION_TYPES) {
            bad("connection.type".into(), m);
        } else if self.venue_type == "cex" && !["http", "websocket", "spi"].contains(&c.kind.as_str()) {
            bad("connection.type".into(), format!("a cex connects over http, websocket or spi, not {:?}", c.kind));
        }
        if !(1..=120).contains(&c.timeout) {
            bad("connection.timeout".into(), format!("{} is outside 1..=120 seconds", c.timeout));
        }
        if c.max_retries > 10 {
            bad("connection.max_retries".into(), format!("{} is above 10", c.max_retries));
        }
        for (name, front) in [("md_front", &c.md_front), ("td_front", &c.td_front)] {
            if let Some(f) = front
                && !is_url(f, &["tcp"])
            {
                bad(format!("connection.{name}"), format!("{f:?} is not tcp://host:port"));
            }
        }
        if let Some(a) = &self.authentication
            && let Some(m) = one_of(&a.kind, &AUTH_TYPES)
        {
            bad("authentication.type".into(), m);
        }
        match &self.base_urls {
            Some(urls) => {
                for (role, map, schemes) in [
                    ("rest", &urls.rest, &["https", "http"][..]),
                    ("wss", &urls.wss, &["wss", "ws"][..]),
                    ("acct_wss", &urls.acct_wss, &["wss", "ws"][..]),
                ] {
                    for (k, u) in map {
                        if !is_url(u, schemes) {
                            bad(format!("base_urls.{role}.{k}"), format!("{u:?} is not a {} URL", schemes.join("/")));
                        }
                    }
                }
                if self.venue_type == "cex" && urls.rest.is_empty() {
                    bad("base_urls.rest".into(), "a cex needs at least one REST base URL".into());
                }
            }
            None if self.venue_type == "cex" => bad("base_urls".into(), "a cex needs base_urls with a REST URL".into()),
            None => {}
        }
        let mut names = std::collections::HashSet::new();
        for (i, r) in self.rate_limits.iter().enumerate() {
            let p = |f: &str| format!("rate_limits[{i}].{f}");
            if let Some(m) = one_of(&r.kind, &RULE_TYPES) {
                bad(p("type"), m);
            }
            if let Some(m) = one_of(&r.scope, &SCOPES) {
                bad(p("scope"), m);
            }
            if !(r.interval.is_finite() && r.interval > 0.0 && r.interval < 1e9) {
                bad(p("interval"), format!("{} must be a positive number of seconds", r.interval));
            }
            if r.limit == 0 {
                bad(p("limit"), "must be above 0".into());
            }
            if r.weight == 0 {
                bad(p("weight"), "must be at least 1".into());
            }
            for (k, w) in &r.weight_map {
                if *w == 0 {
                    bad(p(&format!("weight_map.{k}")), "must be at least 1".into());
                }
            }
            match (&*r.scope, &r.endpoint) {
                ("endpoint", None) => bad(p("endpoint"), "scope endpoint needs an endpoint pattern".into()),
                ("endpoint", Some(e)) if e.is_empty() => bad(p("endpoint"), "must not be empty".into()),
                (s, Some(_)) if s != "endpoint" => {
                    bad(p("endpoint"), format!("only used with scope endpoint, not {s:?}"))
                }
                _ => {}
            }
            let name = r.name.clone().unwrap_or_else(|| format!("rule{i}"));
            if !names.insert(name.clone()) {
                bad(p("name"), format!("{name:?} is used by an earlier rule"));
            }
        }
        for (k, a) in &self.asset_types {
            if a.symbol_format.trim().is_empty() {
                bad(format!("asset_types.{k}.symbol_format"), "must not be empty".into());
            }
            if let Some(u) = &a.rest_url
                && !is_url(u, &["https", "http"])
            {
                bad(format!("asset_types.{k}.rest_url"), format!("{u:?} is not an http/https URL"));
            }
            if let Some(u) = &a.wss_url
                && !is_url(u, &["wss", "ws"])
            {
                bad(format!("asset_types.{k}.wss_url"), format!("{u:?} is not a ws/wss URL"));
            }
            if let Some(name) = &a.exchange_name
                && crate::registry::split_key(name).is_none()
            {
                bad(format!("asset_types.{k}.exchange_name"), format!("{name:?} is not EXCHANGE___ASSET"));
            }
        }
        if errs.is_empty() { Ok(()) } else { Err(ConfigError::Invalid(errs)) }
    }

    /// Returns the configured rate limits as limiter rules.
    ///
    /// # Errors
    ///
    /// [`LimitError::InvalidRule`] for a rule the limiter cannot run (a configuration that
    /// passed [`ExchangeConfig::validate`] only fails on limits above what a kind supports).
    pub fn rate_limit_rules(&self) -> Result<Vec<Rule>, LimitError> {
        self.rate_limits
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let name = r.name.clone().unwrap_or_else(|| format!("rule{i}"));
                let kind = match r.kind.as_str() {
                    "sliding_window" => RuleKind::SlidingWindow,
                    "fixed_window" => RuleKind::FixedWindow,
                    "token_bucket" => RuleKind::TokenBucket,
                    other => {
                        return Err(LimitError::InvalidRule { rule: name, reason: format!("unknown type {other:?}") });
                    }
                };
                let interval = Duration::try_from_secs_f64(r.interval)
                    .map_err(|_| LimitError::InvalidRule { rule: name.clone(), reason: "bad interval".into() })?;
                let mut rule = Rule::new(name.clone(), kind, r.limit, interval).weight(r.weight);
                rule = match (r.scope.as_str(), &r.endpoint) {
                    ("endpoint", Some(e)) => rule.endpoint(e.clone()),
                    ("ip", _) => rule.ip(None),
                    ("account", _) => rule.account(None),
                    ("global", _) => rule,
                    (other, _) => {
                        return Err(LimitError::InvalidRule { rule: name, reason: format!("unknown scope {other:?}") });
                    }
                };
                for (k, w) in &r.weight_map {
                    rule = match k.split_once(' ') {
                        Some((m, path)) => rule.path_weight(m, path.trim(), *w),
                        None => rule.method_weight(k, *w),
                    };
                }
                if let Some(h) = &r.usage_header {
                    rule = rule.usage_header(h.clone());
                }
                rule.validate()?;
                Ok(rule)
            })
            .collect()
    }
}
