"""What every command shares: settings, database readiness, error printing, dates and progress."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, NoReturn

import psycopg
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column
from rich.text import Text
from sqlalchemy.exc import DBAPIError

from spatial_platform import db as database
from spatial_platform.embedded import EmbeddedCluster, EmbeddedDatabaseError, ensure_database
from spatial_platform.settings import DatabaseSettings

ProgressCallback = Callable[[str, int, int | None], None]
"""Called as progress(stage, done, total) by long work; total None when it is not known."""

AtOption = Annotated[str | None, typer.Option(help="Date YYYY, YYYY-MM or YYYY-MM-DD (default today).")]
EncodingOption = Annotated[
    str | None,
    typer.Option(help="Encoding of a CSV input: utf-8, gb18030 or gbk (default: UTF-8, else GB18030)."),
]

FIRST_DATE = date(1981, 1, 1)
"""The first day of the division history (areacodes starts in 1981)."""


def database_settings() -> DatabaseSettings:
    """Read the database settings from the environment."""
    return DatabaseSettings()


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn database set-up failures into a red one-line message and exit code 1."""
    try:
        yield
    except (EmbeddedDatabaseError, psycopg.OperationalError, DBAPIError) as exc:
        message = str(exc.orig if isinstance(exc, DBAPIError) else exc).strip()
        fail(message)


def fail(message: str) -> NoReturn:
    """Print a red message to stderr and exit with code 1."""
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def ensure_ready(settings: DatabaseSettings) -> str:
    """Start the embedded cluster if used, create the database, migrate it; return its DSN."""
    if settings.embedded:
        EmbeddedCluster(settings).start()
    else:
        ensure_database(settings.dsn("postgres"), settings.database_name)
    database.upgrade(settings.sqlalchemy_url())
    return settings.dsn()


def ready_dsn() -> str:
    """Prepare the database of the environment's settings (exit 1 on failure) and return its DSN."""
    with user_errors():
        return ensure_ready(database_settings())


def run_domain(work):
    """Connect (starting the embedded database if needed), run ``work(conn)``; print domain errors, exit 1.

    A domain error prints its field and message, then every problem (change drafts) or rejected
    row (imports) it lists.
    """
    import asyncio

    from boundaries import BoundariesError
    from placenames.errors import ImportRejected, PlacenamesError
    from spatial_platform.db import create_pool

    dsn = ready_dsn()

    async def main():
        pool = await create_pool(dsn, 1, 1)
        try:
            async with pool.acquire() as conn:
                return await work(conn)
        finally:
            await pool.close()

    try:
        return asyncio.run(main())
    except ImportRejected as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        for error in exc.body["errors"]:
            typer.echo(f"  row {error['row']}: {error['field']}: {error['reason']}", err=True)
        raise typer.Exit(1) from None
    except (PlacenamesError, BoundariesError) as exc:
        field = getattr(exc, "field", None)
        typer.secho(f"{field}: {exc}" if field else str(exc), fg=typer.colors.RED, err=True)
        for p in getattr(exc, "problems", None) or []:
            typer.echo(f"  {p['field']}: {p['reason']}", err=True)
        raise typer.Exit(1) from None


def parse_date(value: str | None, option: str = "--at", first: date = FIRST_DATE) -> date:
    """Parse YYYY (31 December), YYYY-MM (month end) or YYYY-MM-DD up to today (default today).

    The project's one date parser (``boundaries.CoveredPeriod``) does the work; a bad value is a
    usage error naming the option.
    """
    from boundaries import CoveredPeriod, InvalidInput

    try:
        return CoveredPeriod(first, date.today()).parse(value, option.lstrip("-"))
    except InvalidInput as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


class _Rate(ProgressColumn):
    """Items per second of the current stage."""

    def __init__(self, unit: str) -> None:
        super().__init__(table_column=Column(no_wrap=True))
        self.unit = unit

    def render(self, task: Task) -> Text:
        """Render the speed, or a dash before it is known."""
        speed = task.finished_speed or task.speed
        unit = f" {self.unit}" if self.unit else ""
        text = f"{_rate(speed) if speed else '-'}{unit}/s"
        return Text(text, style="progress.data.speed")


def _rate(speed: float) -> str:
    return f"{speed:,.0f}" if speed >= 100 else f"{speed:.1f}"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"


class _Bar:
    """One updating terminal line (rich): stage, bar, done/total, rate, elapsed and ETA."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.task: TaskID | None = None
        self.done = 0
        self.total: int | None = None

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if self.task is None or done < self.done or total != self.total:
            if self.task is not None:
                self.bar.remove_task(self.task)
            self.task = self.bar.add_task(stage, total=total, completed=done)
        else:
            self.bar.update(self.task, description=stage, completed=done)
        self.done, self.total = done, total


class _Lines:
    """Plain progress lines for logs and CI: each stage, then every 5 percent or 10 seconds.

    Work of unknown size (total None) gets a line per call; the rate counts from the last
    time ``done`` went back or ``total`` changed.
    """

    def __init__(self, unit: str) -> None:
        self.unit = unit
        self.started = self.counted_from = self.printed_at = time.monotonic()
        self.stage: str | None = None
        self.done = self.done_from = 0
        self.total: int | None = None
        self.printed_pct = -1

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if self.stage is None or done < self.done or total != self.total:
            self.counted_from, self.done_from = now, done
        new = stage != self.stage or done < self.done or total != self.total
        self.stage, self.done, self.total = stage, done, total
        pct = done * 100 // total if total else -1
        if (
            new
            or total is None
            or pct // 5 > self.printed_pct // 5
            or done == total
            or now - self.printed_at >= 10
        ):
            self.printed_at, self.printed_pct = now, pct
            typer.echo(f"  [{now - self.started:6.1f} s] {self._line(stage, done, total, now)}", err=True)

    def _line(self, stage: str, done: int, total: int | None, now: float) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if total is None and not done:
            return stage
        text = f"{stage} {done:,}{unit}" if total is None else f"{stage} {done:,}/{total:,}{unit}"
        if total:
            text += f" ({done * 100 // total}%)"
        elapsed, advanced = now - self.counted_from, done - self.done_from
        if advanced > 0 and elapsed > 0.5:
            speed = advanced / elapsed
            text += f", {_rate(speed)}{unit}/s"
            if total and done < total:
                text += f", ETA {_clock((total - done) / speed)}"
        return text


def _interactive() -> bool:
    """Whether stderr is a terminal (not a log, pipe or CI runner, even one that forces colour)."""
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


@contextmanager
def progress_display(unit: str = "") -> Iterator[ProgressCallback]:
    """Yield a ``progress(stage, done, total)`` callback showing how long work advances.

    On a terminal it is one updating line with the stage, a bar, done/total, rate, elapsed time
    and ETA (rich); otherwise (logs, CI, pipes) plain lines on stderr.
    """
    if not _interactive():
        yield _Lines(unit)
        return
    columns = [
        SpinnerColumn(),
        TextColumn("{task.description}", table_column=Column(no_wrap=True, overflow="ellipsis")),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(unit),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=Console(stderr=True)) as bar:
        yield _Bar(bar)
