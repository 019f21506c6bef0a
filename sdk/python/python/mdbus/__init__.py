"""mdbus for Python: read the shared-memory market-data bus, share its rate limiter with Rust
processes, sign venue requests and call venue feeds. The work is done in Rust (``mdbus._native``).

>>> import mdbus                                                    # doctest: +SKIP
>>> for rec in mdbus.Subscriber("binance-spot.trade", start="oldest"):  # doctest: +SKIP
...     print(rec["symbol"], rec["price"], rec["qty"])              # Decimal prices
"""

from ._native import (
    AuthenticationError,
    BtApiError,
    ExchangeNotFoundError,
    InsufficientBalanceError,
    InvalidOrderError,
    InvalidSymbolError,
    NetworkError,
    NotSupportedError,
    OrderNotFoundError,
    Overrun,
    RateLimiter,
    RateLimitError,
    RateLimitRule,
    RequestError,
    RingError,
    VenueFeed,
    book,
    layout,
    registry_keys,
    sign,
)
from ._native import Subscriber as _Subscriber

__all__ = [
    "AuthenticationError",
    "BtApiError",
    "ExchangeNotFoundError",
    "ExchangeRegistry",
    "InsufficientBalanceError",
    "InvalidOrderError",
    "InvalidSymbolError",
    "NetworkError",
    "NotSupportedError",
    "OrderNotFoundError",
    "Overrun",
    "RateLimitError",
    "RateLimitRule",
    "RateLimiter",
    "RequestError",
    "RingError",
    "Subscriber",
    "VenueFeed",
    "book",
    "dtype",
    "is_network_error",
    "is_retryable",
    "layout",
    "registry_keys",
    "sign",
]


def is_retryable(error: BaseException) -> bool:
    """Whether trying the same request again later may succeed (as the Rust ``Error::is_retryable``)."""
    return isinstance(error, BtApiError) and len(error.args) > 2 and bool(error.args[2])


def is_network_error(error: BaseException) -> bool:
    """Whether the venue could not be reached or did not answer (as the Rust ``Error::is_network``)."""
    return isinstance(error, BtApiError) and len(error.args) > 3 and bool(error.args[3])


_SCALARS = {"u64": "<u8", "i64": "<i8", "u32": "<u4", "i32": "<i4", "u16": "<u2", "i16": "<i2", "u8": "u1", "i8": "i1"}
_NEWTYPES = {"Kind": "u1", "VenueId": "<u2", "InstrumentId": "<u4", "Nanos": "<u8", "MarkerCode": "<u2"}


def dtype(kind: str):
    """The numpy structured dtype of a record family (``"trade"``, ``"book_delta"``, ...): every
    field at its offset, the header's fields inline, mantissas as integers."""
    import numpy as np

    lay = layout()
    fam = lay["families"][kind]
    names, formats, offsets = [], [], []

    def add(name, offset, size, ty):
        if name.startswith("_"):
            return
        fmt = _SCALARS.get(ty) or _NEWTYPES.get(ty)
        if fmt is None or np.dtype(fmt).itemsize != size:
            fmt = f"V{size}" if not ty.startswith("[Level") else np.dtype((np.dtype([("price", "<i8"), ("qty", "<i8")]), size // 16))
        names.append(name)
        formats.append(fmt)
        offsets.append(offset)

    for name, offset, size, ty in fam["fields"]:
        if name == "header":
            for hname, hoff, hsize, hty in lay["header"]:
                add(hname, offset + hoff, hsize, hty)
        else:
            add(name, offset, size, ty)
    return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": fam["size"]})


class Subscriber(_Subscriber):
    """A ring's reader. ``poll()`` returns the next record (a dict, prices and quantities as
    exact ``Decimal``) or ``None``; ``next(timeout)`` waits with the GIL released; iterating
    waits for ever. Losses come back as ``{"kind": "lost", "lost": n}`` (or raise ``Overrun``
    with ``raise_on_loss=True``), markers as records of kind ``marker``.

    ``read_array()`` returns every record there now as a numpy structured array (see
    :func:`dtype`), with no Python object per record, and how many were lost.
    """

    def read_array(self):
        import numpy as np

        raw, lost, size = self.read_raw()
        dt = dtype(self.kind)
        if size != dt.itemsize:
            raise RingError(f"ring records are {size} bytes, the layout says {dt.itemsize}", "Layout", False, False)
        return np.frombuffer(raw, dtype=dt), lost


class ExchangeRegistry:
    """``bt_api_base``'s registry, by the same keys (``BINANCE___SPOT``, ``OKX___SPOT``, ...):
    ``ExchangeRegistry.create("OKX___SPOT", rest_url=...)`` is a :class:`VenueFeed`."""

    @staticmethod
    def create(key: str, rest_url=None) -> VenueFeed:
        return VenueFeed(key, rest_url)

    @staticmethod
    def keys():
        return registry_keys()
