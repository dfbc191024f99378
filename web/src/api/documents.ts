// Every GraphQL document the dashboard sends, in one place so the contract with graphql_api/
// (issue 4) is visible at a glance. Read by api/stores.ts.

export const STORE_FIELDS = `
  fragment StoreFields on Store {
    id name engine plan status statusReason url adminUrl storefrontUrl namespace tenant version createdAt updatedAt
    steps { name done current }
  }`;

export const EVENT_FIELDS = `
  fragment EventFields on StoreEvent {
    sequence version type occurredAt actor correlationId data
  }`;

export const STORES_QUERY = `
  query Stores($first: Int!, $after: String, $status: [StoreStatus!], $engine: StoreEngine, $nameContains: String) {
    stores(first: $first, after: $after, status: $status, engine: $engine, nameContains: $nameContains) {
      totalCount
      edges { cursor node { ...StoreFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
  ${STORE_FIELDS}`;

export const STORE_QUERY = `
  query Store($id: ID!, $eventsFirst: Int!) {
    store(id: $id) {
      ...StoreFields
      events(first: $eventsFirst) { ...EventFields }
    }
  }
  ${STORE_FIELDS}
  ${EVENT_FIELDS}`;

export const STORE_AT_QUERY = `
  query StoreAt($id: ID!, $version: Int, $at: DateTime) {
    storeAt(id: $id, version: $version, at: $at) { ...StoreFields }
  }
  ${STORE_FIELDS}`;

export const ME_QUERY = `
  query Me { me { tenant admin quota { used limit } } plans { name } }`;

export const CREATE_STORE = `
  mutation CreateStore($input: CreateStoreInput!) {
    createStore(input: $input) { store { ...StoreFields } }
  }
  ${STORE_FIELDS}`;

export const DELETE_STORE = `
  mutation DeleteStore($id: ID!) { deleteStore(id: $id) { store { ...StoreFields } } }
  ${STORE_FIELDS}`;

export const RETRY_STORE = `
  mutation RetryStore($id: ID!) { retryStore(id: $id) { store { ...StoreFields } } }
  ${STORE_FIELDS}`;

// The answer is a secret: asked for only when the owner clicks, never cached or subscribed to.
export const REVEAL_CREDENTIALS = `
  mutation RevealStoreCredentials($id: ID!) {
    revealStoreCredentials(id: $id) { adminUrl adminUsername adminPassword publishableKey }
  }`;

export const STORE_UPDATED = `
  subscription StoreUpdated($id: ID) { storeUpdated(id: $id) { ...StoreFields } }
  ${STORE_FIELDS}`;

export const STORE_EVENTS = `
  subscription StoreEvents($storeId: ID!, $after: Int) {
    storeEvents(storeId: $storeId, after: $after) { ...EventFields }
  }
  ${EVENT_FIELDS}`;
