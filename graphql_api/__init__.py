"""The GraphQL API: queries and mutations over HTTP, subscriptions over websockets.

Mutations call `domain.service.StoreService`; queries and subscriptions read the projections."""
