"""A command that cannot go on says so in one line: what failed and what to do.

The full traceback goes to the log at DEBUG (shown with ``--debug`` or
``TANFANG_LOG_LEVEL=DEBUG``), never to a newcomer's screen, and no exception group
(``asyncio.TaskGroup`` wraps whatever its tasks raise) reaches the terminal.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import logging
import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, ParamSpec, TypeGuard, TypeVar

import typer
from pydantic import ValidationError
from typer.exceptions import TyperException

from store.errors import StoreError
from tanfang.settings import SettingsError

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

EXIT_FAILED: Final = 1
EXIT_BAD_SETTING: Final = 2  # as a missing setting or a usage error
EXIT_INTERRUPTED: Final = 130
# A one-line message is cut here: an exception's text can be long (a URL, a path list).
_MESSAGE_MAX: Final = 300
_DEBUG_HINT: Final = "run again with --debug for the details"


def one_line_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Wrap a typer command: an error ends it with one line on stderr and a non-zero exit.

    Typer's own exits and usage errors pass through untouched; Ctrl-C exits 130 quietly."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        # Typer's own: exits, aborts and usage errors (a bad --month) are typer's to print.
        except (typer.Exit, typer.Abort, TyperException):
            raise
        except SystemExit as exc:
            if exc.code in (None, 0):
                raise
            raise typer.Exit(exc.code if isinstance(exc.code, int) else EXIT_FAILED) from None
        except KeyboardInterrupt:
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except BaseException as exc:  # the last stop before the terminal
            cause = root_cause(exc)
            log.debug("the command failed", exc_info=exc)
            typer.echo(f"tanfang: {describe(cause)}", err=True)
            bad_setting = isinstance(cause, SettingsError | ValidationError) or _is_config(cause)
            raise typer.Exit(EXIT_BAD_SETTING if bad_setting else EXIT_FAILED) from None

    return run


class MissingExtraError(RuntimeError):
    """A command needs packages of an optional extra that this installation left out (the
    production image installs none: docs/deploy.md)."""


def needs_extra(
    what: str, extra: str, modules: tuple[str, ...]
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Wrap a command that needs the ``extra``'s ``modules``: without them it stops with one
    line saying what to install, before it starts anything (and an import of one of them
    that fails later says the same)."""

    def wrap(command: Callable[P, R]) -> Callable[P, R]:
        problem = (
            f"{what} needs the '{extra}' extra: pip install 'tanfang[{extra}]' (or make install)"
        )

        @functools.wraps(command)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            if any(importlib.util.find_spec(name) is None for name in modules):
                raise MissingExtraError(problem)
            try:
                return command(*args, **kwargs)
            except ModuleNotFoundError as exc:
                if (exc.name or "").split(".")[0] in modules:
                    raise MissingExtraError(problem) from exc
                raise

        return run

    return wrap


def root_cause(exc: BaseException) -> BaseException:
    """The error worth naming: the first leaf of an exception group that is not a mere
    cancellation (the others' tasks were cancelled because of it)."""
    if isinstance(exc, BaseExceptionGroup):
        leaves = [root_cause(inner) for inner in exc.exceptions]
        for leaf in leaves:
            if not isinstance(leaf, asyncio.CancelledError | KeyboardInterrupt):
                return leaf
        return leaves[0] if leaves else exc
    return exc


def describe(exc: BaseException) -> str:
    """One line naming what failed and what to do; no value that could be personal data."""
    if _is_psycopg_error(exc):
        # Class and SQLSTATE only: a psycopg message can quote row values.
        return (
            f"cannot use the database ({type(exc).__name__}, SQLSTATE {exc.sqlstate});"
            " check TANFANG_DATABASE_URL and that the server is up"
        )
    if isinstance(exc, ValidationError):
        return "bad setting: " + settings_problems(exc)
    hint = _hint(exc)
    if hint is not None:
        return f"{_first_line(exc)}; {hint}"
    if isinstance(exc, SettingsError | StoreError | MissingExtraError) or _is_config(exc):
        return _first_line(exc)
    if isinstance(exc, OSError):
        return f"{_first_line(exc)}; {_DEBUG_HINT}"
    return f"unexpected {type(exc).__name__} at {_where(exc)}; {_DEBUG_HINT}, and report it"


def _hint(exc: BaseException) -> str | None:
    """What to do about ``exc``, from the deepest error of its cause chain that we know.

    Known errors are matched by class name: the simulators and the gateway each have their
    own MQTT error, and the composition root should not import every room to name them."""
    chain: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in chain:
        chain.append(link)
        link = link.__cause__
    for error in reversed(chain):
        for klass in type(error).__mro__:
            if klass.__name__ in _KNOWN_BY_NAME:
                return _KNOWN_BY_NAME[klass.__name__]
    return None


_KNOWN_BY_NAME: Final = {
    "MqttError": "check TANFANG_MQTT_URL and that the broker is up",
    "RegisterError": "the API refused the simulated homes; this is a bug: please report it",
    "HomesFormatError": "check the file against docs/simulators.md (homes.json)",
    "ApiError": "check --api-url and --token (or TANFANG_API_URL, TANFANG_ADMIN_TOKEN)",
    "HomesStoppedError": _DEBUG_HINT,
}


def _is_psycopg_error(exc: BaseException) -> TypeGuard[psycopg.Error]:
    # An error of psycopg's is only possible once it was imported; not importing it here
    # keeps `tanfang --help` from paying for it.
    if "psycopg" not in sys.modules:
        return False
    from psycopg import Error

    return isinstance(exc, Error)


def _is_config(exc: BaseException) -> bool:
    """A missing setting as the gateway or the API report it (each room has its own
    ``ConfigError``, a ``ValueError``; matched by name for the reason ``_hint`` gives)."""
    return isinstance(exc, ValueError) and any(
        klass.__name__ == "ConfigError" for klass in type(exc).__mro__
    )


def settings_problems(exc: ValidationError) -> str:
    """``TANFANG_X: message`` for each refused setting, on one line (never the values:
    the settings are validated with ``hide_input_in_errors``)."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(p) for p in error["loc"])
        name = f"TANFANG_{where.upper()}: " if where else ""
        parts.append(name + error["msg"])
    return "; ".join(parts)[:_MESSAGE_MAX]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:_MESSAGE_MAX]


def _where(exc: BaseException) -> str:
    """The innermost frame of our own code that the error passed through."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "site-packages" not in f.filename] or frames
    if not ours:
        return "?"
    frame = ours[-1]
    return f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"
