"""The on-call console: a static single-page app (``static/``) served by the API at
``/console/`` under a strict Content-Security-Policy (docs/console.md)."""

from api.console.serve import CONSOLE_PATH, mount_console

__all__ = ["CONSOLE_PATH", "mount_console"]
