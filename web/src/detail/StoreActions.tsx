// Retry (failed stores) and delete (live stores), each behind a confirmation; errors such as a
// rate limit or a conflict are shown in plain words next to the buttons.
import { useState } from "react";
import { useApi } from "../api/context";
import { deleteStore, retryStore } from "../api/stores";
import type { Store } from "../api/types";
import { ConfirmDialog } from "../ui/ConfirmDialog";
import { ErrorNotice } from "../ui/ErrorNotice";

type Action = "delete" | "retry";
const DELETABLE = new Set(["REQUESTED", "PROVISIONING", "READY", "FAILED"]);

export function StoreActions({ store, onChanged }: { store: Store; onChanged(store: Store): void }) {
  const api = useApi();
  const [asking, setAsking] = useState<Action | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function run(action: Action) {
    setBusy(true);
    setError(null);
    try {
      onChanged(action === "delete" ? await deleteStore(api, store.id) : await retryStore(api, store.id));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
      setAsking(null);
    }
  }

  return (
    <div className="store-actions">
      {store.status === "FAILED" && (
        <button type="button" className="primary" onClick={() => setAsking("retry")}>
          Retry provisioning
        </button>
      )}
      {DELETABLE.has(store.status) && (
        <button type="button" className="danger" onClick={() => setAsking("delete")}>
          Delete store
        </button>
      )}
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      {asking === "delete" && (
        <ConfirmDialog title={`Delete ${store.name}?`} confirmLabel="Delete" destructive busy={busy}
          onConfirm={() => void run("delete")} onCancel={() => setAsking(null)}>
          <p>
            Its namespace, database and files are removed from the cluster. This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
      {asking === "retry" && (
        <ConfirmDialog title={`Retry ${store.name}?`} confirmLabel="Retry" busy={busy}
          onConfirm={() => void run("retry")} onCancel={() => setAsking(null)}>
          <p>Provisioning starts again from the first step.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
