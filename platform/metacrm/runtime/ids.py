"""Record ids: opaque text, ordered by creation time.

An id is 12 hex digits of milliseconds since the epoch, then 20 hex digits (80 bits) that start
at a random value and count up while the millisecond stays the same, so ids made later by this
process always sort later — also within one bulk create, where they follow the input order.
New rows land at the right edge of the primary-key index (good locality) and ``id`` is a useful
last sort key. Two processes start their counters at unrelated random points (odds of a clash
about 1 in 10^24 per millisecond). Nothing may rely on the layout: ids are opaque.
"""

from __future__ import annotations

import os
import threading
import time

ID_LENGTH = 32
_SPACE = 1 << 80
_lock = threading.Lock()
_last_ms = 0
_next = 0


def new_ids(count: int) -> list[str]:
    """``count`` new ids, increasing."""
    global _last_ms, _next
    now = time.time_ns() // 1_000_000
    with _lock:
        if now > _last_ms or _next + count > _SPACE:
            # a new millisecond (or, in theory, a used-up one): a fresh random start, with
            # room to count up through any bulk
            _last_ms = max(now, _last_ms + (now <= _last_ms))
            _next = int.from_bytes(os.urandom(10), "big") % (_SPACE >> 1)
        ms, start = _last_ms, _next
        _next += count
    prefix = f"{ms:012x}"
    return [f"{prefix}{start + i:020x}" for i in range(count)]


def new_id() -> str:
    return new_ids(1)[0]
