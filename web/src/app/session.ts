// A signed-in session: the token checked against Query.me, an Api that sends it on every request
// and one live socket. Built by App on sign-in, torn down on sign-out.
import { ApiError } from "../api/errors";
import { graphqlRequest, type Variables } from "../api/http";
import { createLive, websocketUrl, type Live, type LiveSink } from "../api/live";
import { fetchMe, type Api } from "../api/stores";
import type { Me } from "../api/types";

export interface Session {
  token: string;
  api: Api;
  me: Me;
  plans: string[];
}

export interface SessionHooks {
  /** Called when the server stops accepting the token mid-session. */
  onUnauthenticated(): void;
  createLiveImpl?: (token: string) => Live;
}

function defaultLive(token: string): Live {
  return createLive({ url: websocketUrl(window.location), token });
}

export async function openSession(token: string, hooks: SessionHooks): Promise<Session> {
  const request: Api["request"] = async (query, variables) => {
    try {
      return await graphqlRequest(token, query, variables);
    } catch (error) {
      if (error instanceof ApiError && error.code === "UNAUTHENTICATED") hooks.onUnauthenticated();
      throw error;
    }
  };
  // The token is checked over HTTP first, so a wrong one never opens a socket.
  const probe: Api = { request: (query, variables) => graphqlRequest(token, query, variables), live: null as never };
  const { me, plans } = await fetchMe(probe);
  const live = (hooks.createLiveImpl ?? defaultLive)(token);
  live.onState((state) => {
    if (state === "unauthorized") hooks.onUnauthenticated();
  });
  // A subscription refused for the token (revoked mid-session) signs out like an HTTP refusal.
  const subscribe: Live["subscribe"] = <T,>(query: string, variables: () => Variables, sink: LiveSink<T>) =>
    live.subscribe<T>(query, variables, {
      next: (data) => sink.next(data),
      error: (error) => {
        if (error.code === "UNAUTHENTICATED") hooks.onUnauthenticated();
        sink.error?.(error);
      },
    });
  const guardedLive: Live = {
    get state() {
      return live.state;
    },
    onState: (listener) => live.onState(listener),
    onReconnect: (listener) => live.onReconnect(listener),
    subscribe,
    dispose: () => live.dispose(),
  };
  return { token, me, plans, api: { request, live: guardedLive } };
}
