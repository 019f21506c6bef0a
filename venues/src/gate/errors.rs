//! Gate.io's error labels and what they mean in mdbus' unified codes.

use mdbus_sdk::error::CodeTable;

/// Gate.io v4 labels (`label` of `{"label":...,"message":...}`,
/// <https://www.gate.io/docs/developers/apiv4/#label-list>).
pub const GATE: CodeTable = CodeTable {
    venue: "gateio",
    entries: mdbus_sdk::code_table! {
        "INVALID_PARAM_VALUE" => "invalid parameter value", InvalidParameter;
        "INVALID_CURRENCY_PAIR" => "invalid currency pair", InvalidSymbol;
        "INVALID_CURRENCY" => "invalid currency", InvalidSymbol;
        "INVALID_KEY" => "invalid API key", InvalidApiKey;
        "INVALID_SIGNATURE" => "invalid signature", InvalidSignature;
        "REQUEST_EXPIRED" => "request timestamp too far from server time", ExpiredTimestamp;
        "FORBIDDEN" => "no permission", PermissionDenied;
        "BALANCE_NOT_ENOUGH" => "balance not enough", InsufficientBalance;
        "ORDER_NOT_FOUND" => "order not found", OrderNotFound;
        "ORDER_CLOSED" => "order already closed", OrderAlreadyFilled;
        "TOO_MANY_REQUESTS" => "request rate limit exceeded", RateLimitExceeded;
        "SERVER_ERROR" => "internal server error", InternalError;
    },
};
