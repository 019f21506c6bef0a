//! The simulator closes websockets as the venues do: a client's Close frame is echoed with its
//! code before the connection ends, on every venue's dialect.

#![allow(clippy::unwrap_used)]

use std::{net::TcpStream, time::Duration};

use mdbus_sim::{Sim, SimConfig, SimVenue};
use tungstenite::{
    Message,
    protocol::{CloseFrame, frame::coding::CloseCode},
};

#[test]
fn a_close_frame_is_echoed_with_its_code() {
    for venue in [SimVenue::Binance, SimVenue::Okx, SimVenue::Bybit, SimVenue::Htx, SimVenue::Gate, SimVenue::Gemini] {
        let sim = Sim::start(SimConfig { venue, symbols: venue.default_symbols(), ..SimConfig::default() }).unwrap();
        let addr = sim.addr();
        let sock = TcpStream::connect(addr).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let (mut ws, _) = tungstenite::client(format!("ws://{addr}{}", venue.ws_path()), sock).unwrap();
        ws.send(Message::Close(Some(CloseFrame { code: CloseCode::Away, reason: "bye".into() }))).unwrap();
        let echoed = loop {
            match ws.read() {
                Ok(Message::Close(frame)) => break frame,
                Ok(_) => {}
                Err(e) => panic!("{venue:?}: no close frame back: {e}"),
            }
        };
        assert_eq!(echoed.map(|f| f.code), Some(CloseCode::Away), "{venue:?}");
    }
}

/// A channel the simulator does not produce is refused the way the venue refuses an unknown
/// one (its error frame, which the feeder's decoder reads as a refusal), never acknowledged and
/// left silent; a channel it produces is acknowledged.
#[test]
fn an_unserved_channel_is_refused_not_left_silent() {
    use mdbus_feeder::{Levels, Message as Decoded, Venue, venue::SessionDecoder};
    let cases = [
        (SimVenue::Binance, Venue::BINANCE_SPOT, "kline_1m"),
        (SimVenue::Okx, Venue::OKX, "ticker"),
        (SimVenue::Bybit, Venue::BYBIT_SPOT, "ticker"),
        (SimVenue::Htx, Venue::HTX, "kline_1m"),
        (SimVenue::Gate, Venue::GATEIO, "kline_1m"),
    ];
    for (sim_venue, venue, unserved) in cases {
        let symbols = sim_venue.default_symbols();
        let sim = Sim::start(SimConfig { venue: sim_venue, symbols: symbols.clone(), ..SimConfig::default() }).unwrap();
        let addr = sim.addr();
        for (channel, refused) in [(unserved, true), ("trade", false)] {
            let sock = TcpStream::connect(addr).unwrap();
            sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let (mut ws, _) = tungstenite::client(format!("ws://{addr}{}", sim_venue.ws_path()), sock).unwrap();
            let topic = venue.topic(channel, &symbols[0]).unwrap();
            ws.send(Message::text(venue.subscribe(7, &[topic]))).unwrap();
            let mut decoder = SessionDecoder::new(venue);
            let mut levels = Levels::default();
            let answer = loop {
                let (frame, binary) = match ws.read().unwrap() {
                    Message::Text(t) => (t.as_bytes().to_vec(), false),
                    Message::Binary(b) => (b.to_vec(), true),
                    _ => continue,
                };
                let mut got = None;
                let _ = decoder.decode(&frame, binary, &mut levels, &mut |m, _| match m {
                    Decoded::Error { .. } => got = Some(true),
                    Decoded::Ack { .. } => got = Some(false),
                    _ => {}
                });
                if let Some(g) = got {
                    break g;
                }
            };
            assert_eq!(answer, refused, "{sim_venue:?} {channel}");
        }
    }
}
