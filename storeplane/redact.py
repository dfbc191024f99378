"""Connection URLs as they may be shown or logged: the password replaced, the rest kept.

Used wherever a URL reaches a person or a log (`storeplane up`'s banner, `db` commands' messages,
errors that quote a URL); the URL itself, with its password, goes only to the code that connects.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
_SECRET_PARAMS = frozenset({"password", "passfile", "sslpassword", "sslkey"})
# A URL inside free text (a log line, an error message): scheme://user:password@
_IN_TEXT = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^\s:/@]*:)(?P<password>[^\s@/]*)(?P<tail>@)", re.I)


def redact_url(url: str) -> str:
    """`url` with its password (and password-like query parameters) masked; other text as is."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    netloc = parts.netloc
    if parts.password is not None:
        userinfo, _, host = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, MASK if k.lower() in _SECRET_PARAMS else v) for k, v in pairs], safe="/*")
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def redact_text(text: str) -> str:
    """Every `scheme://user:password@` in free text with its password masked."""
    return _IN_TEXT.sub(lambda m: f"{m['head']}{MASK}{m['tail']}", text)
