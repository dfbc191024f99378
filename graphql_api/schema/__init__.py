"""The GraphQL schema: types, queries, mutations and subscriptions in modules of their own, merged in
`root`. Resolvers translate between GraphQL and the services in `graphql_api.context`; no rules here.
"""
