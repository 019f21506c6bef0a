//! Gemini's error codes and what they mean in mdbus' unified codes.

use mdbus_sdk::error::CodeTable;

/// Gemini `reason`s (`{"result":"error","reason":...,"message":...}`,
/// <https://docs.gemini.com/rest-api/#error-codes>).
pub const GEMINI: CodeTable = CodeTable {
    venue: "gemini",
    entries: mdbus_sdk::code_table! {
        "InvalidSymbol" => "the symbol is not known", InvalidSymbol;
        "InvalidSignature" => "signature does not match", InvalidSignature;
        "InvalidNonce" => "nonce not greater than the last one", ExpiredTimestamp;
        "MissingApikeyHeader" => "no API key", InvalidApiKey;
        "InvalidPrice" => "invalid price", InvalidPrice;
        "InvalidQuantity" => "invalid quantity", InvalidVolume;
        "InsufficientFunds" => "insufficient funds", InsufficientBalance;
        "OrderNotFound" => "order not found", OrderNotFound;
        "RateLimit" => "too many requests", RateLimitExceeded;
        "Maintenance" => "the venue is in maintenance", ExchangeOverloaded;
        "System" => "internal error", InternalError;
    },
};
