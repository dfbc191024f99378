// The store page: live state and stepper, the owner's way in, actions, time travel and the live
// timeline.
import { useState } from "react";
import { LIST_HREF } from "../app/route";
import { ENGINE_LABELS } from "../stores/FilterBar";
import { ErrorNotice } from "../ui/ErrorNotice";
import { StatusBadge } from "../ui/StatusBadge";
import { formatWhen } from "../ui/time";
import { CredentialsPanel, StoreLinks } from "./OwnerAccess";
import { StoreActions } from "./StoreActions";
import { Stepper } from "./Stepper";
import { TimeTravel } from "./TimeTravel";
import { Timeline } from "./Timeline";
import { useStoreDetail } from "./useStoreDetail";

export function StoreDetail({ id }: { id: string }) {
  const { store, events, notFound, error, accept } = useStoreDetail(id);
  const [pickedVersion, setPickedVersion] = useState<number | null>(null);
  const [shownVersion, setShownVersion] = useState<number | null>(null);

  if (notFound) {
    return (
      <section className="card">
        <h1>Store not found</h1>
        <p>It does not exist, or it belongs to another tenant. <a href={LIST_HREF}>Back to stores</a></p>
      </section>
    );
  }
  if (!store) return error ? <ErrorNotice error={error} /> : <p role="status">Loading store…</p>;

  return (
    <>
      <p><a href={LIST_HREF}>← All stores</a></p>
      <section className="card" aria-labelledby="store-title">
        <div className="section-head">
          <h1 id="store-title">{store.name}</h1>
          <StatusBadge status={store.status} />
        </div>
        {store.statusReason && <p className="reason" data-testid="status-reason">{store.statusReason}</p>}
        <Stepper store={store} />
        <dl className="facts">
          <div><dt>Engine</dt><dd>{ENGINE_LABELS[store.engine] ?? store.engine}</dd></div>
          <div><dt>Plan</dt><dd>{store.plan}</dd></div>
          <div><dt>URL</dt><dd>{store.url ? <a href={store.url} target="_blank" rel="noreferrer noopener">{store.url}</a> : "not yet"}</dd></div>
          <div><dt>Namespace</dt><dd><code>{store.namespace}</code></dd></div>
          <div><dt>Tenant</dt><dd>{store.tenant}</dd></div>
          <div><dt>Version</dt><dd>{store.version}</dd></div>
          <div><dt>Created</dt><dd>{formatWhen(store.createdAt)}</dd></div>
          <div><dt>Updated</dt><dd>{formatWhen(store.updatedAt)}</dd></div>
        </dl>
        <StoreLinks store={store} />
        <StoreActions store={store} onChanged={accept} />
      </section>
      <CredentialsPanel store={store} />
      <TimeTravel store={store} pickedVersion={pickedVersion} onShown={setShownVersion} />
      <section className="card" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <Timeline events={events} asOfVersion={shownVersion} onPickVersion={setPickedVersion} />
      </section>
    </>
  );
}
