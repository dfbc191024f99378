// Status and engine filters and a name search for the stores list; the search waits for a pause in
// typing so each keystroke does not cost a request.
import { useEffect, useState } from "react";
import { STORE_ENGINES, STORE_STATUSES, type StoreEngine, type StoreFilters, type StoreStatus } from "../api/types";
import { statusLabel } from "../ui/StatusBadge";

export const ENGINE_LABELS: Record<StoreEngine, string> = { WOOCOMMERCE: "WooCommerce", MEDUSA: "MedusaJS" };
const SEARCH_PAUSE_MS = 250;

export function FilterBar({ filters, onChange }: { filters: StoreFilters; onChange(filters: StoreFilters): void }) {
  const [search, setSearch] = useState(filters.search);

  useEffect(() => {
    if (search === filters.search) return;
    const timer = setTimeout(() => onChange({ ...filters, search }), SEARCH_PAUSE_MS);
    return () => clearTimeout(timer);
  }, [search, filters, onChange]);

  return (
    <form className="filters" role="search" aria-label="Filter stores" onSubmit={(event) => {
      event.preventDefault();
      onChange({ ...filters, search });
    }}>
      <div className="field">
        <label htmlFor="filter-search">Search by name</label>
        <input id="filter-search" type="search" value={search} onChange={(event) => setSearch(event.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="filter-status">Filter by status</label>
        <select
          id="filter-status"
          value={filters.status ?? ""}
          onChange={(event) => onChange({ ...filters, status: (event.target.value || null) as StoreStatus | null })}
        >
          <option value="">All existing</option>
          {STORE_STATUSES.map((status) => (
            <option key={status} value={status}>
              {statusLabel(status)}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="filter-engine">Filter by engine</label>
        <select
          id="filter-engine"
          value={filters.engine ?? ""}
          onChange={(event) => onChange({ ...filters, engine: (event.target.value || null) as StoreEngine | null })}
        >
          <option value="">All engines</option>
          {STORE_ENGINES.map((engine) => (
            <option key={engine} value={engine}>
              {ENGINE_LABELS[engine]}
            </option>
          ))}
        </select>
      </div>
    </form>
  );
}
