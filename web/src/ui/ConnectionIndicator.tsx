// The live socket's state in the header, announced politely to screen readers when it changes.
import type { ConnectionState } from "../api/live";

const TEXT: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  unauthorized: "Disconnected",
};

export function ConnectionIndicator({ state }: { state: ConnectionState }) {
  return (
    <p className={`connection connection-${state}`} role="status" aria-live="polite" data-connection={state}>
      <span className="dot" aria-hidden="true" />
      <span className="visually-hidden">Connection: </span>
      {TEXT[state]}
    </p>
  );
}
