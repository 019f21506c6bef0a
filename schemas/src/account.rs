//! Order-path records: order, fill, balance and position, published into a ring per account.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::{FixedStr, Header, Kind};

/// Client or venue order id.
pub type OrderId = FixedStr<48>;

/// Asset code such as `USDT`.
pub type Asset = FixedStr<16>;

/// Lifecycle state of an [`Order`].
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(transparent)]
pub struct OrderStatus(pub u8);

impl OrderStatus {
    /// Sent; the venue has not answered yet, or the answer was lost.
    pub const PENDING: OrderStatus = OrderStatus(1);
    /// Resting on the book.
    pub const NEW: OrderStatus = OrderStatus(2);
    /// Partly filled and still resting.
    pub const PARTIALLY_FILLED: OrderStatus = OrderStatus(3);
    /// Completely filled.
    pub const FILLED: OrderStatus = OrderStatus(4);
    /// Canceled.
    pub const CANCELED: OrderStatus = OrderStatus(5);
    /// Rejected by the venue.
    pub const REJECTED: OrderStatus = OrderStatus(6);
    /// Expired (time in force).
    pub const EXPIRED: OrderStatus = OrderStatus(7);
    /// The outcome of a submission is not known yet; the order path is querying it.
    pub const UNKNOWN: OrderStatus = OrderStatus(8);
}

/// Order type of an [`Order`].
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(transparent)]
pub struct OrderType(pub u8);

impl OrderType {
    /// Limit order.
    pub const LIMIT: OrderType = OrderType(1);
    /// Market order.
    pub const MARKET: OrderType = OrderType(2);
    /// Post-only limit order.
    pub const LIMIT_MAKER: OrderType = OrderType(3);
}

/// Time in force of an [`Order`].
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(transparent)]
pub struct TimeInForce(pub u8);

impl TimeInForce {
    /// Good till canceled.
    pub const GTC: TimeInForce = TimeInForce(1);
    /// Immediate or cancel.
    pub const IOC: TimeInForce = TimeInForce(2);
    /// Fill or kill.
    pub const FOK: TimeInForce = TimeInForce(3);
}

/// State of one order: 192 bytes.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct Order {
    /// Common fields; `kind` is [`Kind::ORDER`].
    pub header: Header,
    /// Limit price mantissa (zero for market orders).
    pub price: i64,
    /// Ordered quantity mantissa.
    pub qty: i64,
    /// Filled quantity mantissa.
    pub filled_qty: i64,
    /// Average fill price mantissa (zero before the first fill).
    pub avg_price: i64,
    /// Account number within the feeder's configuration.
    pub account: u32,
    /// Lifecycle state.
    pub status: OrderStatus,
    /// [`crate::flags::SIDE_BUY`] or [`crate::flags::SIDE_SELL`].
    pub side: u8,
    /// Order type.
    pub order_type: OrderType,
    /// Time in force.
    pub time_in_force: TimeInForce,
    /// Client order id.
    pub client_id: OrderId,
    /// Venue order id.
    pub venue_order_id: OrderId,
    /// Reserved, zero.
    pub _pad: [u8; 8],
}

const _: () = assert!(size_of::<Order>() == 192);

/// One execution of an order: 192 bytes. `header.venue_seq` is the venue's trade id.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct Fill {
    /// Common fields; `kind` is [`Kind::FILL`].
    pub header: Header,
    /// Execution price mantissa.
    pub price: i64,
    /// Executed quantity mantissa.
    pub qty: i64,
    /// Fee mantissa at `fee_exp`, in `fee_asset` (negative for a rebate).
    pub fee: i64,
    /// Account number within the feeder's configuration.
    pub account: u32,
    /// [`crate::flags::SIDE_BUY`] or [`crate::flags::SIDE_SELL`].
    pub side: u8,
    /// [`crate::flags::MAKER`] or [`crate::flags::TAKER`].
    pub liquidity: u8,
    /// Exponent of `fee`.
    pub fee_exp: i8,
    /// Reserved, zero.
    pub _pad0: u8,
    /// Asset the fee was charged in.
    pub fee_asset: Asset,
    /// Client order id.
    pub client_id: OrderId,
    /// Venue order id.
    pub venue_order_id: OrderId,
}

const _: () = assert!(size_of::<Fill>() == 192);

/// Balance of one asset: 128 bytes.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct Balance {
    /// Common fields; `kind` is [`Kind::BALANCE`].
    pub header: Header,
    /// Available amount, mantissa at `exponent`.
    pub free: i64,
    /// Amount locked in orders, mantissa at `exponent`.
    pub locked: i64,
    /// Account number within the feeder's configuration.
    pub account: u32,
    /// Exponent of `free` and `locked`.
    pub exponent: i8,
    /// Reserved, zero.
    pub _pad0: [u8; 3],
    /// Asset code.
    pub asset: Asset,
    /// Reserved, zero.
    pub _pad1: [u8; 40],
}

const _: () = assert!(size_of::<Balance>() == 128);

/// Derivatives position of one instrument: 128 bytes.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct Position {
    /// Common fields; `kind` is [`Kind::POSITION`].
    pub header: Header,
    /// Signed position size (negative is short), quantity mantissa.
    pub qty: i64,
    /// Average entry price mantissa.
    pub entry_price: i64,
    /// Mark price mantissa.
    pub mark_price: i64,
    /// Unrealized profit and loss, mantissa at `pnl_exp`.
    pub unrealized_pnl: i64,
    /// Liquidation price mantissa (zero when none).
    pub liquidation_price: i64,
    /// Account number within the feeder's configuration.
    pub account: u32,
    /// Exponent of `unrealized_pnl`.
    pub pnl_exp: i8,
    /// Reserved, zero.
    pub _pad0: u8,
    /// Leverage, whole multiples.
    pub leverage: u16,
    /// Reserved, zero.
    pub _pad1: [u8; 32],
}

const _: () = assert!(size_of::<Position>() == 128);

crate::record!(Order, Kind::ORDER, {
    header: Header, price: i64, qty: i64, filled_qty: i64, avg_price: i64, account: u32,
    status: OrderStatus, side: u8, order_type: OrderType, time_in_force: TimeInForce,
    client_id: OrderId, venue_order_id: OrderId, _pad: [u8; 8],
});
crate::record!(Fill, Kind::FILL, {
    header: Header, price: i64, qty: i64, fee: i64, account: u32, side: u8, liquidity: u8,
    fee_exp: i8, _pad0: u8, fee_asset: Asset, client_id: OrderId, venue_order_id: OrderId,
});
crate::record!(Balance, Kind::BALANCE, {
    header: Header, free: i64, locked: i64, account: u32, exponent: i8, _pad0: [u8; 3],
    asset: Asset, _pad1: [u8; 40],
});
crate::record!(Position, Kind::POSITION, {
    header: Header, qty: i64, entry_price: i64, mark_price: i64, unrealized_pnl: i64,
    liquidation_price: i64, account: u32, pnl_exp: i8, _pad0: u8, leverage: u16, _pad1: [u8; 32],
});
