//! Fast path: frames in Binance's documented key order are read by [`super::ordered`]; the rest
//! by one scan over the frame with [`mdbus_feeder::json::Fields`], decimals parsed straight
//! from the wire text, any key order, unknown keys skipped. Returns `Ok(None)` for what it does
//! not handle (escaped strings), which the serde_json path then decodes.

use mdbus_schemas::Decimal;

use super::{is_partial_depth, stream_symbol};
use mdbus_feeder::{
    decode::{BarMsg, DecodeError, DepthMsg, Levels, Message, QuoteMsg, Side, TradeMsg},
    json::{Fields, Malformed, Raw, boolean, int, text, uint},
};

/// Every key a Binance market-data message may carry that the decoder reads. Keys differ only
/// in case (`b`/`B`, `t`/`T`), so they are matched exactly.
#[derive(Debug, Default, Clone, Copy)]
struct Seen<'a> {
    e: Option<Raw<'a>>,
    big_e: Option<Raw<'a>>,
    big_t: Option<Raw<'a>>,
    s: Option<Raw<'a>>,
    t: Option<Raw<'a>>,
    a: Option<Raw<'a>>,
    b: Option<Raw<'a>>,
    big_a: Option<Raw<'a>>,
    big_b: Option<Raw<'a>>,
    p: Option<Raw<'a>>,
    q: Option<Raw<'a>>,
    m: Option<Raw<'a>>,
    u: Option<Raw<'a>>,
    big_u: Option<Raw<'a>>,
    pu: Option<Raw<'a>>,
    k: Option<Raw<'a>>,
    last_update_id: Option<Raw<'a>>,
    bids: Option<Raw<'a>>,
    asks: Option<Raw<'a>>,
    result: Option<Raw<'a>>,
    id: Option<Raw<'a>>,
    code: Option<Raw<'a>>,
    msg: Option<Raw<'a>>,
    stream: Option<Raw<'a>>,
    data: Option<Raw<'a>>,
}

/// Signals "let the serde_json path decode this frame".
struct Fallback;

/// Malformed JSON is reported from the scanner, with the byte it stopped at and without
/// allocating (serde_json's error is a heap allocation per bad frame).
fn malformed(m: Malformed) -> Result<Fallback, DecodeError> {
    Err(DecodeError::Malformed { at: m.at })
}

type R<T> = Result<T, Result<Fallback, DecodeError>>;

/// Where the levels in the output came from.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum LevelSource {
    /// No level array seen.
    #[default]
    None,
    /// `b` / `a` (depthUpdate).
    Diff,
    /// `bids` / `asks` (spot partial depth).
    Partial,
    /// Both kinds: let serde_json decide.
    Mixed,
}

fn scan<'a>(b: &'a [u8], out: &mut Levels, seen: &mut Seen<'a>) -> R<LevelSource> {
    let mut source = LevelSource::None;
    out.clear();
    let mut fields = Fields::new(b).map_err(malformed)?;
    while let Some(field) = fields.next_key() {
        let (key, at) = field.map_err(malformed)?;
        // Level arrays are parsed in the same pass, decimals and all.
        let side = match key {
            [b'b'] | b"bids" => Some((true, key.len() == 1)),
            [b'a'] | b"asks" => Some((false, key.len() == 1)),
            _ => None,
        };
        if let Some((bid, diff)) = side
            && fields.bytes().get(at) == Some(&b'[')
        {
            let vec = if bid { &mut out.bids } else { &mut out.asks };
            let end = match mdbus_feeder::json::levels(fields.bytes(), at, vec) {
                Ok(end) => end,
                Err(mdbus_feeder::json::LevelsError::Shape) => return Err(Ok(Fallback)),
                Err(mdbus_feeder::json::LevelsError::Value) => {
                    return Err(bad(
                        "depth",
                        if diff {
                            if bid { "b" } else { "a" }
                        } else if bid {
                            "bids"
                        } else {
                            "asks"
                        },
                    ));
                }
            };
            fields.skip_to(end);
            let this = if diff { LevelSource::Diff } else { LevelSource::Partial };
            source = match source {
                LevelSource::None => this,
                s if s == this => s,
                _ => LevelSource::Mixed,
            };
            let raw = Raw::Array(&fields.bytes()[at..end]);
            match key {
                [b'b'] => seen.b = Some(raw),
                [b'a'] => seen.a = Some(raw),
                b"bids" => seen.bids = Some(raw),
                _ => seen.asks = Some(raw),
            }
            continue;
        }
        let raw = fields.value(at).map_err(malformed)?;
        if raw == Raw::Escaped {
            return Err(Ok(Fallback));
        }
        let slot = match key {
            [b'e'] => &mut seen.e,
            [b'E'] => &mut seen.big_e,
            [b'T'] => &mut seen.big_t,
            [b's'] => &mut seen.s,
            [b't'] => &mut seen.t,
            [b'a'] => &mut seen.a,
            [b'b'] => &mut seen.b,
            [b'A'] => &mut seen.big_a,
            [b'B'] => &mut seen.big_b,
            [b'p'] => &mut seen.p,
            [b'q'] => &mut seen.q,
            [b'm'] => &mut seen.m,
            [b'u'] => &mut seen.u,
            [b'U'] => &mut seen.big_u,
            [b'p', b'u'] => &mut seen.pu,
            [b'k'] => &mut seen.k,
            b"lastUpdateId" => &mut seen.last_update_id,
            b"bids" => &mut seen.bids,
            b"asks" => &mut seen.asks,
            b"result" => &mut seen.result,
            [b'i', b'd'] => &mut seen.id,
            b"code" => &mut seen.code,
            b"msg" => &mut seen.msg,
            b"stream" => &mut seen.stream,
            b"data" => &mut seen.data,
            _ => continue,
        };
        *slot = Some(raw);
    }
    Ok(source)
}

fn need<T>(v: Option<T>, message: &'static str, field: &'static str) -> R<T> {
    v.ok_or(Err(DecodeError::MissingField { message, field }))
}

fn bad(message: &'static str, field: &'static str) -> Result<Fallback, DecodeError> {
    Err(DecodeError::BadField { message, field })
}

fn dec(raw: Option<Raw<'_>>, message: &'static str, field: &'static str) -> R<Decimal> {
    let t = text(need(raw, message, field)?).ok_or_else(|| bad(message, field))?;
    Decimal::parse(t).map_err(|_| bad(message, field))
}

fn num(raw: Option<Raw<'_>>, message: &'static str, field: &'static str) -> R<u64> {
    uint(need(raw, message, field)?).ok_or_else(|| bad(message, field))
}

fn opt_num(raw: Option<Raw<'_>>, message: &'static str, field: &'static str) -> R<Option<u64>> {
    match raw {
        None | Some(Raw::Lit(b"null")) => Ok(None),
        Some(r) => uint(r).map(Some).ok_or_else(|| bad(message, field)),
    }
}

fn string<'a>(raw: Option<Raw<'a>>, message: &'static str, field: &'static str) -> R<&'a str> {
    match need(raw, message, field)? {
        Raw::Str(s) => std::str::from_utf8(s).map_err(|_| bad(message, field)),
        _ => Err(bad(message, field)),
    }
}

/// Decodes one frame on the fast path: in the documented key order first, with the general
/// scanner for anything else.
pub(super) fn decode<'a>(frame: &'a [u8], levels_out: &mut Levels) -> Result<Option<Message<'a>>, DecodeError> {
    if let Some(m) = super::ordered::decode(frame, levels_out) {
        if !matches!(m, Message::Depth(_)) {
            levels_out.clear();
        }
        return Ok(Some(m));
    }
    decode_general(frame, levels_out)
}

/// Decodes one frame with the general scanner only (any key order).
pub(super) fn decode_general<'a>(frame: &'a [u8], levels_out: &mut Levels) -> Result<Option<Message<'a>>, DecodeError> {
    match decode_inner(frame, None, levels_out) {
        Ok(m) => {
            if !matches!(m, Message::Depth(_)) {
                levels_out.clear();
            }
            Ok(Some(m))
        }
        Err(Ok(Fallback)) => Ok(None),
        Err(Err(e)) => Err(e),
    }
}

fn decode_inner<'a>(frame: &'a [u8], stream: Option<&'a str>, out: &mut Levels) -> R<Message<'a>> {
    let mut s = Seen::default();
    let source = scan(frame, out, &mut s)?;
    if let (Some(Raw::Str(name)), Some(Raw::Object(data))) = (s.stream, s.data) {
        let name = std::str::from_utf8(name).map_err(|_| bad("combined stream", "stream"))?;
        return decode_inner(data, Some(name), out);
    }
    let event = match s.e {
        Some(Raw::Str(e)) => Some(e),
        Some(_) => return Err(bad("event", "e")),
        None => None,
    };
    match event {
        Some(b"trade") => trade(&s, false),
        Some(b"aggTrade") => trade(&s, true),
        Some(b"bookTicker") => quote(&s),
        Some(b"24hrTicker") => ticker(&s),
        Some(b"depthUpdate") => {
            const M: &str = "depthUpdate";
            match (source, s.b, s.a) {
                (LevelSource::Diff, Some(_), Some(_)) => {}
                (LevelSource::Mixed, ..) => return Err(Ok(Fallback)),
                (_, None, _) => return Err(Err(DecodeError::MissingField { message: M, field: "b" })),
                (_, Some(Raw::Array(_)), None) => {
                    return Err(Err(DecodeError::MissingField { message: M, field: "a" }));
                }
                (_, Some(Raw::Array(_)), Some(_)) => return Err(bad(M, "a")),
                _ => return Err(bad(M, "b")),
            }
            Ok(Message::Depth(DepthMsg {
                symbol: Some(string(s.s, M, "s")?),
                symbol_from_stream: false,
                snapshot: stream.is_some_and(is_partial_depth),
                partial: stream.is_some_and(is_partial_depth),
                first_seq: Some(num(s.big_u, M, "U")?),
                last_seq: num(s.u, M, "u")?,
                prev_seq: opt_num(s.pu, M, "pu")?,
                trade_ts_ms: opt_num(s.big_t, M, "T")?,
                event_ts_ms: opt_num(s.big_e, M, "E")?,
            }))
        }
        Some(b"kline") => bar(&s),
        Some(_) => Ok(Message::Ignored),
        None if s.last_update_id.is_some() => {
            const M: &str = "partial depth";
            match (source, s.bids, s.asks) {
                (LevelSource::Partial, Some(_), Some(_)) => {}
                (LevelSource::Mixed, ..) => return Err(Ok(Fallback)),
                (_, None, _) => return Err(Err(DecodeError::MissingField { message: M, field: "bids" })),
                (_, Some(Raw::Array(_)), None) => {
                    return Err(Err(DecodeError::MissingField { message: M, field: "asks" }));
                }
                (_, Some(Raw::Array(_)), Some(_)) => return Err(bad(M, "asks")),
                _ => return Err(bad(M, "bids")),
            }
            Ok(Message::Depth(DepthMsg {
                symbol: stream.map(stream_symbol),
                symbol_from_stream: stream.is_some(),
                snapshot: true,
                partial: true,
                first_seq: None,
                last_seq: num(s.last_update_id, M, "lastUpdateId")?,
                prev_seq: None,
                // USD-M snapshots (REST and stream) carry the transaction and event times.
                trade_ts_ms: opt_num(s.big_t, M, "T")?,
                event_ts_ms: opt_num(s.big_e, M, "E")?,
            }))
        }
        None if s.u.is_some() && s.big_b.is_some() && s.big_a.is_some() => quote(&s),
        None if s.code.is_some() && s.msg.is_some() => Ok(Message::Error {
            code: s.code.and_then(int).ok_or_else(|| bad("error", "code"))?,
            msg: string(s.msg, "error", "msg")?,
            id: match s.id {
                Some(Raw::Lit(id) | Raw::Str(id)) if id != b"null" => {
                    std::str::from_utf8(id).map_err(|_| bad("error", "id"))?
                }
                _ => "",
            },
        }),
        None if s.result.is_some() && s.id.is_some() => match s.id {
            Some(Raw::Lit(id) | Raw::Str(id)) => {
                Ok(Message::Ack { id: std::str::from_utf8(id).map_err(|_| bad("ack", "id"))? })
            }
            _ => Err(bad("ack", "id")),
        },
        None => Err(Err(DecodeError::Unrecognized)),
    }
}

fn trade<'a>(s: &Seen<'a>, aggregated: bool) -> R<Message<'a>> {
    let (m, id_field, id) = if aggregated { ("aggTrade", "a", s.a) } else { ("trade", "t", s.t) };
    let buyer_is_maker = boolean(need(s.m, m, "m")?).ok_or_else(|| bad(m, "m"))?;
    Ok(Message::Trade(TradeMsg {
        symbol: string(s.s, m, "s")?,
        trade_id: num(id, m, id_field)?,
        price: dec(s.p, m, "p")?,
        qty: dec(s.q, m, "q")?,
        side: if buyer_is_maker { Side::Sell } else { Side::Buy },
        trade_ts_ms: opt_num(s.big_t, m, "T")?,
        event_ts_ms: opt_num(s.big_e, m, "E")?,
        aggregated,
        uuid: None,
        trade_ts_extra_ns: 0,
    }))
}

fn quote<'a>(s: &Seen<'a>) -> R<Message<'a>> {
    const M: &str = "bookTicker";
    Ok(Message::Quote(QuoteMsg {
        symbol: string(s.s, M, "s")?,
        update_id: num(s.u, M, "u")?,
        bid_price: dec(s.b, M, "b")?,
        bid_qty: dec(s.big_b, M, "B")?,
        ask_price: dec(s.a, M, "a")?,
        ask_qty: dec(s.big_a, M, "A")?,
        trade_ts_ms: opt_num(s.big_t, M, "T")?,
        event_ts_ms: opt_num(s.big_e, M, "E")?,
    }))
}

/// The rolling 24-hour ticker: spot's carries the best bid and offer, a quote; USD-M's has
/// none and is ignored.
fn ticker<'a>(s: &Seen<'a>) -> R<Message<'a>> {
    const M: &str = "24hrTicker";
    if s.b.is_none() && s.a.is_none() {
        return Ok(Message::Ignored);
    }
    Ok(Message::Quote(QuoteMsg {
        symbol: string(s.s, M, "s")?,
        update_id: 0,
        bid_price: dec(s.b, M, "b")?,
        bid_qty: dec(s.big_b, M, "B")?,
        ask_price: dec(s.a, M, "a")?,
        ask_qty: dec(s.big_a, M, "A")?,
        trade_ts_ms: None,
        event_ts_ms: opt_num(s.big_e, M, "E")?,
    }))
}

fn bar<'a>(s: &Seen<'a>) -> R<Message<'a>> {
    const M: &str = "kline";
    let Raw::Object(k) = need(s.k, M, "k")? else {
        return Err(bad(M, "k"));
    };
    let mut f: [Option<Raw<'a>>; 14] = [None; 14];
    const KEYS: [&[u8]; 14] = [b"t", b"T", b"s", b"i", b"o", b"c", b"h", b"l", b"v", b"n", b"x", b"q", b"f", b"L"];
    for field in Fields::new(k).map_err(malformed)? {
        let (key, raw) = field.map_err(malformed)?;
        if raw == Raw::Escaped {
            return Err(Ok(Fallback));
        }
        if let Some(i) = KEYS.iter().position(|k| *k == key) {
            f[i] = Some(raw);
        }
    }
    Ok(Message::Bar(BarMsg {
        symbol: string(s.s.or(f[2]), M, "s")?,
        interval: string(f[3], M, "i")?,
        open_ts_ms: num(f[0], M, "t")?,
        close_ts_ms: num(f[1], M, "T")?,
        open: dec(f[4], M, "o")?,
        high: dec(f[6], M, "h")?,
        low: dec(f[7], M, "l")?,
        close: dec(f[5], M, "c")?,
        volume: dec(f[8], M, "v")?,
        quote_volume: dec(f[11], M, "q")?,
        trades: num(f[9], M, "n")?,
        closed: boolean(need(f[10], M, "x")?).ok_or_else(|| bad(M, "x"))?,
        event_ts_ms: opt_num(s.big_e, M, "E")?,
    }))
}
