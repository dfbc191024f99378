"""Page sizes and opaque cursors for lists: bounded by the configured limit, validated on the way in.

Used by the query resolvers; a bad `first` or `after` is VALIDATION_FAILED naming that argument.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from uuid import UUID

from graphql_api.config import ApiConfig
from graphql_api.errors import invalid
from projections.queries import PageCursor
from projections.store_view import StoreRow


def page_size(first: int | None, config: ApiConfig) -> int:
    if first is None:
        return config.default_page_size
    if not 1 <= first <= config.max_page_size:
        raise invalid("first", f"first must be between 1 and {config.max_page_size}; got {first}")
    return first


def encode_cursor(row: StoreRow) -> str:
    raw = f"{row.created_at.isoformat()}|{row.id}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str | None) -> PageCursor | None:
    if cursor is None:
        return None
    try:
        created_at, _, store_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return PageCursor(created_at=datetime.fromisoformat(created_at), id=UUID(store_id))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid("after", "after is not a cursor this API returned") from None
