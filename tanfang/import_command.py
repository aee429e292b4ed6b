"""``tanfang import homes.json``: load a homes.json's elders, devices and contacts into a
running Tanfang through its API (simulators.homes_import does the work)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer
from pydantic import ValidationError

from tanfang.failure import settings_problems
from tanfang.settings import get_settings

if TYPE_CHECKING:
    from simulators.homes_file import Homes
    from simulators.homes_import import ImportReport

# An API told to listen on every interface is reached on the loopback one from here.
_ANY_ADDRESS: Final = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}
EXIT_REFUSED: Final = 1
EXIT_API: Final = 1
EXIT_USAGE: Final = 2


def import_homes_command(
    homes_file: Annotated[Path, typer.Argument(help="Elders, devices and contacts (contract §4).")],
    api_url: Annotated[
        str | None,
        typer.Option(help="API base URL (default http://TANFANG_API_HOST:TANFANG_API_PORT)."),
    ] = None,
    token: Annotated[
        str | None, typer.Option(help="Admin token (default TANFANG_ADMIN_TOKEN).")
    ] = None,
) -> None:
    """Create or update the file's elders, devices and contacts through the API; running it
    twice changes nothing."""
    # Imported when run: httpx and rich would cost every `tanfang` start (--help included).
    from simulators.api_client import ApiError
    from simulators.homes_file import HomesFormatError, load_homes

    try:
        homes = load_homes(homes_file)
    except HomesFormatError as exc:
        typer.echo(f"tanfang import: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    url, key = _api_url_and_token(api_url, token)
    try:
        report = _run(homes, url, key)
    except ApiError as exc:
        # One line; running the import again once this is fixed resumes where it stopped.
        typer.echo(f"tanfang import: {exc}", err=True)
        raise typer.Exit(EXIT_API) from None
    typer.echo(report.summary())
    for refusal in report.refusals:
        typer.echo(str(refusal))
    if report.refused:
        raise typer.Exit(EXIT_REFUSED)


def _api_url_and_token(api_url: str | None, token: str | None) -> tuple[str, str]:
    if api_url is not None and token is not None:
        return api_url, token
    try:
        settings = get_settings()
    except ValidationError as exc:
        typer.echo(f"tanfang import: bad setting: {settings_problems(exc)}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    token = token or settings.admin_token
    if not token:
        typer.echo("tanfang import: no token: give --token or set TANFANG_ADMIN_TOKEN", err=True)
        raise typer.Exit(EXIT_USAGE)
    if api_url is None:
        host = _ANY_ADDRESS.get(settings.api_host, settings.api_host)
        api_url = f"http://{host}:{settings.api_port}"
    return api_url, token


def _run(homes: Homes, api_url: str, token: str) -> ImportReport:
    # On stderr, so that stdout holds the summary alone; and only on a terminal (rich would
    # still end with an empty line in CI logs and pipes).
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from simulators.api_client import ApiClient
    from simulators.homes_import import import_homes

    console = Console(stderr=True)
    progress = Progress(
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    with progress, ApiClient(api_url, token) as client:
        task = progress.add_task("import", total=homes.records)
        return import_homes(homes, client, on_done=lambda n: progress.advance(task, n))
