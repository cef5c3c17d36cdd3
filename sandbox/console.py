"""What happened, on the server console: one line per fault fired, state change and webhook attempt.

uvicorn's access line says only `"GET /payviox/balance" 503`; these say why (`fault bal-down
fired`), what it changed (`payviox v0zk… open -> succeeded (pay_succeeded)`) and where webhooks
went (`webhook … attempt 1 -> http://…: 200`). Loggers are `sandbox.faults`, `sandbox.state` and
`sandbox.webhooks` (standard `logging`, so an embedding app routes them as it likes); nothing is
formatted unless INFO is enabled for them, so the request path pays one level check. Secrets are
masked as the request journal masks them (journal.mask): URLs' secret-looking query values.

`sandbox serve --log-format json` (SANDBOX_LOG_FORMAT) prints one JSON object per line instead,
with the line's fields (`fields`) for machines.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from sandbox.journal import is_secret, mask

FAULTS = logging.getLogger("sandbox.faults")
STATE = logging.getLogger("sandbox.state")
WEBHOOKS = logging.getLogger("sandbox.webhooks")
FORMATS = ("text", "json")


def log(logger: logging.Logger, message: str, **fields: Any) -> None:
    if logger.isEnabledFor(logging.INFO):
        logger.info(message, extra={"fields": fields})


def masked_url(url: str) -> str:
    """A webhook URL with its secret-looking query values masked (`?token=abc…` -> `?token=…1234`)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    segments = []
    for segment in parts.query.split("&"):
        key, equals, value = segment.partition("=")
        segments.append(f"{key}={mask(unquote(value))}" if equals and is_secret(unquote(key)) else segment)
    return urlunsplit(parts._replace(query="&".join(segments)))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        return json.dumps(line, default=str)


def configure(fmt: str, level: str) -> None:
    """The `sandbox` loggers to stderr (where uvicorn logs), as text or JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter("%(levelname)s:     %(message)s"))
    root = logging.getLogger("sandbox")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


def uvicorn_config() -> dict[str, Any]:
    """uvicorn's own lines (startup, access) as JSON too, so a `--log-format json` stream is all JSON."""
    formatter = {"()": f"{__name__}.JsonFormatter"}
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": formatter},
        "handlers": {"json": handler},
        "loggers": {name: {"handlers": ["json"], "propagate": False} for name in ("uvicorn", "uvicorn.access")},
    }
