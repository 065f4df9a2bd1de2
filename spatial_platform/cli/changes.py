"""``spatial-platform changes draft FILE | submit | approve | reject | list``: 区划变更 from files.

Staff load a year's changes at once: FILE holds one change document (the body of
``POST /v1/division-changes``), a list of them, or ``{"changes": [...]}``. Every command acts as a
named user of the register (``--user``) with that user's role, as the HTTP API does.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import orjson
import typer

from spatial_platform.cli.common import fail, run_domain

changes = typer.Typer(help="Division changes (区划变更): draft from files, submit, review, list.",
                      no_args_is_help=True)  # fmt: skip
UserOption = Annotated[str, typer.Option("--user", help="The register user acting (see `users add`).")]
Ids = Annotated[list[int], typer.Argument(help="Change ids (from `changes draft` or `changes list`).")]


def register(app: typer.Typer) -> None:
    """Attach ``changes`` to the main CLI."""
    app.add_typer(changes, name="changes")


_run = run_domain


async def _actor(conn, name: str, roles: tuple[str, ...]):
    from placenames import auth

    actor = await auth.find_user(conn, name)
    if actor is None:
        fail(f"--user: no user {name}; create it with `spatial-platform users add`")
    if actor.role not in roles:
        fail(f"--user: {name} is {actor.role}; this needs one of {', '.join(roles)}")
    return actor


def _documents(file: Path) -> list:
    try:
        doc = orjson.loads(file.read_bytes())
    except orjson.JSONDecodeError as exc:
        fail(f"{file}: not valid JSON: {exc}")
    if isinstance(doc, dict) and isinstance(doc.get("changes"), list):
        doc = doc["changes"]
    docs = doc if isinstance(doc, list) else [doc]
    if not docs or not all(isinstance(d, dict) for d in docs):
        fail(f"{file}: expected a change object, a list of them or {{'changes': [...]}}")
    return docs


def _line(c: dict) -> str:
    codes = ",".join(c["codes"])
    return (
        f"{c['id']}\t{c['state']}\t{c['kind']}\t{c['effective']}\t{codes}\t{c['change'].get('title') or ''}"
    )


@changes.command("draft")
def draft_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON: one change or a list")],
    user: UserOption,
) -> None:
    """Save every change of FILE as a draft, all or none; list each one's problems."""
    from boundaries.changes import service
    from boundaries.errors import ChangeProblems

    docs = _documents(file)

    async def work(conn):
        actor = await _actor(conn, user, service.DRAFTERS)
        out = []
        async with conn.transaction():
            for i, body in enumerate(docs):
                try:
                    out.append(await service.draft(conn, body, actor, date.today()))
                except ChangeProblems as exc:
                    raise ChangeProblems(f"change [{i}] of {file.name}: {exc}; nothing was saved",
                                         exc.problems) from None  # fmt: skip
        return out

    drafted = _run(work)
    for c in drafted:
        typer.echo(_line(c))
        for p in c["problems"]:
            typer.echo(f"  {p['field']}: {p['reason']}")
    bad = sum(1 for c in drafted if c["problems"])
    typer.echo(f"{len(drafted)} drafts saved, {bad} with problems (fix them before submitting)", err=True)


@changes.command("submit")
def submit_command(ids: Ids, user: UserOption) -> None:
    """Submit drafts for review (each is checked again; one with problems is refused and listed)."""
    from boundaries.changes import service

    async def work(conn):
        actor = await _actor(conn, user, service.DRAFTERS)
        return [await service.submit(conn, i, actor, date.today()) for i in ids]

    for c in _run(work):
        typer.echo(_line(c))


@changes.command("approve")
def approve_command(
    ids: Ids, user: UserOption, comment: Annotated[str | None, typer.Option(help="Review comment.")] = None
) -> None:
    """Approve and publish submitted changes in the order given (a reviewer who is not the author)."""
    from boundaries.changes import service
    from spatial_platform.app import sync_division_names

    async def work(conn):
        actor = await _actor(conn, user, service.REVIEWERS)
        return [
            await service.approve(conn, i, actor, date.today(), comment, sync_division_names) for i in ids
        ]

    for c in _run(work):
        typer.echo(f"{_line(c)}\tfeed seq {c['entry']['seq']}")


@changes.command("reject")
def reject_command(
    ids: Ids, user: UserOption, comment: Annotated[str, typer.Option(help="Why (required).")]
) -> None:
    """Reject submitted changes with a comment; nothing in the register changes."""
    from boundaries.changes import service

    async def work(conn):
        actor = await _actor(conn, user, service.REVIEWERS)
        return [await service.reject(conn, i, actor, comment) for i in ids]

    for c in _run(work):
        typer.echo(_line(c))


@changes.command("list")
def list_command(
    state: Annotated[str | None, typer.Option(help="draft, submitted, published or rejected")] = None,
    code: Annotated[str | None, typer.Option(help="Only changes touching this code")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 1000,
) -> None:
    """List recorded changes, oldest first: id, state, kind, effective date, codes, title."""
    from boundaries.changes import service

    rows = _run(lambda conn: service.listing(conn, state, code, limit))
    for c in rows:
        typer.echo(_line(c))
    typer.echo(f"{len(rows)} changes", err=True)
