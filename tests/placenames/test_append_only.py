"""History and audit are append-only, and records are never hard-deleted (enforced by triggers)."""

import asyncpg
import pytest

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE placename_versions SET name = 'x' WHERE record_id = 1",
        "DELETE FROM placename_versions WHERE record_id = 1",
        "TRUNCATE placename_versions CASCADE",
        "UPDATE placename_audit SET action = 'x'",
        "DELETE FROM placename_audit",
        "DELETE FROM placenames WHERE id = 1",
    ],
)
async def test_history_cannot_be_rewritten(conn, seeded, statement):
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await conn.execute(statement)
