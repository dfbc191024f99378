// Hands the signed-in session's Api (HTTP requests + the live socket) to every view; tests
// provide their own Api through the same context.
import { createContext, useContext, useEffect, useState } from "react";
import type { ConnectionState } from "./live";
import type { Api } from "./stores";

export const ApiContext = createContext<Api | null>(null);

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error("useApi needs an ApiContext provider (sign in first)");
  return api;
}

export function useConnectionState(): ConnectionState {
  const api = useApi();
  const [state, setState] = useState<ConnectionState>(api.live.state);
  useEffect(() => {
    setState(api.live.state);
    return api.live.onState(setState);
  }, [api]);
  return state;
}

/** Runs `refresh` whenever the live socket comes back, so views catch up with what they missed. */
export function useOnReconnect(refresh: () => void): void {
  const api = useApi();
  useEffect(() => api.live.onReconnect(refresh), [api, refresh]);
}
