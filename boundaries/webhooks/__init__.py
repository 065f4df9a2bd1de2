"""Webhooks for the change feed: admin-registered receivers, signed deliveries, retries.

``routes.SubscriptionRouter`` mounts ``/v1/subscriptions`` (admins only); ``delivery.DeliveryWorker``
sends the queued deliveries; ``signing`` documents the signature and gives receivers ``verify``.
"""
