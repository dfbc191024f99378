"""Turns stored event rows back into domain events, the way the application service wrote them.

Fed by rows of the events table (read with asyncpg); feeds the projection handlers and audits.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)


def _mapper() -> Mapper[UUID]:
    # The same transcodings eventsourcing's Application registers by default, so rows decode
    # exactly as the application service encoded them.
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


class EventDecoder:
    def __init__(self) -> None:
        self._mapper = _mapper()

    def decode(
        self, originator_id: UUID, originator_version: int, topic: str, state: bytes
    ) -> DomainEventProtocol[Any]:
        stored = StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=topic,
            state=bytes(state),
        )
        return self._mapper.to_domain_event(stored)
