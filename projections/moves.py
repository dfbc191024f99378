"""The read model moved: a signal from the projection runner to readers in the same process.

Fed by `ProjectionRunner` after each batch it committed; feeds the callbacks listening, today the
reconciler's dispatcher when `storeplane up` runs it beside the projection. The runner's NOTIFY on
`storeplane_read_model` stays what every process wakes on (and the only signal across processes);
this one only arrives sooner. A NOTIFY goes to the server and comes back on another connection,
and through the follower's wake-up, before the dispatcher's loop runs (6.4 ms median in the fourth
round's breakdown). Measured in the sixth round (bench/RESULTS.md): a few ms off the median
reaction; the tail is set elsewhere. Callbacks run inside the runner's task, so they only set flags.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator


class ReadModelMoves:
    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    @contextlib.contextmanager
    def listening(self, callback: Callable[[], None]) -> Iterator[None]:
        """Calls `callback` after every committed batch, for the duration of the block."""
        self._listeners.append(callback)
        try:
            yield
        finally:
            self._listeners.remove(callback)

    def moved(self) -> None:
        for callback in tuple(self._listeners):
            callback()
