"""The one scrubbing point: every error, log line, Dagster failure and alert passes through here.

Two layers, because neither alone is enough:

- the secret values the settings hold (API keys, the webhook URL and its path, passwords in
  database URLs) are remembered when settings are resolved and replaced wherever they appear;
- patterns catch secrets this process never saw as settings: key-like query parameters
  (``app_id=``, ``apikey=``, ``?password=`` …), passwords in URLs (``user:pw@host``),
  ``Authorization`` / API-key headers and Slack webhook paths.

:func:`install` routes every log record of the process through :func:`scrub`;
:func:`scrubbed_errors` turns any exception of a Dagster step into a one-line error without a
(secret-bearing) cause.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO
from urllib.parse import parse_qsl, urlsplit

MASK = "****"
MIN_SECRET_LENGTH = 6  # shorter values would mask ordinary words (patterns still apply)

KEY_PARAMS = (
    "app_id|apikey|api_key|api-key|key|access_key|access_token|token|auth|password|passwd|pwd"
    "|secret|client_secret|signature|sig"
)
KEY_PARAM = re.compile(rf"(?i)(?:{KEY_PARAMS})")
PATTERNS = (
    # ?app_id=…, &password=…, also as "app_id: …" in dumped dicts of query parameters
    (re.compile(rf"(?i)([?&;](?:{KEY_PARAMS})=)[^&#\s'\"]+"), rf"\g<1>{MASK}"),
    (re.compile(rf"(?i)(['\"](?:{KEY_PARAMS})['\"]\s*:\s*['\"])[^'\"]+"), rf"\g<1>{MASK}"),
    # scheme://user:password@host
    (re.compile(r"(?i)([a-z][a-z0-9+.-]*://[^/\s:@'\"]*:)[^@/\s'\"]+@"), rf"\g<1>{MASK}@"),
    # Authorization: Token …, X-API-Key: … (header lines and dumped header dicts)
    (
        re.compile(
            r"(?i)((?:authorization|x-api-key|api-key|x-auth-token)['\"]?\s*[:=]\s*['\"]?"
            r"(?:(?:bearer|token|basic)\s+)?)[^\s'\",}]+"
        ),
        rf"\g<1>{MASK}",
    ),
    # Slack incoming webhooks: the path is the secret
    (re.compile(r"(https?://hooks\.slack(?:-gov)?\.com/)[^\s'\"]+"), rf"\g<1>{MASK}"),
)

_known: set[str] = set()


def remember(values: Iterable[str]) -> None:
    """Remember secret values so scrub() masks them wherever they appear."""
    _known.update(value for value in values if len(value) >= MIN_SECRET_LENGTH)


def secret_parts_of_url(url: str, *, whole: bool = False) -> list[str]:
    """A URL's secret parts: its password and key-like query values; ``whole``: itself and its
    path too (a webhook URL is a secret as a whole)."""
    split = urlsplit(url)
    if not (split.scheme and split.netloc):
        return [url] if whole and url else []
    parts = [url, split.path, split.query] if whole else []
    if split.password:
        parts.append(split.password)
    parts += [value for name, value in parse_qsl(split.query) if KEY_PARAM.fullmatch(name)]
    return [part for part in parts if part and part != "/"]


def scrub(text: str) -> str:
    """The text with every known secret value and every secret-looking pattern masked."""
    # Longest first: a URL before the path it contains.
    for secret in sorted(_known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def one_line(exc: BaseException) -> str:
    """An exception as one scrubbed line: its first line, with the type when it says more."""
    from velo.errors import VeloError, explain_fault

    explained = explain_fault(exc)
    if explained:
        return scrub(explained)
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    if isinstance(exc, VeloError):
        return scrub(first)
    return scrub(f"{type(exc).__name__}: {first}" if first else type(exc).__name__)


@contextmanager
def scrubbed_errors(
    what: str = "", passthrough: tuple[type[BaseException], ...] = ()
) -> Iterator[None]:
    """Re-raise any exception as a one-line VeloError without its cause (which may carry a key).

    For Dagster steps: their failure (message, cause chain) is stored in the event log and
    shown in the UI, the run log and alerts.
    """
    from velo.errors import VeloError

    try:
        yield
    except passthrough:
        raise
    except VeloError as exc:
        exc.args = (scrub(str(exc)),)
        raise exc from None  # a cause or context (the failing request, say) is not kept
    except Exception as exc:
        prefix = f"{what}: " if what else ""
        raise VeloError(prefix + one_line(exc)) from None


class ScrubbingRecords(logging.Filter):
    """Scrubs a record's message and formatted exception (a handler filter sees every record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub_record(record)
        return True


def scrub_record(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # a malformed log call: keep its parts as text
        message = f"{record.msg} {record.args}"
    record.msg, record.args = scrub(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = scrub("".join(traceback.format_exception(*record.exc_info)).rstrip())
    elif record.exc_text:
        record.exc_text = scrub(record.exc_text)
    return record


_installed = False


def install() -> None:
    """Every log record this process creates is scrubbed at creation (once per process)."""
    global _installed
    if _installed:
        return
    make_record = logging.getLogRecordFactory()

    def scrubbed_record(*args: object, **kwargs: object) -> logging.LogRecord:
        return scrub_record(make_record(*args, **kwargs))

    logging.setLogRecordFactory(scrubbed_record)
    _installed = True


class ScrubbingWriter:
    """A text stream that scrubs whole lines before writing them (for redirected output)."""

    def __init__(self, target: TextIO) -> None:
        self.target = target
        self.pending = ""

    def write(self, text: str) -> int:
        self.pending += text
        if "\n" in self.pending:
            lines, _, self.pending = self.pending.rpartition("\n")
            self.target.write(scrub(lines + "\n"))
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.target.write(scrub(self.pending))
            self.pending = ""
        self.target.flush()

    def close(self) -> None:
        self.flush()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.target.fileno()
