//! Bybit's error codes and what they mean in mdbus' unified codes.

use mdbus_sdk::error::CodeTable;

/// Bybit v5 codes (<https://bybit-exchange.github.io/docs/v5/error>).
pub const BYBIT: CodeTable = CodeTable {
    venue: "bybit",
    entries: mdbus_sdk::code_table! {
        "10001" => "Parameter error", InvalidParameter;
        "10002" => "Request time exceeds the recv window", ExpiredTimestamp;
        "10003" => "API key is invalid", InvalidApiKey;
        "10004" => "Error sign", InvalidSignature;
        "10005" => "Permission denied", PermissionDenied;
        "10006" => "Too many visits", RateLimitExceeded;
        "10007" => "User authentication failed", InvalidApiKey;
        "10010" => "Unmatched IP", PermissionDenied;
        "10016" => "Server error", InternalError;
        "10018" => "Exceeded the IP rate limit", RateLimitExceeded;
        "110001" => "Order does not exist", OrderNotFound;
        "110003" => "Order price exceeds the allowable range", InvalidPrice;
        "110004" => "Wallet balance is insufficient", InsufficientBalance;
        "110007" => "Available balance is insufficient", InsufficientBalance;
        "110012" => "Insufficient available balance", InsufficientBalance;
        "110017" => "Reduce-only rule not satisfied", InvalidOrder;
        "110072" => "OrderLinkedID is duplicate", DuplicateOrder;
        "170131" => "Balance insufficient", InsufficientBalance;
    },
};
