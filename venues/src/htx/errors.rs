//! HTX's error codes and what they mean in mdbus' unified codes.

use mdbus_sdk::error::CodeTable;

/// HTX spot codes (`err-code` of `{"status":"error","err-code":...,"err-msg":...}`,
/// <https://www.htx.com/en-us/opend/newApiPages/>).
pub const HTX: CodeTable = CodeTable {
    venue: "htx",
    entries: mdbus_sdk::code_table! {
        "invalid-parameter" => "invalid parameter", InvalidParameter;
        "bad-request" => "bad request", InvalidParameter;
        "base-symbol-error" => "the symbol is invalid", InvalidSymbol;
        "base-symbol-trade-disabled" => "trading is disabled for the symbol", InvalidSymbol;
        "api-signature-not-valid" => "signature not valid", InvalidSignature;
        "api-signature-check-failed" => "signature check failed", InvalidSignature;
        "invalid-access-key" => "invalid access key", InvalidApiKey;
        "login-required" => "signature or access key missing", InvalidApiKey;
        "api-key-not-allowed" => "the key lacks permission", PermissionDenied;
        "account-frozen-balance-insufficient-error" => "insufficient balance", InsufficientBalance;
        "order-value-min-error" => "order value below the minimum", MinNotional;
        "order-limitorder-amount-min-error" => "amount below the minimum", InvalidVolume;
        "order-limitorder-price-min-error" => "price below the minimum", InvalidPrice;
        "base-record-invalid" => "order record not found", OrderNotFound;
        "order-orderstate-error" => "order state does not allow it", OrderCancelFailed;
        "too-many-request" => "request rate exceeded", RateLimitExceeded;
        "gateway-internal-error" => "internal error", InternalError;
    },
};
