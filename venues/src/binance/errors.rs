//! Binance's error codes (spot and USD-M futures) and what they mean in mdbus' unified codes.

use mdbus_sdk::error::CodeTable;

/// Binance spot and USD-M futures codes (<https://developers.binance.com/docs/binance-spot-api-docs/errors>).
pub const BINANCE: CodeTable = CodeTable {
    venue: "binance",
    entries: mdbus_sdk::code_table! {
        "-1000" => "UNKNOWN", InternalError;
        "-1001" => "DISCONNECTED", NetworkDisconnected;
        "-1002" => "UNAUTHORIZED", PermissionDenied;
        "-1003" => "TOO_MANY_REQUESTS", RateLimitExceeded;
        "-1004" => "SERVER_BUSY", ExchangeOverloaded;
        "-1006" => "UNEXPECTED_RESP (execution status unknown)", InternalError;
        "-1007" => "TIMEOUT (execution status unknown)", NetworkTimeout;
        "-1008" => "SERVER_BUSY", ExchangeOverloaded;
        "-1013" => "INVALID_MESSAGE (filter failure)", InvalidOrder;
        "-1014" => "UNKNOWN_ORDER_COMPOSITION", InvalidOrderType;
        "-1015" => "TOO_MANY_ORDERS", TooManyRequests;
        "-1016" => "SERVICE_SHUTTING_DOWN", ExchangeMaintenance;
        "-1020" => "UNSUPPORTED_OPERATION", UnsupportedOperation;
        "-1021" => "INVALID_TIMESTAMP", ExpiredTimestamp;
        "-1022" => "INVALID_SIGNATURE", InvalidSignature;
        "-1100" => "ILLEGAL_CHARS", InvalidParameter;
        "-1101" => "TOO_MANY_PARAMETERS", InvalidParameter;
        "-1102" => "MANDATORY_PARAM_EMPTY_OR_MALFORMED", MissingParameter;
        "-1103" => "UNKNOWN_PARAM", InvalidParameter;
        "-1104" => "UNREAD_PARAMETERS", InvalidParameter;
        "-1105" => "PARAM_EMPTY", MissingParameter;
        "-1106" => "PARAM_NOT_REQUIRED", InvalidParameter;
        "-1111" => "BAD_PRECISION", PrecisionError;
        "-1112" => "NO_DEPTH", MarketClosed;
        "-1114" => "TIF_NOT_REQUIRED", InvalidParameter;
        "-1115" => "INVALID_TIF", InvalidParameter;
        "-1116" => "INVALID_ORDER_TYPE", InvalidOrderType;
        "-1117" => "INVALID_SIDE", InvalidSide;
        "-1118" => "EMPTY_NEW_CL_ORD_ID", MissingParameter;
        "-1119" => "EMPTY_ORG_CL_ORD_ID", MissingParameter;
        "-1120" => "BAD_INTERVAL", InvalidParameter;
        "-1121" => "BAD_SYMBOL", InvalidSymbol;
        "-1125" => "INVALID_LISTEN_KEY", SessionExpired;
        "-1127" => "MORE_THAN_XX_HOURS", ParameterOutOfRange;
        "-1128" => "OPTIONAL_PARAMS_BAD_COMBO", InvalidParameter;
        "-1130" => "INVALID_PARAMETER", InvalidParameter;
        "-2010" => "NEW_ORDER_REJECTED", InvalidOrder;
        "-2011" => "CANCEL_REJECTED", OrderCancelFailed;
        "-2013" => "NO_SUCH_ORDER", OrderNotFound;
        "-2014" => "BAD_API_KEY_FMT", InvalidApiKey;
        "-2015" => "REJECTED_MBX_KEY", InvalidApiKey;
        "-2016" => "NO_TRADING_WINDOW", MarketClosed;
        "-2018" => "BALANCE_NOT_SUFFICIENT", InsufficientBalance;
        "-2019" => "MARGIN_NOT_SUFFICIENT", InsufficientMargin;
        "-2021" => "ORDER_WOULD_IMMEDIATELY_TRIGGER", InvalidOrder;
        "-2022" => "REDUCE_ONLY_REJECT", InvalidOrder;
        "-4164" => "MIN_NOTIONAL", MinNotional;
        "-5022" => "GTX_ORDER_REJECT (post-only would take)", InvalidOrder;
    },
};
