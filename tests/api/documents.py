"""The GraphQL documents the tests send, written as a client of the public contract would."""

from __future__ import annotations

STORE_FIELDS = """
    id name engine plan status statusReason url namespace tenant version createdAt updatedAt
    steps { name done current }
"""

CREATE = f"""
mutation Create($input: CreateStoreInput!) {{
  createStore(input: $input) {{ correlationId store {{ {STORE_FIELDS} }} }}
}}"""

DELETE = f"mutation Delete($id: ID!) {{ deleteStore(id: $id) {{ store {{ {STORE_FIELDS} }} }} }}"
RETRY = f"mutation Retry($id: ID!) {{ retryStore(id: $id) {{ store {{ {STORE_FIELDS} }} }} }}"

STORE = f"""
query Store($id: ID!, $first: Int) {{
  store(id: $id) {{ {STORE_FIELDS} events(first: $first) {{ sequence version type actor data }} }}
}}"""

STORE_AT = f"""
query StoreAt($id: ID!, $version: Int, $at: DateTime) {{
  storeAt(id: $id, version: $version, at: $at) {{ {STORE_FIELDS} }}
}}"""

STORES = """
query Stores($first: Int, $after: String, $status: [StoreStatus!], $engine: StoreEngine) {
  stores(first: $first, after: $after, status: $status, engine: $engine) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name status engine } }
  }
}"""

ME = "{ me { tokenId tenant admin quota { used limit remaining } } }"
PLANS = "{ plans { name cpuLimit memoryLimit storage maxPods } }"
TENANTS = "{ tenants { name liveStores stores quota { used limit } } }"

STORE_UPDATED = f"""
subscription Updated($id: ID) {{ storeUpdated(id: $id) {{ {STORE_FIELDS} }} }}"""

STORE_EVENTS = """
subscription Events($storeId: ID, $after: Int) {
  storeEvents(storeId: $storeId, after: $after) {
    sequence storeId version type occurredAt actor correlationId data
  }
}"""


def create_input(
    name: str, engine: str = "WOOCOMMERCE", plan: str = "small", **more: object
) -> dict[str, object]:
    return {"input": {"name": name, "engine": engine, "plan": plan, **more}}
