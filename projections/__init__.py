"""Projections: the read model of storeplane, built from the event store.

Fed by the events that `domain.service.StoreService` appends; they feed the API's queries and
subscriptions and the reconciler's work queue, through PostgreSQL tables and a NOTIFY per batch.
"""
