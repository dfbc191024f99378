"""Every PostgreSQL advisory-lock key storeplane takes, in one registry so no two jobs collide.

Advisory locks are one global namespace per database: two modules that each pick "a number"
serialise each other by accident, or, copied by hand, drift apart and stop protecting anything
(the reconciler's schema and `setup_schema` shared 7461001 by a comment). Each key here has one job.
"""

from __future__ import annotations

from enum import IntEnum


class LockKey(IntEnum):
    SCHEMA = 7461001
    """Every component's DDL (`postgres.schema`): CREATE ... IF NOT EXISTS is not race-free between
    two processes starting at once ("tuple concurrently updated")."""

    TENANT_QUOTA = 7461005
    """Creates of one tenant (`graphql_api.quota`), taken as the pair (key, hashtext(tenant)), so
    two API processes cannot both let a tenant past its store quota."""

    PROJECTIONS_LEADER = 7461101
    """The one active projection runner among replicas (`storeplane.leadership`)."""

    AUDIT_CHAIN_LEADER = 7461102
    """The one active audit-chain follower among replicas (`storeplane.leadership`)."""
