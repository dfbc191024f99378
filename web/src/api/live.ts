// The one websocket of a signed-in session (graphql-transport-ws via graphql-ws): it tracks the
// connection for the indicator, reconnects on its own, and re-sends each subscription with fresh
// variables so a reconnect resumes after the last event seen. Fed by the API's subscriptions;
// feeds the list and detail views.
import { createClient, type Client } from "graphql-ws";
import { ApiError, fromGraphQLError, type GraphQLErrorLike } from "./errors";
import type { Variables } from "./http";

export type ConnectionState = "connecting" | "live" | "reconnecting" | "unauthorized";

export interface LiveSink<T> {
  next(data: T): void;
  error?(error: ApiError): void;
}

export interface Live {
  readonly state: ConnectionState;
  onState(listener: (state: ConnectionState) => void): () => void;
  /** Called each time the socket is acknowledged again after a drop: time to catch up. */
  onReconnect(listener: () => void): () => void;
  /** `variables` is called at every (re)subscribe, so it can say "after the last sequence seen". */
  subscribe<T>(query: string, variables: () => Variables, sink: LiveSink<T>): () => void;
  dispose(): void;
}

// Close codes after which retrying with the same token cannot help.
const AUTH_CLOSE_CODES = new Set([4401, 4403]);
const MAX_RETRY_WAIT_MS = 8000;

export function websocketUrl(location: Pick<Location, "protocol" | "host">, path = "/graphql"): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

function closeCode(value: unknown): number | null {
  if (typeof value === "object" && value !== null && "code" in value) {
    const code = (value as { code: unknown }).code;
    return typeof code === "number" ? code : null;
  }
  return null;
}

export function toApiError(value: unknown): ApiError {
  if (Array.isArray(value) && value.length > 0) return fromGraphQLError(value[0] as GraphQLErrorLike);
  const code = closeCode(value);
  if (code !== null && AUTH_CLOSE_CODES.has(code)) {
    return new ApiError("UNAUTHENTICATED", "The server closed the live connection: token refused.");
  }
  if (value instanceof Error) return new ApiError("NETWORK", value.message);
  return new ApiError("NETWORK", "The live connection closed.");
}

export interface LiveOptions {
  url: string;
  token: string;
  webSocketImpl?: unknown;
}

export function createLive({ url, token, webSocketImpl }: LiveOptions): Live {
  let state: ConnectionState = "connecting";
  let everConnected = false;
  const stateListeners = new Set<(state: ConnectionState) => void>();
  const reconnectListeners = new Set<() => void>();
  const setState = (next: ConnectionState): void => {
    if (state === next || state === "unauthorized") return;
    state = next;
    stateListeners.forEach((listener) => listener(next));
  };

  const client: Client = createClient({
    url,
    webSocketImpl,
    lazy: false,
    keepAlive: 10_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    connectionParams: { authorization: `Bearer ${token}` },
    shouldRetry: (event) => !AUTH_CLOSE_CODES.has(closeCode(event) ?? 0),
    retryWait: async (retries) => {
      const wait = Math.min(MAX_RETRY_WAIT_MS, 250 * 2 ** retries) * (0.75 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, wait));
    },
    onNonLazyError: (error) => {
      if (AUTH_CLOSE_CODES.has(closeCode(error) ?? 0)) setState("unauthorized");
    },
    on: {
      connecting: () => setState(everConnected ? "reconnecting" : "connecting"),
      connected: () => {
        const wasReconnect = everConnected;
        everConnected = true;
        setState("live");
        if (wasReconnect) reconnectListeners.forEach((listener) => listener());
      },
      closed: (event) => {
        if (AUTH_CLOSE_CODES.has(closeCode(event) ?? 0)) setState("unauthorized");
        else setState(everConnected ? "reconnecting" : "connecting");
      },
    },
  });

  return {
    get state() {
      return state;
    },
    onState(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    subscribe<T>(query: string, variables: () => Variables, sink: LiveSink<T>) {
      // graphql-ws serialises the payload at every (re)send, so a getter yields fresh variables.
      const payload = {
        query,
        get variables() {
          return variables();
        },
      };
      return client.subscribe<T>(payload, {
        next: (result) => {
          const first = result.errors?.[0];
          if (first) sink.error?.(fromGraphQLError(first));
          else if (result.data) sink.next(result.data as T);
        },
        error: (error) => sink.error?.(toApiError(error)),
        complete: () => undefined,
      });
    },
    dispose() {
      stateListeners.clear();
      reconnectListeners.clear();
      void client.dispose();
    },
  };
}
