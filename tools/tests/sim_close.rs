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
