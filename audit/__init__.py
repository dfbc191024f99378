"""The audit: a tamper-evident record of every event, and the tools that read the history back.

`chain` follows the event store and links each event into a per-store and a global hash chain
(`hashing` says how); `signed_checkpoint` keeps the chain head outside the database. `verify` walks
the chains and names the first break; `history`, `export` and `records` print what happened, who
did it and when; `walk` and `stream` read the full history in bounded memory. Unlike a projection,
the chain is never rebuilt: recomputing it from the events would launder tampering.
"""
