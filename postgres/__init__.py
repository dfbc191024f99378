"""Shared PostgreSQL plumbing, written once for every component (kopf's `_cogs` idea).

`follower` (LISTEN with reconnect, catch up by position), `errors` (which failures are the
database's and which are an event's), `locks` (every advisory-lock key), `schema` (runs every
component's DDL under one lock), `threads` (sync code off the loop), `quarantine` (events a handler
set aside). Components plug into it; it imports none of them, and `domain/` never imports it.
"""
