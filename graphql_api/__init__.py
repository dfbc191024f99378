"""The GraphQL API: how scripts, the dashboard and other services use storeplane.

Fed by HTTP and websocket requests; commands go to `domain.service.StoreService`, reads come from the
read model (`projections.queries.ReadModel`), and subscriptions are pushed from the read model's
NOTIFY channel through one broadcaster per process (`graphql_api.live`).
"""
