"""The cyclic garbage collector, set up for a process that holds thousands of live sockets.

Called by `graphql_api.server` once the app is built, before the first socket is accepted; it feeds
nothing but the interpreter's collector settings. The live path's tail is set by pauses of the event
loop, and a full collection is one: it walks every tracked object of the process, and the objects
built at start (schema, libraries, the app) never become garbage, so walking them again is wasted.

What it does (the approach Instagram described for long-lived Python servers):
- one `gc.collect()` first, so no garbage present at start is frozen forever;
- `gc.freeze()`: everything alive now moves to the permanent generation, which collections skip;
- a young-generation threshold of `YOUNG_THRESHOLD` allocations instead of 700, so the young
  collections the broadcaster's loop triggers are fewer (each still walks only young objects).

What it does not do: switch the collector off (cycles made by closed sockets must still be freed),
or freeze again later (a socket's objects frozen while it is open would leak once it closes).
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000


def tune_for_live_sockets(*, young_threshold: int = YOUNG_THRESHOLD) -> None:
    """Freezes what start-up built and raises the young generation's threshold; idempotent enough
    to call once per process (a second call freezes what the first left, which is also start-up)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, old)
