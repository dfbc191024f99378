// One page of stores as a table (cards on a phone): name linking to the detail, status badge,
// engine, plan, URL as a link, and age that ticks on its own.
import type { Store } from "../api/types";
import { storeHref } from "../app/route";
import { StatusBadge } from "../ui/StatusBadge";
import { ageOf, formatWhen, useNow } from "../ui/time";
import { ENGINE_LABELS } from "./FilterBar";

export function StoreTable({ stores }: { stores: Store[] }) {
  const now = useNow();
  return (
    <table className="stores">
      <caption className="visually-hidden">Stores</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Status</th>
          <th scope="col">Engine</th>
          <th scope="col">Plan</th>
          <th scope="col">URL</th>
          <th scope="col">Age</th>
        </tr>
      </thead>
      <tbody>
        {stores.map((store) => (
          <tr key={store.id} data-store-id={store.id} data-store-name={store.name}>
            <th scope="row" data-label="Name">
              <a href={storeHref(store.id)}>{store.name}</a>
            </th>
            <td data-label="Status">
              <StatusBadge status={store.status} />
            </td>
            <td data-label="Engine">{ENGINE_LABELS[store.engine] ?? store.engine}</td>
            <td data-label="Plan">{store.plan}</td>
            <td data-label="URL" className="url">
              {store.url ? (
                <a href={store.url} target="_blank" rel="noreferrer noopener">
                  {store.url.replace(/^https?:\/\//, "")}
                </a>
              ) : (
                <span className="muted">not yet</span>
              )}
            </td>
            <td data-label="Age">
              <time dateTime={store.createdAt} title={formatWhen(store.createdAt)}>
                {ageOf(store.createdAt, now)}
              </time>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
