// One store and its events, live: storeUpdated keeps the state current (the newest version wins,
// whatever order answers arrive in), storeEvents appends events after the last sequence seen, and
// a reconnect re-reads the state and resumes the events where they stopped. Feeds StoreDetail.
import { useCallback, useEffect, useRef, useState } from "react";
import { useApi, useOnReconnect } from "../api/context";
import { fetchStore, watchEvents, watchStores } from "../api/stores";
import type { Store, StoreEvent } from "../api/types";

export interface StoreDetailData {
  store: Store | null;
  events: StoreEvent[];
  notFound: boolean;
  error: unknown;
  /** Shows the answer of a mutation at once. */
  accept(store: Store): void;
}

/** Adds events not seen yet (by sequence), keeping the list in sequence order. */
export function addEvents(known: StoreEvent[], incoming: StoreEvent[]): StoreEvent[] {
  const seen = new Set(known.map((event) => event.sequence));
  const fresh = incoming.filter((event) => !seen.has(event.sequence));
  if (fresh.length === 0) return known;
  return [...known, ...fresh].sort((a, b) => a.sequence - b.sequence);
}

export function newest(current: Store | null, incoming: Store): Store {
  return current && current.version > incoming.version ? current : incoming;
}

export function useStoreDetail(id: string): StoreDetailData {
  const api = useApi();
  const [store, setStore] = useState<Store | null>(null);
  const [events, setEvents] = useState<StoreEvent[]>([]);
  const [notFound, setNotFound] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [loaded, setLoaded] = useState(false);
  const lastSequence = useRef(0);

  const accept = useCallback((incoming: Store) => setStore((current) => newest(current, incoming)), []);
  const acceptEvent = useCallback((event: StoreEvent) => {
    lastSequence.current = Math.max(lastSequence.current, event.sequence);
    setEvents((known) => addEvents(known, [event]));
  }, []);

  const load = useCallback(async () => {
    try {
      const found = await fetchStore(api, id);
      if (!found) return setNotFound(true);
      accept(found.store);
      found.events.forEach(acceptEvent);
      setError(null);
      setLoaded(true);
    } catch (failure) {
      setError(failure);
    }
  }, [api, id, accept, acceptEvent]);

  // Subscribed before the first read: an update between the read and the subscription is not lost.
  useEffect(() => watchStores(api, id, accept), [api, id, accept]);
  useEffect(() => {
    lastSequence.current = 0;
    setEvents([]);
    setStore(null);
    setLoaded(false);
    setNotFound(false);
    void load();
  }, [load]);
  // Events start after what the read returned; `lastSequence` is re-read at every (re)subscribe.
  useEffect(() => {
    if (!loaded) return;
    return watchEvents(api, id, () => lastSequence.current, acceptEvent);
  }, [api, id, loaded, acceptEvent]);
  useOnReconnect(useCallback(() => void load(), [load]));

  return { store, events, notFound, error, accept };
}
