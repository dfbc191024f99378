// How long each provisioning step took, for the timeline: from the request (or retry) that began the
// latest attempt to each outcome, up to READY or the final failure. The same rules as the API's
// `Store.provisioningTimes` (domain/timings.py), applied here to the events the page already holds,
// so the times fill in live with each pushed event instead of costing a query per push.
import type { StoreEvent } from "../api/types";

const STARTS = new Set(["Requested", "RetryRequested"]);
const OUTCOMES = new Set([
  "ProvisioningStarted", "NamespaceReady", "GuardrailsApplied", "CredentialsIssued",
  "ReleaseInstalled", "ReleaseRecovered", "AttemptFailed", "BecameReady", "ProvisioningFailed",
]);
const ENDS = new Set(["BecameReady", "ProvisioningFailed"]);

export interface StepTime {
  /** Seconds since the previous step (or the request). */
  took: number;
  sinceStart: number;
}

/** The latest attempt's steps by event sequence; events outside it have none. */
export function stepTimes(events: StoreEvent[]): Map<number, StepTime> {
  const ordered = [...events].sort((a, b) => a.sequence - b.sequence);
  const times = new Map<number, StepTime>();
  let start = -1;
  ordered.forEach((event, index) => {
    if (STARTS.has(event.type)) start = index;
  });
  if (start < 0) return times;
  const startedAt = Date.parse(ordered[start]!.occurredAt);
  let previous = startedAt;
  for (const event of ordered.slice(start + 1)) {
    if (!OUTCOMES.has(event.type)) continue;
    const at = Date.parse(event.occurredAt);
    times.set(event.sequence, { took: (at - previous) / 1000, sinceStart: (at - startedAt) / 1000 });
    previous = at;
    if (ENDS.has(event.type)) break;
  }
  return times;
}

/** "850 ms", "4.2 s", "2 min 05 s". */
export function formatSeconds(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
}
