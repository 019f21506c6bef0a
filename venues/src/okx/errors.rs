//! OKX's error codes and what they mean in mdbus' unified codes.

use mdbus_sdk::error::CodeTable;

/// OKX v5 codes (<https://www.okx.com/docs-v5/en/#error-code>).
pub const OKX: CodeTable = CodeTable {
    venue: "okx",
    entries: mdbus_sdk::code_table! {
        "50000" => "Body cannot be empty", MissingParameter;
        "50001" => "Service temporarily unavailable", ExchangeMaintenance;
        "50002" => "JSON syntax error", InvalidParameter;
        "50004" => "Endpoint request timeout (outcome unknown)", NetworkTimeout;
        "50005" => "API is offline or unavailable", NotSupported;
        "50006" => "Invalid Content-Type", InvalidParameter;
        "50007" => "Account blocked", AccountSuspended;
        "50011" => "Rate limit reached", RateLimitExceeded;
        "50013" => "Systems are busy", ExchangeOverloaded;
        "50014" => "Parameter cannot be empty", MissingParameter;
        "50026" => "System error", InternalError;
        "50061" => "Sub-account rate limit reached", TooManyRequests;
        "50100" => "API frozen", PermissionDenied;
        "50101" => "APIKey does not match current environment", InvalidApiKey;
        "50102" => "Timestamp request expired", ExpiredTimestamp;
        "50103" => "Request header OK-ACCESS-KEY cannot be empty", InvalidApiKey;
        "50104" => "Request header OK-ACCESS-PASSPHRASE cannot be empty", InvalidApiKey;
        "50105" => "Request header OK-ACCESS-PASSPHRASE incorrect", InvalidApiKey;
        "50106" => "Request header OK-ACCESS-SIGN cannot be empty", InvalidSignature;
        "50107" => "Request header OK-ACCESS-TIMESTAMP cannot be empty", ExpiredTimestamp;
        "50110" => "IP not in the key's trusted addresses", PermissionDenied;
        "50111" => "Invalid OK-ACCESS-KEY", InvalidApiKey;
        "50112" => "Invalid OK-ACCESS-TIMESTAMP", ExpiredTimestamp;
        "50113" => "Invalid signature", InvalidSignature;
        "50114" => "Invalid authorization", PermissionDenied;
        "51000" => "Parameter error", InvalidParameter;
        "51001" => "Instrument ID does not exist", InvalidSymbol;
        "51006" => "Order price is not within the price limit", InvalidPrice;
        "51008" => "Order failed: insufficient balance", InsufficientBalance;
        "51011" => "Order ID already exists", DuplicateOrder;
        "51016" => "Duplicated clOrdId", DuplicateOrder;
        "51020" => "Order amount below the minimum", MinimumNotMet;
        "51121" => "Order quantity must be a multiple of the lot size", PrecisionError;
        "51131" => "Insufficient balance", InsufficientBalance;
        "51400" => "Cancellation failed: order filled, canceled or does not exist", OrderCancelFailed;
        "51401" => "Cancellation failed: order already canceled", OrderCancelled;
        "51402" => "Cancellation failed: order already completed", OrderAlreadyFilled;
        "51503" => "Amendment failed: order filled, canceled or does not exist", OrderCancelFailed;
        "51603" => "Order does not exist", OrderNotFound;
    },
};
