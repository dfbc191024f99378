// Typed operations on stores: each sends one document from api/documents.ts through the session's
// Api and returns the view types of api/types.ts. The views call these, never raw GraphQL.
import * as doc from "./documents";
import { ApiError } from "./errors";
import type { Live } from "./live";
import type { Variables } from "./http";
import {
  STORE_STATUSES,
  type Me,
  type NewStore,
  type Store,
  type StoreCredentials,
  type StoreEvent,
  type StoreFilters,
  type StorePage,
} from "./types";

export interface Api {
  request<T>(query: string, variables?: Variables): Promise<T>;
  live: Live;
}

interface Connection {
  totalCount?: number | null;
  edges: { cursor: string; node: Store }[];
  pageInfo: StorePage["pageInfo"];
}

export const PAGE_SIZE = 50;
/** With no status chosen the list shows every store that still exists. */
const EXISTING = STORE_STATUSES.filter((status) => status !== "DELETED");
/** The API's largest page (max_page_size); later events arrive through the subscription. */
export const TIMELINE_SIZE = 100;

export async function fetchStores(
  api: Api,
  filters: StoreFilters,
  after: string | null,
  first = PAGE_SIZE,
): Promise<StorePage> {
  const search = filters.search.trim();
  const data = await api.request<{ stores: Connection }>(doc.STORES_QUERY, {
    first,
    after,
    status: filters.status ? [filters.status] : EXISTING,
    engine: filters.engine,
    nameContains: search === "" ? null : search,
  });
  return {
    stores: data.stores.edges.map((edge) => edge.node),
    pageInfo: data.stores.pageInfo,
    totalCount: data.stores.totalCount ?? null,
  };
}

export interface StoreWithEvents {
  store: Store;
  events: StoreEvent[];
}

/** The store now and its first events; null when it does not exist or is another tenant's. */
export async function fetchStore(api: Api, id: string): Promise<StoreWithEvents | null> {
  try {
    const data = await api.request<{ store: Store & { events: StoreEvent[] } }>(doc.STORE_QUERY, {
      id,
      eventsFirst: TIMELINE_SIZE,
    });
    const { events, ...store } = data.store;
    return { store, events };
  } catch (error) {
    if (error instanceof ApiError && error.code === "NOT_FOUND") return null;
    throw error;
  }
}

export type PointInTime = { version: number } | { at: string };

export async function fetchStoreAt(api: Api, id: string, point: PointInTime): Promise<Store | null> {
  const variables = "version" in point ? { id, version: point.version } : { id, at: point.at };
  const data = await api.request<{ storeAt: Store | null }>(doc.STORE_AT_QUERY, variables);
  return data.storeAt;
}

export async function fetchMe(api: Api): Promise<{ me: Me; plans: string[] }> {
  const data = await api.request<{ me: Me; plans: { name: string }[] }>(doc.ME_QUERY);
  return { me: data.me, plans: data.plans.map((plan) => plan.name) };
}

export async function createStore(api: Api, input: NewStore): Promise<Store> {
  const data = await api.request<{ createStore: { store: Store } }>(doc.CREATE_STORE, { input });
  return data.createStore.store;
}

export async function deleteStore(api: Api, id: string): Promise<Store> {
  const data = await api.request<{ deleteStore: { store: Store } }>(doc.DELETE_STORE, { id });
  return data.deleteStore.store;
}

export async function retryStore(api: Api, id: string): Promise<Store> {
  const data = await api.request<{ retryStore: { store: Store } }>(doc.RETRY_STORE, { id });
  return data.retryStore.store;
}

/** A READY store's admin credentials; the server records the reveal in the store's timeline. */
export async function revealCredentials(api: Api, id: string): Promise<StoreCredentials> {
  const data = await api.request<{ revealStoreCredentials: StoreCredentials }>(doc.REVEAL_CREDENTIALS, { id });
  return data.revealStoreCredentials;
}

/** Every change of one store, or of all the caller's stores when `id` is null. */
export function watchStores(api: Api, id: string | null, onStore: (store: Store) => void): () => void {
  return api.live.subscribe<{ storeUpdated: Store }>(doc.STORE_UPDATED, () => ({ id }), {
    next: (data) => onStore(data.storeUpdated),
  });
}

/** A store's events after `lastSeen()`, then live; re-asked from the latest sequence on reconnect. */
export function watchEvents(
  api: Api,
  storeId: string,
  lastSeen: () => number,
  onEvent: (event: StoreEvent) => void,
): () => void {
  return api.live.subscribe<{ storeEvents: StoreEvent }>(
    doc.STORE_EVENTS,
    () => ({ storeId, after: lastSeen() }),
    { next: (data) => onEvent(data.storeEvents) },
  );
}
