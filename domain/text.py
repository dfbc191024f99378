"""Free text from outside (names, keys, search strings, correlation ids, header values, CLI
arguments): what may enter the event store. Pure functions, no I/O.

Why once, here: an event is immutable and every component reads every event, so a value one
component cannot handle (PostgreSQL's text refuses NUL; JSON refuses lone surrogates; a control
character breaks logs and the dashboard) must be refused before it is appended, the same way at
every door. Each check raises `InvalidInput` naming the field, so callers answer VALIDATION_FAILED.
"""

from __future__ import annotations

import re
import unicodedata

from domain.errors import InvalidInput

MAX_CORRELATION_ID = 64
# Printable ASCII without spaces: it is logged, echoed in headers and joins log lines by grep.
_CORRELATION_ID = re.compile(r"^[\x21-\x7e]+$")
# Control characters (NUL included) and surrogates; format characters such as zero-width joiners
# are legitimate in names of many scripts and stay allowed.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})


def check_text(field: str, value: str) -> str:
    """`value` unless it holds a control character, NUL or a lone surrogate."""
    for position, char in enumerate(value):
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise InvalidInput(
                field,
                f"{field} must not contain control characters or unpaired surrogates "
                f"(found U+{ord(char):04X} at position {position})",
            )
    return value


def check_optional_text(field: str, value: str | None) -> str | None:
    return None if value is None else check_text(field, value)


def check_correlation_id(field: str, value: str) -> str:
    """A client's correlation id: short, printable ASCII, no spaces."""
    check_text(field, value)
    if not 1 <= len(value) <= MAX_CORRELATION_ID or not _CORRELATION_ID.match(value):
        raise InvalidInput(
            field,
            f"{field} must be 1 to {MAX_CORRELATION_ID} printable ASCII characters without spaces",
        )
    return value
