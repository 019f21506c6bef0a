//! Credentials never print; files others can read are refused; redaction helpers cover URLs,
//! headers and text.

#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;

use mdbus_sdk::{
    credentials::{Credentials, CredentialsError},
    error::Error,
    redact,
};

const KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
const PASS: &str = "correct horse battery";

fn file(name: &str, text: &str, mode: u32) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mdbus-cred-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    p
}

#[test]
fn no_secret_in_debug_display_or_errors() {
    let c = Credentials::new(KEY, SECRET, Some(PASS.into())).unwrap();
    for shown in [
        format!("{c:?}"),
        format!("{c}"),
        format!("{:?}", c.secret()),
        format!("{}", c.secret()),
        format!("{:?}", c.passphrase()),
    ] {
        assert!(!shown.contains(SECRET) && !shown.contains(PASS) && !shown.contains(KEY), "{shown}");
    }
    assert_eq!(c.masked_key(), "****Eh8A");
    assert_eq!(c.secret().expose(), SECRET);
    let leaked = format!("request failed: key={KEY} sig={SECRET} pass \"{PASS}\"");
    let clean = c.redact(&leaked);
    assert!(!clean.contains(SECRET) && !clean.contains(KEY) && !clean.contains(PASS), "{clean}");
    // Errors carry venue messages through redaction too.
    const TABLE: mdbus_sdk::error::CodeTable = mdbus_sdk::error::CodeTable {
        venue: "binance",
        entries: mdbus_sdk::code_table! { "-2015" => "REJECTED_MBX_KEY", InvalidApiKey; },
    };
    let e = TABLE.translate(
        "BINANCE___SPOT",
        "-2015",
        &format!("Invalid API-key, IP, or permissions for action. apiKey={KEY}"),
        Some(401),
        None,
    );
    assert!(matches!(e, Error::Authentication { .. }));
    assert!(!format!("{e} {e:?}").contains(KEY));
}

#[test]
fn empty_and_placeholder_values_are_refused() {
    assert!(matches!(Credentials::new("", SECRET, None), Err(CredentialsError::Empty("api_key"))));
    assert!(matches!(Credentials::new(KEY, "  ", None), Err(CredentialsError::Empty("secret"))));
    assert!(matches!(
        Credentials::new("your_api_key_here", SECRET, None),
        Err(CredentialsError::Placeholder("api_key"))
    ));
    assert!(matches!(Credentials::new(KEY, "<secret>", None), Err(CredentialsError::Placeholder("secret"))));
    assert!(matches!(Credentials::new(KEY, SECRET, Some(String::new())), Err(CredentialsError::Empty("passphrase"))));
}

/// Runs `child_reads_env` in a child process with `vars` set (changing this process's
/// environment would need `unsafe` and race with other tests).
fn in_child_with_env(vars: &[(&str, &str)], case: &str) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_reads_env", "--nocapture", "--test-threads", "1"])
        .envs(vars.iter().copied())
        .env("MDBUS_CRED_CHILD", case)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{case}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn environment_variables_by_prefix() {
    in_child_with_env(&[("MDBUS_T_API_KEY", KEY), ("MDBUS_T_SECRET", SECRET)], "key+secret");
    in_child_with_env(
        &[("MDBUS_T_API_KEY", KEY), ("MDBUS_T_SECRET", SECRET), ("MDBUS_T_PASSPHRASE", PASS)],
        "with passphrase",
    );
    in_child_with_env(&[("MDBUS_T_API_KEY", KEY)], "missing secret");
}

#[test]
fn child_reads_env() {
    let Ok(case) = std::env::var("MDBUS_CRED_CHILD") else { return };
    match case.as_str() {
        "key+secret" => {
            let c = Credentials::from_env("MDBUS_T").unwrap();
            assert_eq!((c.api_key(), c.secret().expose()), (KEY, SECRET));
            assert!(c.passphrase().is_none());
        }
        "with passphrase" => {
            let c = Credentials::from_env("MDBUS_T").unwrap();
            assert_eq!(c.passphrase().unwrap().expose(), PASS);
        }
        "missing secret" => {
            let err = Credentials::from_env("MDBUS_T").unwrap_err();
            assert_eq!(err.to_string(), "environment variable MDBUS_T_SECRET is not set");
        }
        other => panic!("unknown case {other}"),
    }
}

#[test]
fn a_file_only_the_owner_can_read_is_accepted() {
    let p = file(
        "ok.secrets",
        &format!("# okx trading key\napi_key = {KEY}\nsecret=\"{SECRET}\"\npassphrase={PASS}\n"),
        0o600,
    );
    let c = Credentials::from_file(&p).unwrap();
    assert_eq!((c.api_key(), c.secret().expose(), c.passphrase().unwrap().expose()), (KEY, SECRET, PASS));
}

#[test]
fn a_file_others_can_read_is_refused() {
    for mode in [0o644, 0o604, 0o640, 0o660, 0o666] {
        let p = file(&format!("open{mode:o}.secrets"), &format!("api_key={KEY}\nsecret={SECRET}\n"), mode);
        let err = Credentials::from_file(&p).unwrap_err();
        assert!(matches!(err, CredentialsError::InsecurePermissions { mode: m, .. } if m == mode), "{mode:o}: {err}");
        assert!(err.to_string().contains("chmod 600"));
    }
}

#[test]
fn malformed_files_name_the_line_not_the_value() {
    let p = file("bad.secrets", &format!("api_key={KEY}\n{SECRET}\n"), 0o600);
    let err = Credentials::from_file(&p).unwrap_err();
    assert!(matches!(err, CredentialsError::Malformed { line: 2, .. }), "{err}");
    assert!(!err.to_string().contains(SECRET));
    let p = file("unknown.secrets", &format!("api_key={KEY}\nsecrte={SECRET}\n"), 0o600);
    let err = Credentials::from_file(&p).unwrap_err();
    assert!(err.to_string().contains("secrte") && !err.to_string().contains(SECRET), "{err}");
    let p = file("nosecret.secrets", &format!("api_key={KEY}\n"), 0o600);
    assert!(Credentials::from_file(&p).unwrap_err().to_string().contains("secret"));
    let err = Credentials::from_file("/nonexistent/mdbus.secrets").unwrap_err();
    assert!(matches!(err, CredentialsError::Io { .. }));
}

#[test]
fn urls_headers_and_text_are_redacted() {
    assert_eq!(
        redact::url("https://api.bybit.com/v5/order/create?api_key=abc&sign=def&recv_window=5000"),
        "https://api.bybit.com/v5/order/create?api_key=***&sign=***&recv_window=5000"
    );
    assert_eq!(
        redact::url(
            "https://api.huobi.pro/v1/order/orders/place?AccessKeyId=e2xxxxxx-99xxxxxx&SignatureMethod=HmacSHA256&Signature=4F65x5A2"
        ),
        "https://api.huobi.pro/v1/order/orders/place?AccessKeyId=***&SignatureMethod=***&Signature=***"
    );
    assert_eq!(
        redact::url("wss://stream.binance.com:9443/ws/btcusdt@trade"),
        "wss://stream.binance.com:9443/ws/btcusdt@trade"
    );
    let h = redact::headers([
        ("OK-ACCESS-KEY", "k"),
        ("OK-ACCESS-SIGN", "s"),
        ("OK-ACCESS-PASSPHRASE", "p"),
        ("OK-ACCESS-TIMESTAMP", "2020-12-08T09:08:57.715Z"),
        ("KEY", "gate-key"),
        ("SIGN", "gate-sign"),
        ("X-GEMINI-SIGNATURE", "g"),
        ("Authorization", "Bearer t"),
    ]);
    let shown: Vec<&str> = h.iter().map(|(_, v)| v.as_str()).collect();
    assert_eq!(shown, ["***", "***", "***", "2020-12-08T09:08:57.715Z", "***", "***", "***", "***"]);
    let t = redact::text(
        "GET https://x.com/a?signature=zzz&symbol=ETH failed; passphrase: 'open sesame' token=abc, listenKey=\"lk\"",
    );
    assert!(!t.contains("zzz") && !t.contains("abc") && !t.contains("lk\"") && t.contains("symbol=ETH"), "{t}");
}
