// How a live store update changes the page on screen: replace it in place, drop it when it no
// longer matches the filters (a deleted store disappears), or put a new one on top of page one.
// Pure, so the rules are unit-tested; used by stores/useStoreList.ts.
import type { Store, StoreFilters } from "../api/types";

export function matchesFilters(store: Store, filters: StoreFilters): boolean {
  if (filters.status !== null) {
    if (store.status !== filters.status) return false;
  } else if (store.status === "DELETED") {
    // With no status chosen the list shows stores that exist; deleted ones leave it.
    return false;
  }
  if (filters.engine !== null && store.engine !== filters.engine) return false;
  const search = filters.search.trim().toLowerCase();
  return search === "" || store.name.toLowerCase().includes(search);
}

export interface Merge {
  stores: Store[];
  /** How the total count of matching stores changed: -1, 0 or +1. */
  countDelta: number;
}

export function mergeLive(stores: Store[], incoming: Store, filters: StoreFilters, onFirstPage: boolean): Merge {
  const index = stores.findIndex((store) => store.id === incoming.id);
  const matches = matchesFilters(incoming, filters);
  if (index >= 0) {
    const current = stores[index] as Store;
    // Updates can overtake each other (HTTP answer vs socket push): keep the newest version.
    if (current.version > incoming.version) return { stores, countDelta: 0 };
    if (!matches) return { stores: stores.filter((_, i) => i !== index), countDelta: -1 };
    return { stores: stores.map((store, i) => (i === index ? incoming : store)), countDelta: 0 };
  }
  if (!matches || !onFirstPage || incoming.status !== "REQUESTED") return { stores, countDelta: 0 };
  // A store that was just requested is the newest, so it belongs at the top of the first page.
  return { stores: [incoming, ...stores], countDelta: 1 };
}
