"""Request and response shapes of the webhook subscription API (pydantic, shown in OpenAPI)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

DeliveryState = Literal["pending", "delivered", "failed"]


class SubscriptionIn(BaseModel):
    """A receiver to register: where to POST each change-feed entry and the secret to sign with."""

    url: str = Field(description="http(s) URL with a host; each feed entry is POSTed to it.")
    secret: str = Field(
        min_length=16, description="HMAC-SHA256 key (at least 16 characters); never shown again."
    )
    description: str | None = Field(None, description="What the receiver is, for admins.")
    after_seq: int | None = Field(
        None,
        ge=0,
        description="Deliver entries after this seq. Default: the current feed head (only new changes); "
        "0 replays the whole feed from the 1981 history on.",
    )


class Subscription(BaseModel):
    """A registered receiver (its secret is never returned) and how its deliveries stand."""

    id: int
    url: str
    description: str | None
    active: bool
    after_seq: int
    secret_set: bool = Field(description="Always true: the secret is stored but never returned.")
    created_by: str
    created_at: datetime
    pending: int
    delivered: int
    failed: int


class SubscriptionList(BaseModel):
    """Subscriptions, oldest first, one page of ``total``."""

    total: int
    offset: int
    count: int
    subscriptions: list[Subscription]


class Attempt(BaseModel):
    """One attempt to deliver: the receiver's status, or the error (timeout, refused connection)."""

    attempt: int
    attempted_at: datetime
    status: int | None
    error: str | None
    duration_ms: int | None


class Delivery(BaseModel):
    """One feed entry queued for one subscriber, with every attempt made so far."""

    id: int
    seq: int
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[Attempt]


class DeliveryLog(BaseModel):
    """A subscription's deliveries, newest seq first."""

    subscription_id: int
    count: int
    deliveries: list[Delivery]
