// A signed-in session: the token checked against Query.me, an Api that sends it on every request
// and one live socket. Built by App on sign-in, torn down on sign-out.
import { ApiError } from "../api/errors";
import { graphqlRequest } from "../api/http";
import { createLive, websocketUrl, type Live } from "../api/live";
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
  return { token, me, plans, api: { request, live } };
}
