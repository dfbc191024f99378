// The home view: the create form, the filters and one live page of stores with paging controls.
import { useState } from "react";
import type { Store, StoreFilters } from "../api/types";
import { storeHref } from "../app/route";
import { ErrorNotice } from "../ui/ErrorNotice";
import { CreateStoreForm } from "./CreateStoreForm";
import { FilterBar } from "./FilterBar";
import { StoreTable } from "./StoreTable";
import { useStoreList } from "./useStoreList";

export interface StoresPageProps {
  plans: string[];
  filters: StoreFilters;
  onFiltersChange(filters: StoreFilters): void;
}

export function StoresPage({ plans, filters, onFiltersChange }: StoresPageProps) {
  const list = useStoreList(filters);
  const [created, setCreated] = useState<Store | null>(null);

  function onCreated(store: Store) {
    list.upsert(store);
    setCreated(store);
  }

  return (
    <>
      <CreateStoreForm plans={plans} onCreated={onCreated} onAttempt={() => setCreated(null)} />
      {created && (
        <p className="notice" role="status">
          Requested <a href={storeHref(created.id)}>{created.name}</a>; it fills in below as it is provisioned.
        </p>
      )}
      <section className="card" aria-labelledby="stores-title">
        <div className="section-head">
          <h2 id="stores-title">Stores</h2>
          <p className="muted" aria-live="polite">
            {list.loading ? "" : list.totalCount !== null ? `${list.totalCount} matching` : `${list.stores.length} shown`}
          </p>
        </div>
        <FilterBar filters={filters} onChange={onFiltersChange} />
        <ErrorNotice error={list.error} />
        {list.stores.length > 0 ? (
          <StoreTable stores={list.stores} />
        ) : (
          !list.loading && <p className="empty">No stores match. Create one above.</p>
        )}
        {list.loading && <p className="muted" role="status">Loading…</p>}
        <nav className="pager" aria-label="Pages of stores">
          <button type="button" onClick={list.previousPage} disabled={list.pageNumber === 1}>
            Previous page
          </button>
          <span>Page {list.pageNumber}</span>
          <button type="button" onClick={list.nextPage} disabled={!list.pageInfo?.hasNextPage}>
            Next page
          </button>
        </nav>
      </section>
    </>
  );
}
