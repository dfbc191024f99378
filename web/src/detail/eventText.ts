// Words for the timeline: what each event type means and the few data fields worth reading.
import type { StoreEvent } from "../api/types";

const WHAT: Record<string, string> = {
  Requested: "Store requested",
  ProvisioningStarted: "Provisioning started",
  NamespaceReady: "Namespace ready",
  GuardrailsApplied: "Guardrails applied",
  CredentialsIssued: "Credentials issued",
  ReleaseInstalled: "Release installed",
  BecameReady: "Store is ready",
  AttemptFailed: "Attempt failed, will retry",
  ProvisioningFailed: "Provisioning failed",
  RetryRequested: "Retry requested",
  DeletionRequested: "Deletion requested",
  ProgressNoted: "Progress noted",
  ReleaseRecovered: "Stuck release recovered",
  ReleaseUninstalled: "Release uninstalled",
  Deleted: "Store deleted",
  DriftDetected: "Drift detected",
  CredentialsRevealed: "Admin credentials revealed",
};

export function eventTitle(type: string): string {
  // Unknown types still read as words: "SomethingHappened" → "Something happened".
  return WHAT[type] ?? type.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/^./, (c) => c.toUpperCase());
}

// Fields every event carries or that only repeat the store: not worth a line in the timeline.
const HIDDEN = new Set([
  "actor", "correlation_id", "correlationId", "originator_id", "originator_version", "timestamp",
  "name", "tenant", "namespace",
]);

function asRecord(data: unknown): Record<string, unknown> {
  if (typeof data === "string") {
    try {
      return asRecord(JSON.parse(data));
    } catch {
      return {};
    }
  }
  return typeof data === "object" && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
}

export function eventDetails(event: Pick<StoreEvent, "data">): [string, string][] {
  return Object.entries(asRecord(event.data))
    .filter(([key, value]) => !HIDDEN.has(key) && value !== null && value !== "")
    .map(([key, value]) => [key.replace(/_/g, " "), readable(value)]);
}

function readable(value: unknown): string {
  if (Array.isArray(value)) return value.map(readable).join(", ");
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}
