"""The pure domain of storeplane: stores, their lifecycle, and the rules every command obeys.

Commands from the API, the CLI and the reconciler enter through `domain.service.StoreService` and
leave as events in the event store, which the projections read. No I/O library is imported here.
"""
