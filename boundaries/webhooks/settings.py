"""Settings of the webhook delivery worker (environment prefix ``SP_WEBHOOK_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebhookSettings(BaseSettings):
    """How the delivery worker sends: timeout, polling, back-off and when it gives up."""

    model_config = SettingsConfigDict(env_prefix="SP_WEBHOOK_")

    enabled: bool = Field(True, description="Run the delivery worker in the web app")
    timeout: float = Field(10.0, gt=0, description="Seconds a receiver has to answer one POST")
    poll_interval: float = Field(5.0, gt=0, description="Seconds between rounds without a notification")
    backoff_base: float = Field(30.0, gt=0, description="Seconds before the first retry (then doubling)")
    backoff_max: float = Field(3600.0, gt=0, description="Longest wait between two attempts, in seconds")
    backoff_jitter: float = Field(0.1, ge=0, le=1, description="Random spread of each wait, as a fraction")
    give_up_hours: float = Field(24.0, gt=0, description="Hours after the first attempt to mark failed")
    batch: int = Field(100, ge=1, description="Deliveries claimed per round (one per subscriber)")
    concurrency: int = Field(16, ge=1, description="POSTs in flight at once")
