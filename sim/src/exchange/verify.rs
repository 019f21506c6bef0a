//! Request verification of Gate.io v4, HTX and Gemini: each checks the request's signature
//! with the venue's scheme and names the account, or gives the venue's real error body, so the
//! SDK's signers are tested against an independent verifier over HTTP.

use mdbus_sdk::signing::{GateSigner, GeminiSigner, HtxSigner};
use serde_json::{Value, json};

use super::{Exchange, Reply, SimAccount, pairs};

pub(super) fn reply(status: &'static str, body: Value) -> Reply {
    Reply::Respond { status, headers: Vec::new(), body: body.to_string() }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// Gate.io v4: `KEY`, `Timestamp` (s), `SIGN` = hex HMAC-SHA512 over method, path, query,
/// hex SHA-512 of the body and timestamp. The account, or Gate's error reply.
pub(super) fn gate(
    ex: &Exchange,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: &str,
) -> Result<SimAccount, Reply> {
    let Some(account) = header(headers, "KEY").and_then(|k| ex.cfg.accounts.iter().find(|a| a.api_key == k)) else {
        return Err(reply("401 Unauthorized", json!({ "label": "INVALID_KEY", "message": "Invalid key provided" })));
    };
    let ts = header(headers, "Timestamp").unwrap_or("");
    match ts.parse::<u64>() {
        Ok(t) if (t * 1000).abs_diff(ex.server_ms()) <= 60_000 => {}
        _ => {
            return Err(reply(
                "401 Unauthorized",
                json!({ "label": "REQUEST_EXPIRED", "message": "gap between request Timestamp and server time exceeds 60" }),
            ));
        }
    }
    let want = GateSigner::new(&account.secret).sign(method, path, query, body, ts);
    if header(headers, "SIGN") != Some(want.as_str()) {
        return Err(reply(
            "401 Unauthorized",
            json!({ "label": "INVALID_SIGNATURE", "message": "Signature mismatch" }),
        ));
    }
    Ok(account.clone())
}

/// HTX signature version 2: the signature parameters are in the query; the signature covers
/// method, host, path and the sorted, encoded parameters.
/// The account, or HTX's error reply.
pub(super) fn htx(
    ex: &Exchange,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
) -> Result<SimAccount, Reply> {
    let fail = |code: &str, msg: &str| {
        Err(reply("200 OK", json!({ "status": "error", "err-code": code, "err-msg": msg, "data": null })))
    };
    let params = pairs(query);
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let Some(account) = get("AccessKeyId").and_then(|k| ex.cfg.accounts.iter().find(|a| a.api_key == k)) else {
        return fail("api-signature-not-valid", "Signature not valid: Incorrect Access key [Access key错误]");
    };
    if get("SignatureMethod") != Some("HmacSHA256") || get("SignatureVersion") != Some("2") {
        return fail("api-signature-not-valid", "Signature not valid: Incorrect signature method or version");
    }
    let ts = get("Timestamp").unwrap_or("");
    match mdbus_sdk::order::time::parse_iso8601_ms(ts) {
        Some(t) if t.abs_diff(ex.server_ms()) <= 300_000 => {}
        _ => return fail("api-signature-not-valid", "Signature not valid: Timestamp is expired"),
    }
    let rest: Vec<(&str, &str)> = params
        .iter()
        .filter(|(k, _)| {
            !matches!(k.as_str(), "AccessKeyId" | "SignatureMethod" | "SignatureVersion" | "Timestamp" | "Signature")
        })
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let host = header(headers, "Host").unwrap_or("").split(':').next().unwrap_or("").to_ascii_lowercase();
    let (_, want) = HtxSigner::new(&account.secret).sign(method, &host, path, &account.api_key, ts, &rest);
    if get("Signature") != Some(want.as_str()) {
        return fail("api-signature-not-valid", "Signature not valid: Verification failure");
    }
    Ok(account.clone())
}

/// Gemini: `X-GEMINI-APIKEY`, `X-GEMINI-PAYLOAD` (base64 JSON with `request` and an
/// increasing `nonce`), `X-GEMINI-SIGNATURE` = hex HMAC-SHA384 over the payload header. The
/// account and the decoded payload, or Gemini's error reply.
pub(super) fn gemini(ex: &Exchange, path: &str, headers: &[(String, String)]) -> Result<(SimAccount, Value), Reply> {
    let fail = |reason: &str, msg: &str| {
        Err(reply("400 Bad Request", json!({ "result": "error", "reason": reason, "message": msg })))
    };
    let Some(account) =
        header(headers, "X-GEMINI-APIKEY").and_then(|k| ex.cfg.accounts.iter().find(|a| a.api_key == k))
    else {
        return fail("InvalidApiKey", "Invalid API key");
    };
    let payload = header(headers, "X-GEMINI-PAYLOAD").unwrap_or("");
    let want = GeminiSigner::new(&account.secret).sign_encoded(payload);
    if header(headers, "X-GEMINI-SIGNATURE") != Some(want.as_str()) {
        return fail("InvalidSignature", "InvalidSignature");
    }
    use base64::Engine;
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(payload) else {
        return fail("InvalidJson", "Payload is not base64");
    };
    let Ok(v) = serde_json::from_slice::<Value>(&raw) else { return fail("InvalidJson", "Payload is not JSON") };
    if v.get("request").and_then(Value::as_str) != Some(path) {
        return fail("InvalidRequest", "request does not match the path");
    }
    let nonce =
        v.get("nonce").and_then(|n| n.as_u64().or_else(|| n.as_str().and_then(|s| s.parse().ok()))).unwrap_or(0);
    if !ex.take_nonce(&account.api_key, nonce) {
        return fail("InvalidNonce", "Nonce must be increasing");
    }
    Ok((account.clone(), v))
}
