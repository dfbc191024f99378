// A store's status as a coloured badge whose text alone says it all (colour is only a hint).
import type { StoreStatus } from "../api/types";

const LABELS: Record<StoreStatus, string> = {
  REQUESTED: "Requested",
  PROVISIONING: "Provisioning",
  READY: "Ready",
  FAILED: "Failed",
  DELETING: "Deleting",
  DELETED: "Deleted",
};

export function statusLabel(status: StoreStatus): string {
  return LABELS[status] ?? status;
}

export function StatusBadge({ status }: { status: StoreStatus }) {
  return (
    <span className={`badge badge-${status.toLowerCase()}`} data-status={status}>
      {statusLabel(status)}
    </span>
  );
}
