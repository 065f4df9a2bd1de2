"""How a webhook delivery is signed, and ``verify`` for receivers.

Each delivery is one ``POST`` to the subscription's URL. The body is the feed entry's JSON,
exactly as stored in ``change_feed.entry`` (the bytes ``orjson.dumps`` gives for it: compact
UTF-8, keys in stored order). The headers are:

- ``Content-Type: application/json``
- ``X-Spatial-Platform-Event: division.change``
- ``X-Spatial-Platform-Delivery: <delivery id>`` (the same on every retry of one delivery)
- ``X-Spatial-Platform-Seq: <seq>`` (the entry's position in the change feed)
- ``X-Spatial-Platform-Timestamp: <unix seconds>`` (when this attempt was signed)
- ``X-Spatial-Platform-Signature: sha256=<hex>``: HMAC-SHA256 keyed with the subscription's
  secret (UTF-8) over ``f"{timestamp}.".encode() + body``.

A receiver recomputes the HMAC over the raw body it received, compares in constant time, and
refuses a timestamp more than a few minutes from its clock (a replay): ``verify`` does all three.
Any 2xx answer marks the delivery delivered; anything else (or no answer within the timeout) is
retried with exponential back-off, in seq order per subscriber, until 24 hours after the first
attempt, after which the delivery is marked ``failed`` and the next one is sent. Deliveries
are at least once: deduplicate on the delivery id (or the seq).
"""

from __future__ import annotations

import hashlib
import hmac
import time

EVENT = "division.change"
PREFIX = "sha256="
HEADER_EVENT = "X-Spatial-Platform-Event"
HEADER_DELIVERY = "X-Spatial-Platform-Delivery"
HEADER_SEQ = "X-Spatial-Platform-Seq"
HEADER_TIMESTAMP = "X-Spatial-Platform-Timestamp"
HEADER_SIGNATURE = "X-Spatial-Platform-Signature"


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """Return ``sha256=<hex HMAC-SHA256(secret, f"{timestamp}." + body)>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return PREFIX + mac.hexdigest()


def headers(secret: str, delivery_id: int, seq: int, body: bytes, timestamp: int) -> dict[str, str]:
    """Return every header of one delivery attempt, signed at ``timestamp`` (unix seconds)."""
    return {
        "Content-Type": "application/json",
        HEADER_EVENT: EVENT,
        HEADER_DELIVERY: str(delivery_id),
        HEADER_SEQ: str(seq),
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_SIGNATURE: signature(secret, timestamp, body),
    }


def verify(
    secret: str,
    timestamp: int | str | None,
    body: bytes,
    signature_header: str | None,
    tolerance: float = 300,
    now: float | None = None,
) -> bool:
    """Whether a delivery is authentic: the signature matches and the timestamp is recent.

    ``timestamp`` and ``signature_header`` are the values of the two headers as received;
    ``tolerance`` is how many seconds the timestamp may differ from ``now`` (default: the clock).
    """
    if not timestamp or not signature_header or not signature_header.startswith(PREFIX):
        return False
    text = str(timestamp).strip()
    try:
        sent = int(text)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - sent) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, text, body), signature_header.strip())
