//! `mdbus sign`: prints one request signature exactly as the venue expects it, through the
//! venue's registered [`Scheme`](mdbus_sdk::signing::Scheme).

pub use mdbus_sdk::signing::{SignError, SignInput};

/// Returns the signature for `venue` with `secret` over `input`.
///
/// # Errors
///
/// [`SignError`] naming the missing input or unknown venue.
///
/// # Examples
///
/// ```
/// use mdbus_tools::sign::{SignInput, sign};
/// let input = SignInput { query: Some("symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559".into()), ..SignInput::default() };
/// let sig = sign("binance", "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j", &input)?;
/// assert_eq!(sig, "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
/// # Ok::<(), mdbus_tools::sign::SignError>(())
/// ```
pub fn sign(venue: &str, secret: &str, input: &SignInput) -> Result<String, SignError> {
    let scheme = mdbus_venues::scheme(venue).ok_or_else(|| SignError::UnknownVenue {
        venue: venue.to_owned(),
        known: mdbus_venues::SCHEMES.map(|s| s.venue).join(", "),
    })?;
    (scheme.sign)(secret, input)
}
