"""The delivery worker against a real HTTP receiver on a loopback port (synthetic feed entries)."""

import asyncio
from datetime import timedelta

import asyncpg
import orjson
import pytest

from benchmarks.common import free_port
from boundaries.webhooks import queries, service, signing
from boundaries.webhooks.delivery import Backoff, DeliveryWorker
from tests.boundaries.webhooks.conftest import SECRET, append, attempt_rows, delivery_rows

pytestmark = pytest.mark.anyio


async def test_an_entry_is_delivered_signed_with_every_header(conn, receiver, subscribe, worker, clock):
    sub = await subscribe(receiver.url)
    seq = await append(conn, name="新名")
    assert await worker.run_once(conn) == 1
    [got] = receiver.requests
    stored = await conn.fetchval("SELECT entry::text FROM change_feed WHERE seq = $1", seq)
    assert got.method == "POST" and got.path == "/hooks/divisions"
    assert got.body == orjson.dumps(orjson.loads(stored)) and orjson.loads(got.body)["name"] == "新名"
    [delivery] = await delivery_rows(conn, sub["id"])
    h = got.headers
    assert h["content-type"] == "application/json"
    assert h["x-spatial-platform-event"] == "division.change"
    assert h["x-spatial-platform-delivery"] == str(delivery["id"])
    assert h["x-spatial-platform-seq"] == str(seq)
    assert h["x-spatial-platform-timestamp"] == str(int(clock.now.timestamp()))
    assert got.verified and h["x-spatial-platform-signature"].startswith("sha256=")
    ts, sig = h["x-spatial-platform-timestamp"], h["x-spatial-platform-signature"]
    assert not signing.verify("another-secret-16-chars", ts, got.body, sig)
    assert not signing.verify(SECRET, ts, got.body + b" ", sig)
    assert (delivery["state"], delivery["attempts"], delivery["last_status"]) == ("delivered", 1, 200)
    assert delivery["delivered_at"] == clock.now
    [attempt] = await attempt_rows(conn, delivery["id"])
    assert (attempt["attempt"], attempt["status"], attempt["error"]) == (1, 200, None)
    assert attempt["duration_ms"] >= 0
    assert await worker.run_once(conn) == 0  # nothing left


async def test_a_refusal_is_retried_after_backoff_and_both_attempts_are_logged(
    conn, receiver, subscribe, worker, clock
):
    receiver.statuses = [500]
    sub = await subscribe(receiver.url)
    await append(conn)
    first_at = clock.now
    assert await worker.run_once(conn) == 1
    [d] = await delivery_rows(conn, sub["id"])
    assert (d["state"], d["attempts"], d["last_status"]) == ("pending", 1, 500)
    assert d["last_error"].startswith("HTTP 500 Internal Server Error") and "bad day" in d["last_error"]
    assert d["next_attempt_at"] == first_at + timedelta(seconds=30)
    clock.advance(seconds=29)
    assert await worker.run_once(conn) == 0  # not due yet
    clock.advance(seconds=2)
    assert await worker.run_once(conn) == 1
    [d] = await delivery_rows(conn, sub["id"])
    assert (d["state"], d["attempts"], d["last_status"], d["last_error"]) == ("delivered", 2, 200, None)
    log = await attempt_rows(conn, d["id"])
    assert [(a["attempt"], a["status"]) for a in log] == [(1, 500), (2, 200)]
    assert log[0]["error"].startswith("HTTP 500") and log[1]["error"] is None
    assert log[1]["attempted_at"] - log[0]["attempted_at"] == timedelta(seconds=31)
    assert [r.status for r in receiver.requests] == [500, 200] and all(r.verified for r in receiver.requests)
    # every retry of a delivery carries the same delivery id, freshly signed
    assert len({r.headers["x-spatial-platform-delivery"] for r in receiver.requests}) == 1


async def test_the_backoff_doubles_from_30_seconds_to_an_hour_with_jitter():
    plain = Backoff(jitter=0)
    assert [plain.delay(n) for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    jittered = Backoff(jitter=0.1)
    assert jittered.delay(1, 0.0) == pytest.approx(27) and jittered.delay(1, 0.999) == pytest.approx(33, 0.01)
    assert jittered.delay(20, 0.999) == 3600


async def test_an_unreachable_receiver_is_logged_as_an_error_not_a_crash(conn, subscribe, worker, clock):
    sub = await subscribe(f"http://127.0.0.1:{free_port()}/nobody-listens")
    await append(conn)
    assert await worker.run_once(conn) == 1
    [d] = await delivery_rows(conn, sub["id"])
    [attempt] = await attempt_rows(conn, d["id"])
    assert attempt["status"] is None and "ConnectError" in attempt["error"]
    assert d["state"] == "pending" and d["last_status"] is None and d["last_error"] == attempt["error"]
    assert d["next_attempt_at"] == clock.now + timedelta(seconds=30)


async def test_a_receiver_that_does_not_answer_in_time_is_a_timeout(conn, receiver, subscribe, worker):
    receiver.delay = 3
    worker.timeout = 0.3
    sub = await subscribe(receiver.url)
    await append(conn)
    assert await worker.run_once(conn) == 1
    [d] = await delivery_rows(conn, sub["id"])
    assert d["state"] == "pending" and d["last_error"] == "no answer within 0.3 s"
    [attempt] = await attempt_rows(conn, d["id"])
    assert attempt["duration_ms"] < 2000


async def test_a_delivery_fails_for_good_only_24_hours_after_its_first_attempt(
    conn, subscribe, worker, clock
):
    sub = await subscribe(f"http://127.0.0.1:{free_port()}/")
    await append(conn)
    assert await worker.run_once(conn) == 1
    clock.advance(hours=23)
    assert await worker.run_once(conn) == 1
    [d] = await delivery_rows(conn, sub["id"])
    assert d["state"] == "pending" and d["attempts"] == 2
    assert d["next_attempt_at"] == clock.now + timedelta(seconds=60)
    clock.advance(hours=1, minutes=1)
    assert await worker.run_once(conn) == 1
    [d] = await delivery_rows(conn, sub["id"])
    assert (d["state"], d["attempts"]) == ("failed", 3)
    clock.advance(days=2)
    assert await worker.run_once(conn) == 0


async def test_the_give_up_period_is_configurable(conn, subscribe, worker, clock):
    worker.give_up_after = timedelta(minutes=10)
    sub = await subscribe(f"http://127.0.0.1:{free_port()}/")
    await append(conn)
    await worker.run_once(conn)
    clock.advance(minutes=11)
    assert await worker.run_once(conn) == 1
    assert (await delivery_rows(conn, sub["id"]))[0]["state"] == "failed"


async def test_each_subscriber_gets_its_entries_in_seq_order(conn, receiver, subscribe, worker, clock):
    receiver.statuses = [503]
    first = await subscribe(receiver.url)
    seqs = [await append(conn), await append(conn), await append(conn)]
    assert await worker.run_once(conn) == 1  # only the lowest pending seq; it is refused
    clock.advance(seconds=10)
    assert await worker.run_once(conn) == 0  # seq 2 waits while seq 1 is pending
    clock.advance(seconds=30)
    assert [await worker.run_once(conn) for _ in range(4)] == [1, 1, 1, 0]
    assert receiver.seqs == [seqs[0], *seqs]
    assert [d["state"] for d in await delivery_rows(conn, first["id"])] == ["delivered"] * 3
    delivered = [d["delivered_at"] for d in await delivery_rows(conn, first["id"])]
    assert delivered == sorted(delivered)


async def test_a_round_sends_one_entry_to_each_subscriber(conn, receiver, subscribe, worker):
    a = await subscribe(receiver.url + "?a")
    b = await subscribe(receiver.url + "?b")
    await append(conn)
    await append(conn)
    assert await worker.run_once(conn) == 2
    assert await worker.run_once(conn) == 2
    assert await worker.run_once(conn) == 0
    for sub in (a, b):
        assert [d["state"] for d in await delivery_rows(conn, sub["id"])] == ["delivered", "delivered"]
    by_path = {}
    for r in receiver.requests:
        by_path.setdefault(r.path, []).append(int(r.headers["x-spatial-platform-seq"]))
    assert all(s == sorted(s) and len(s) == 2 for s in by_path.values()) and len(by_path) == 2


async def test_a_claimed_delivery_is_not_claimed_again_while_it_is_being_sent(
    conn, receiver, subscribe, worker, clock
):
    await subscribe(receiver.url)
    await append(conn)
    leased = await queries.claim(conn, clock.now, clock.now + timedelta(seconds=40), 10)
    assert len(leased) == 1
    assert await worker.run_once(conn) == 0  # another worker holds the lease
    clock.advance(seconds=41)  # that worker died: the lease runs out and the delivery is sent
    assert await worker.run_once(conn) == 1 and len(receiver.requests) == 1


async def test_a_deactivated_subscription_gets_nothing(conn, receiver, subscribe, worker, admin):
    sub = await subscribe(receiver.url)
    await append(conn)
    out = await service.deactivate(conn, sub["id"], admin)
    assert not out["active"] and out["pending"] == 0 and out["failed"] == 1
    await append(conn)  # not even queued for it
    assert await worker.run_once(conn) == 0 and receiver.requests == []
    [d] = await delivery_rows(conn, sub["id"])
    assert d["state"] == "failed" and d["last_error"] == "subscription deactivated"


async def test_a_new_subscriber_starts_at_the_head_unless_it_asks_for_the_history(
    conn, receiver, subscribe, worker
):
    await append(conn)
    await append(conn)
    head = await conn.fetchval("SELECT max(seq) FROM change_feed")
    fresh = await subscribe(receiver.url)
    assert fresh["after_seq"] == head and fresh["pending"] == 0
    replay = await subscribe(receiver.url + "?replay", after_seq=head - 1)
    assert replay["after_seq"] == head - 1 and replay["pending"] == 1
    everything = await subscribe(receiver.url + "?all", after_seq=0)
    assert everything["pending"] == await conn.fetchval("SELECT count(*) FROM change_feed")
    seq = await append(conn)
    assert (await delivery_rows(conn, fresh["id"]))[0]["seq"] == seq


async def test_the_worker_reconnects_and_wakes_on_notifications(test_dsn, loaded, clock):
    failures = [OSError("database is down"), OSError("still down")]

    async def connect():
        if failures:
            raise failures.pop(0)
        return await asyncpg.connect(test_dsn)

    w = DeliveryWorker(connect, poll_interval=60, min_delay=0.05, max_delay=0.1, clock=clock)
    other = await asyncpg.connect(test_dsn)
    try:
        await w.start()
        await asyncio.wait_for(w.connected.wait(), 10)
        await _until(lambda: w.rounds >= 1)
        rounds = w.rounds
        await other.execute("SELECT pg_notify('change_feed', '12345')")  # no poll for 60 s: woken
        await _until(lambda: w.rounds > rounds)
        pid = w._conn.get_server_pid()
        await other.execute("SELECT pg_terminate_backend($1)", pid)
        await _until(lambda: w.reconnections == 1 and w.connected.is_set())
        rounds = w.rounds
        await other.execute("SELECT pg_notify('webhook_deliveries', '')")
        await _until(lambda: w.rounds > rounds)
        assert w._task is not None and not w._task.done()
    finally:
        await w.stop()
        await other.close()
    assert w._task is None and w._conn is None


async def _until(condition, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)
