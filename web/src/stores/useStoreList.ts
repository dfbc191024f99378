// The stores list's data: one server page at a time (cursor pagination, server-side filters, so
// 1,000+ stores stay quick), kept current by the storeUpdated subscription and re-read after a
// reconnect. Feeds stores/StoreList.tsx.
import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import { useApi, useOnReconnect } from "../api/context";
import { fetchStores, watchStores } from "../api/stores";
import type { PageInfo, Store, StoreFilters, StorePage } from "../api/types";
import { mergeLive } from "./merge";

interface Rows {
  stores: Store[];
  totalCount: number | null;
}

type RowsAction =
  | { kind: "loaded"; page: StorePage }
  | { kind: "live"; store: Store; filters: StoreFilters; onFirstPage: boolean };

function rowsReducer(rows: Rows, action: RowsAction): Rows {
  if (action.kind === "loaded") return { stores: action.page.stores, totalCount: action.page.totalCount };
  const merged = mergeLive(rows.stores, action.store, action.filters, action.onFirstPage);
  if (merged.stores === rows.stores) return rows;
  const totalCount = rows.totalCount === null ? null : rows.totalCount + merged.countDelta;
  return { stores: merged.stores, totalCount };
}

export interface StoreList {
  stores: Store[];
  pageInfo: PageInfo | null;
  totalCount: number | null;
  pageNumber: number;
  loading: boolean;
  error: unknown;
  nextPage(): void;
  previousPage(): void;
  /** Shows a store the caller just created or changed without waiting for the socket. */
  upsert(store: Store): void;
}

export function useStoreList(filters: StoreFilters): StoreList {
  const api = useApi();
  // Page starts (cursors) belong to one set of filters; new filters start again at page one.
  const filterKey = `${filters.status}|${filters.engine}|${filters.search}`;
  const [paging, setPaging] = useState<{ key: string; starts: (string | null)[] }>({ key: filterKey, starts: [null] });
  const starts = paging.key === filterKey ? paging.starts : [null];
  const [rows, dispatch] = useReducer(rowsReducer, { stores: [], totalCount: null });
  const [pageInfo, setPageInfo] = useState<PageInfo | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [reloads, setReloads] = useState(0);
  const after = starts[starts.length - 1] ?? null;
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const onFirstPage = starts.length === 1;

  useEffect(() => {
    let current = true;
    setLoading(true);
    fetchStores(api, filtersRef.current, after).then(
      (page) => {
        if (!current) return;
        dispatch({ kind: "loaded", page });
        setPageInfo(page.pageInfo);
        setError(null);
        setLoading(false);
      },
      (failure: unknown) => {
        if (!current) return;
        setError(failure);
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
    // filtersRef carries the same values as filterKey, which is what the fetch depends on.
  }, [api, filterKey, after, reloads]);

  const upsert = useCallback(
    (store: Store) => dispatch({ kind: "live", store, filters: filtersRef.current, onFirstPage }),
    [onFirstPage],
  );

  useEffect(() => watchStores(api, null, upsert), [api, upsert]);
  useOnReconnect(useCallback(() => setReloads((n) => n + 1), []));

  return {
    stores: rows.stores,
    pageInfo,
    totalCount: rows.totalCount,
    pageNumber: starts.length,
    loading,
    error,
    upsert,
    nextPage: () => {
      const cursor = pageInfo?.hasNextPage ? pageInfo.endCursor : null;
      if (cursor) setPaging({ key: filterKey, starts: [...starts, cursor] });
    },
    previousPage: () => {
      if (starts.length > 1) setPaging({ key: filterKey, starts: starts.slice(0, -1) });
    },
  };
}
