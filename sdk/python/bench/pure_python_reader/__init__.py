"""The pure-Python ring reader mdbus shipped before the `mdbus` package: kept only as the
baseline of ``bench.py`` beside it. Use ``mdbus.Subscriber``.

Maps a ring file read-only and yields its records as dicts (always) or numpy structured arrays
(when numpy is installed), decoded from ``layout.json``: the record layout the Rust side prints
with ``mdbus layout``. The layout hash stored in the ring must equal the one computed from that
file, or the ring is refused. Overruns behave as in Rust: a reader the writer lapped learns the
exact number of records it lost and resumes at the oldest record still intact.

    from pure_python_reader import Ring, Overrun

    ring = Ring("/dev/shm/mdbus/binance-spot.trade.ring", start="oldest")
    while True:
        try:
            rec = ring.try_read()
        except Overrun as e:
            print("lost", e.lost)
            continue
        if rec is None:
            break
        print(rec["header"]["venue_seq"], rec["price"], rec["qty"])

Prices and quantities are integer mantissas; the instrument table beside the rings gives their
exponents. Enum fields (order status, marker code, ...) are their integer codes; fixed text
fields are ``str``; padding stays ``bytes``.
"""

import json
import mmap
import os
import re
import stat
import struct

__all__ = ["Ring", "Overrun", "LayoutMismatch", "BadRing", "LAYOUT", "LAYOUT_HASH", "layout_hash"]

_HERE = os.path.dirname(os.path.abspath(__file__))

with open(os.path.join(_HERE, "layout.json"), encoding="utf-8") as _f:
    LAYOUT = json.load(_f)

_MAGIC = int.from_bytes(b"MDBUSRNG", "little")
_INIT = int.from_bytes(b"RINGINIT", "little")
_FORMAT_VERSION = 1
_HEADER_BYTES = 4096
_W_MAGIC, _W_VERSION, _W_LAYOUT, _W_RECORD_SIZE, _W_CAPACITY, _W_KIND, _W_INIT = 0, 1, 2, 3, 4, 5, 7
_W_GENERATION, _W_HEAD = 17, 48
# The largest head or position a ring can hold (as the Rust side's MAX_SEQ).
MAX_SEQ = 1 << 62
_MAX_CAPACITY = 1 << 32

_FNV_PRIME = 0x100000001B3
_MASK = (1 << 64) - 1


def _file_kind(mode):
    for test, name in ((stat.S_ISDIR, "directory"), (stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"),
                       (stat.S_ISBLK, "block device"), (stat.S_ISCHR, "character device")):
        if test(mode):
            return name
    return "special file"


def _fnv(h, data):
    for b in data:
        h ^= b
        h = (h * _FNV_PRIME) & _MASK
    return h


def _fnv_u64(h, v):
    return _fnv(h, int(v).to_bytes(8, "little"))


def _hash_fields(h, name, fields):
    h = _fnv(h, name.encode())
    for f in fields:
        h = _fnv(h, f["name"].encode())
        h = _fnv_u64(h, f["offset"])
        h = _fnv_u64(h, f["size"])
    return h


def layout_hash(layout):
    """FNV-1a 64 over the schema version, the header and every family, as the Rust side."""
    h = _fnv_u64(0xCBF29CE484222325, layout["schema_version"])
    h = _hash_fields(h, "header", layout["header"])
    for fam in layout["families"]:
        h = _fnv_u64(h, fam["kind"])
        h = _hash_fields(h, fam["name"], fam["fields"])
    return h


LAYOUT_HASH = layout_hash(LAYOUT)
if LAYOUT_HASH != int(LAYOUT["layout_hash"]):
    raise ImportError("layout.json is inconsistent: its fields hash to %d, it says %s" % (LAYOUT_HASH, LAYOUT["layout_hash"]))


class BadRing(Exception):
    """The file is not a ring this reader can read (magic, version, size, kind)."""


class LayoutMismatch(BadRing):
    """The ring was written with another record layout than this reader's."""

    def __init__(self, ring_hash):
        super().__init__("layout hash %d in the ring, %d in this reader: regenerate layout.json with `mdbus layout`" % (ring_hash, LAYOUT_HASH))
        self.ring_hash = ring_hash


class NotARegularFile(BadRing):
    """The path is a FIFO, a directory, a device or a socket: it is not opened further, so
    nothing waits on it."""


class UnknownRecord(BadRing):
    """A record of a kind this reader's layout does not know."""

    def __init__(self, kind, seq):
        super().__init__("record %d has kind %d, which this reader's layout does not know" % (seq, kind))
        self.kind = kind
        self.seq = seq


class Overrun(Exception):
    """The writer lapped the reader: ``lost`` records are gone; the next read goes on."""

    def __init__(self, lost):
        super().__init__("overrun: %d records lost" % lost)
        self.lost = lost


_SCALARS = {"u8": "B", "i8": "b", "u16": "H", "i16": "h", "u32": "I", "i32": "i", "u64": "Q", "i64": "q",
            "Nanos": "Q", "Kind": "B", "VenueId": "H", "InstrumentId": "I"}
_TEXT = {"Asset", "OrderId", "Symbol"}
_UINT_BY_SIZE = {1: "B", 2: "H", 4: "I", 8: "Q"}
_ARRAY = re.compile(r"^\[(\w+);\s*\w+\]$")


def _field_reader(field):
    """(struct format, converter) of one field."""
    ty, size = field["type"], field["size"]
    if ty == "Header":
        return "%ds" % size, _compose(LAYOUT["header"])
    m = _ARRAY.match(ty)
    if m and m.group(1) == "Level":
        n = size // 16
        return "%ds" % size, lambda b, n=n: [struct.unpack_from("<qq", b, 16 * i) for i in range(n)]
    if m or ty in _TEXT:
        if ty in _TEXT:
            return "%ds" % size, lambda b: b.rstrip(b"\0").decode("utf-8", "replace")
        return "%ds" % size, bytes
    code = _SCALARS.get(ty) or _UINT_BY_SIZE.get(size)
    if code is None:
        return "%ds" % size, bytes
    return code, None


def _compose(fields):
    """A function turning a record's bytes into a dict of ``fields``."""
    parts = []
    for f in fields:
        fmt, conv = _field_reader(f)
        parts.append((f["name"], f["offset"], "<" + fmt, conv))

    def decode(b):
        out = {}
        for name, off, fmt, conv in parts:
            (v,) = struct.unpack_from(fmt, b, off)
            out[name] = conv(v) if conv else v
        return out

    return decode


_FAMILIES = {fam["kind"]: fam for fam in LAYOUT["families"]}
_DECODERS = {fam["kind"]: _compose(fam["fields"]) for fam in LAYOUT["families"]}


def _numpy_dtype(fields, size):
    import numpy as np

    names, formats, offsets = [], [], []
    for f in fields:
        ty, fsize = f["type"], f["size"]
        m = _ARRAY.match(ty)
        if ty == "Header":
            fmt = _numpy_dtype(LAYOUT["header"], fsize)
        elif m and m.group(1) == "Level":
            fmt = (_numpy_dtype(LAYOUT["level"], 16), (fsize // 16,))
        elif m or ty in _TEXT:
            fmt = "S%d" % fsize
        else:
            code = _SCALARS.get(ty) or _UINT_BY_SIZE.get(fsize)
            fmt = np.dtype("<" + code) if code else "V%d" % fsize
        names.append(f["name"])
        formats.append(fmt)
        offsets.append(f["offset"])
    return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": size})


class Ring:
    """One ring, mapped read-only. ``start``: ``"head"`` (what is published from now on),
    ``"oldest"`` (the oldest record still in the ring) or a sequence number."""

    def __init__(self, path, start="head"):
        self.path = str(path)
        # Never wait on open (a FIFO under a ring's name would block until a writer came).
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise NotARegularFile("%s is a %s, not a ring file" % (self.path, _file_kind(st.st_mode)))
            size = st.st_size
            if size < _HEADER_BYTES:
                raise BadRing("%s: truncated: %d bytes, %d expected" % (self.path, size, _HEADER_BYTES))
            self._mm = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        finally:
            os.close(fd)
        words = struct.unpack_from("<8Q", self._mm, 0)
        if words[_W_MAGIC] != _MAGIC:
            raise BadRing("%s: not a ring (bad magic)" % self.path)
        if words[_W_INIT] != _INIT:
            raise BadRing("%s: ring not initialised" % self.path)
        if words[_W_VERSION] != _FORMAT_VERSION:
            raise BadRing("%s: ring format %d, this reader knows %d" % (self.path, words[_W_VERSION], _FORMAT_VERSION))
        if words[_W_LAYOUT] != LAYOUT_HASH:
            raise LayoutMismatch(words[_W_LAYOUT])
        self.kind = words[_W_KIND]
        self.record_size = words[_W_RECORD_SIZE]
        self.capacity = words[_W_CAPACITY]
        fam = _FAMILIES.get(self.kind)
        if fam is None or fam["size"] != self.record_size:
            raise BadRing("%s: kind %d with %d-byte records is not in the layout" % (self.path, self.kind, self.record_size))
        if self.capacity < 2 or self.capacity > _MAX_CAPACITY or self.capacity & (self.capacity - 1):
            raise BadRing("%s: ring capacity %d is not a power of two between 2 and 2^32" % (self.path, self.capacity))
        expected = _HEADER_BYTES + self.capacity * self.record_size
        if size < expected:
            raise BadRing("%s: truncated: %d bytes, %d expected" % (self.path, size, expected))
        if self.head() > MAX_SEQ:
            raise BadRing("%s: ring head %d is out of range (at most %d)" % (self.path, self.head(), MAX_SEQ))
        self.family = fam["name"]
        self._decode = _DECODERS[self.kind]
        self.lost = 0
        self.markers = []
        head = self.head()
        if start == "head":
            self.next = head
        elif start == "oldest":
            self.next = max(0, head - self.capacity)
        else:
            self.next = int(start)
            if not 0 <= self.next <= MAX_SEQ:
                raise ValueError("start sequence %d is out of range (0 to %d)" % (self.next, MAX_SEQ))

    def head(self):
        """The sequence the next published record will get."""
        return struct.unpack_from("<Q", self._mm, 8 * _W_HEAD)[0]

    def generation(self):
        """The writer generation (grows when a writer restarts on the ring)."""
        return struct.unpack_from("<Q", self._mm, 8 * _W_GENERATION)[0]

    def lag(self):
        """Records published that this reader has not read yet."""
        return max(0, self.head() - self.next)

    def try_read_bytes(self):
        """The next record's bytes (its first word holds its sequence), ``None`` when there is
        nothing new. Raises :class:`Overrun` when the writer lapped this reader."""
        n = self.next
        base = _HEADER_BYTES + (n & (self.capacity - 1)) * self.record_size
        published = 2 * n + 2
        (before,) = struct.unpack_from("<Q", self._mm, base)
        if before == published:
            body = self._mm[base + 8: base + self.record_size]
            (after,) = struct.unpack_from("<Q", self._mm, base)
            if after == published:
                self.next = n + 1
                return n.to_bytes(8, "little") + body
        elif before < published:
            return None
        # A later lap holds the slot: resume at the oldest record that can still be intact.
        resume = max(min(self.head(), MAX_SEQ) - self.capacity, n + 1)
        lost = resume - n
        self.next = resume
        self.lost += lost
        raise Overrun(lost)

    def try_read(self):
        """The next record as a dict, ``None`` when there is nothing new. Raises
        :class:`Overrun` when the writer lapped this reader."""
        b = self.try_read_bytes()
        if b is None:
            return None
        # Markers travel in every ring: each record decodes by its own kind.
        dec = _DECODERS.get(b[8]) if b[8] != self.kind else self._decode
        if dec is None or _FAMILIES[b[8]]["size"] > len(b):
            raise UnknownRecord(b[8], int.from_bytes(b[:8], "little"))
        return dec(b)

    def read_array(self, max_records=65536):
        """Up to ``max_records`` available records of the ring's family as a numpy structured
        array (needs numpy), and how many records were lost to overruns on the way. Records of
        other kinds (markers: gaps, resyncs, reconnects) go to ``self.markers`` as dicts."""
        import numpy as np

        out, lost = [], 0
        while len(out) < max_records:
            try:
                b = self.try_read_bytes()
            except Overrun as e:
                lost += e.lost
                continue
            if b is None:
                break
            if b[8] == self.kind:
                out.append(b)
            elif b[8] in _DECODERS:
                self.markers.append(_DECODERS[b[8]](b))
        dtype = _numpy_dtype(_FAMILIES[self.kind]["fields"], self.record_size)
        return np.frombuffer(b"".join(out), dtype=dtype), lost

    def close(self):
        self._mm.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
