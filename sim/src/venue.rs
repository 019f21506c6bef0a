//! The seam between the simulator and a venue: a [`VenueDialect`] is everything the server asks
//! of a venue (its websocket dialect, its REST endpoints, public and trading, its private
//! streams and the frames an order change makes on them). Each venue implements it in its own
//! folder of `mdbus-venues`, which registers them in a [`SimVenues`] list; the simulator knows
//! no venue by name.

use std::sync::Mutex;

use crate::{
    SimConfig,
    dialect::{Dialect, Session},
    exchange::{Exchange, Reply, SimOrder},
    market::Market,
    rest::Request,
};

/// What a venue's REST handler may read: the market, the exchange and the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The simulated market (lock it briefly).
    pub market: &'a Mutex<Market>,
    /// The exchange core.
    pub exchange: &'a Exchange,
    /// The simulator's configuration.
    pub cfg: &'a SimConfig,
}

impl Context<'_> {
    /// `f` of the market, or `None` when its lock is poisoned.
    pub fn with_market<T>(&self, f: impl FnOnce(&Market) -> T) -> Option<T> {
        self.market.lock().ok().map(|m| f(&m))
    }
}

/// One private-stream connection (an account's orders and balances).
pub trait PrivateStream: Send {
    /// The account (API key) whose events this connection carries, once known.
    fn account(&self) -> Option<String>;

    /// The replies to one text message from the client (login, subscribe, ping).
    fn request(&mut self, text: &str, exchange: &Exchange) -> Vec<String>;

    /// The refusal of the websocket upgrade itself (HTTP status line and JSON body), for
    /// venues that authenticate in the handshake's headers: checked before the upgrade is
    /// accepted. `None` (the default) accepts it.
    fn refusal(&self) -> Option<(&'static str, String)> {
        None
    }

    /// What the server sends first, unasked, once the connection is up (Gemini's
    /// `subscription_ack`). Nothing by default.
    fn greeting(&mut self) -> Vec<String> {
        Vec::new()
    }

    /// Whether the client's message `text` is for this private side, on a connection that also
    /// carries market streams ([`VenueDialect::mixed_private`]). By default every message is.
    fn claims(&self, _text: &str) -> bool {
        true
    }

    /// The frame this connection sends for the account's event `frame`: as its subscriptions
    /// name the channel, or `None` when it did not subscribe to it. By default every event goes
    /// out as it is.
    fn push(&mut self, frame: String) -> Option<String> {
        Some(frame)
    }
}

/// Everything the simulator asks of one venue.
pub trait VenueDialect: Send + Sync + 'static {
    /// The venue's short name (`binance`, `okx`, ...), as `mdbus sim --venue` takes it.
    fn name(&self) -> &'static str;

    /// The symbols a simulator of this venue trades by default, as the venue spells them.
    fn default_symbols(&self) -> &'static [&'static str];

    /// The websocket path of the market streams.
    fn ws_path(&self) -> &'static str;

    /// The dialect of one market-data connection to `target`, with its replica `session`.
    fn stream(&self, cfg: &SimConfig, target: &str, session: &mut Session) -> Box<dyn Dialect>;

    /// The answer to a REST request, or `None` when the path is not one of the venue's.
    fn rest(&self, ctx: &Context<'_>, req: &Request<'_>) -> Option<Reply>;

    /// The answer to a REST path that neither the simulator nor any of its venues serves,
    /// given as this venue answers a path it does not have. By default a bare `404 Not Found`
    /// with no body, as a venue's gateway answers one (Binance does so).
    fn not_found(&self, _req: &Request<'_>) -> Reply {
        Reply::Respond { status: "404 Not Found", headers: Vec::new(), body: String::new() }
    }

    /// A private-stream connection for the websocket upgrade `upgrade` (its target and
    /// headers: a venue may sign the `Host`), or `None` when the path is not one of the
    /// venue's private streams.
    fn private(&self, _upgrade: &Request<'_>, _exchange: &Exchange) -> Option<Box<dyn PrivateStream>> {
        None
    }

    /// The private side of a market-stream connection, for venues whose private channels
    /// subscribe (with a signature) on the same socket as the public ones: the messages it
    /// [claims](PrivateStream::claims) go to it, and the account's events go out beside the
    /// market's. `None` by default.
    fn mixed_private(&self, _upgrade: &Request<'_>) -> Option<Box<dyn PrivateStream>> {
        None
    }

    /// The private-stream frames of an order change (`exec`: `NEW`, `CANCELED`, `TRADE`).
    fn order_events(&self, _order: &SimOrder, _exec: &str, _trade_id: u64, _futures: bool, _now: u64) -> Vec<String> {
        Vec::new()
    }

    /// The private-stream frames after a fill: balances, and `positions` (symbol, size in
    /// 1e-8 units, entry price) of the order's market.
    fn fill_events(&self, _positions: &[(String, i128, String)], _futures: bool, _now: u64) -> Vec<String> {
        Vec::new()
    }
}

/// A venue the simulator can speak: a handle on its [`VenueDialect`], which it dereferences to.
/// Two handles are equal when they name the same venue.
#[derive(Clone, Copy)]
pub struct SimVenue(&'static dyn VenueDialect);

impl SimVenue {
    /// A handle on `dialect`.
    pub const fn new(dialect: &'static dyn VenueDialect) -> SimVenue {
        SimVenue(dialect)
    }

    /// The venue's default symbols, owned.
    pub fn symbols(self) -> Vec<String> {
        self.0.default_symbols().iter().map(|s| (*s).to_owned()).collect()
    }
}

impl std::ops::Deref for SimVenue {
    type Target = dyn VenueDialect;

    fn deref(&self) -> &Self::Target {
        self.0
    }
}

impl PartialEq for SimVenue {
    fn eq(&self, other: &SimVenue) -> bool {
        self.0.name() == other.0.name()
    }
}

impl Eq for SimVenue {}

impl std::fmt::Debug for SimVenue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SimVenue({})", self.0.name())
    }
}

/// The venues a simulator knows, in a fixed order: REST requests go to each in turn until one
/// answers.
#[derive(Clone, Copy, Debug)]
pub struct SimVenues(&'static [SimVenue]);

impl SimVenues {
    /// A registry of `venues`.
    pub const fn new(venues: &'static [SimVenue]) -> SimVenues {
        SimVenues(venues)
    }

    /// Every registered venue.
    pub fn iter(self) -> impl Iterator<Item = SimVenue> {
        self.0.iter().copied()
    }

    /// The venue named `name`.
    pub fn parse(self, name: &str) -> Option<SimVenue> {
        self.iter().find(|v| v.name() == name)
    }

    /// Every venue's name, for help texts.
    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(|v| v.name()).collect()
    }
}
