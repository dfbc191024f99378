// @vitest-environment node
// The live client against a real websocket server speaking graphql-transport-ws (a minimal one
// written here with `ws`): token in connection_init, reconnect, resubscribe with fresh variables.
import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { createLive, type ConnectionState, type Live } from "./live";

interface Received {
  init: unknown[];
  subscribes: { id: string; payload: { variables?: Record<string, unknown> } }[];
  sockets: WebSocket[];
}

function protocolServer(options: { refuse?: boolean } = {}): Promise<{ url: string; got: Received; close(): void }> {
  const got: Received = { init: [], subscribes: [], sockets: [] };
  const server = new WebSocketServer({ port: 0, host: "127.0.0.1", handleProtocols: () => "graphql-transport-ws" });
  server.on("connection", (socket) => {
    got.sockets.push(socket);
    socket.on("message", (raw) => {
      const message = JSON.parse(String(raw)) as { type: string; id?: string; payload?: unknown };
      if (message.type === "connection_init") {
        got.init.push(message.payload);
        if (options.refuse) socket.close(4403, "Forbidden");
        else socket.send(JSON.stringify({ type: "connection_ack" }));
      } else if (message.type === "subscribe") {
        got.subscribes.push({ id: message.id ?? "", payload: message.payload as Received["subscribes"][0]["payload"] });
      }
    });
  });
  return new Promise((resolve) =>
    server.on("listening", () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `ws://127.0.0.1:${port}/graphql`, got, close: () => server.close() });
    }),
  );
}

async function until(check: () => boolean, what: string): Promise<void> {
  // Bounded wait for an asynchronous effect; fails with a message instead of hanging.
  for (let i = 0; i < 400; i += 1) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`never happened: ${what}`);
}

let live: Live | null = null;
let stopServer: (() => void) | null = null;
afterEach(() => {
  live?.dispose();
  stopServer?.();
});

describe("createLive", () => {
  it("sends the bearer token in connection_init and reports the connection live", async () => {
    const server = await protocolServer();
    stopServer = server.close;
    const states: ConnectionState[] = [];
    live = createLive({ url: server.url, token: "sp_tok", webSocketImpl: WebSocket });
    live.onState((state) => states.push(state));
    await until(() => live?.state === "live", "connection acknowledged");
    expect(server.got.init).toEqual([{ authorization: "Bearer sp_tok" }]);
  });

  it.each([
    ["the connection is cut", (socket: WebSocket) => socket.terminate()],
    ["the server drops a slow reader (4008)", (socket: WebSocket) => socket.close(4008, "subscriber too slow")],
  ])("reconnects when %s and resubscribes after the last sequence seen", async (_, drop) => {
    const server = await protocolServer();
    stopServer = server.close;
    live = createLive({ url: server.url, token: "t", webSocketImpl: WebSocket });
    let lastSeen = 5;
    let reconnects = 0;
    const states: ConnectionState[] = [];
    live.onState((state) => states.push(state));
    live.onReconnect(() => (reconnects += 1));
    live.subscribe("subscription E { storeEvents { sequence } }", () => ({ after: lastSeen }), { next: () => {} });
    await until(() => server.got.subscribes.length === 1, "first subscribe");
    expect(server.got.subscribes[0]?.payload.variables).toEqual({ after: 5 });

    lastSeen = 42;
    drop(server.got.sockets[0] as WebSocket);
    await until(() => server.got.subscribes.length === 2, "subscribe again after the drop");
    expect(server.got.subscribes[1]?.payload.variables).toEqual({ after: 42 });
    expect(reconnects).toBe(1);
    expect(states).toContain("reconnecting");
    expect(live.state).toBe("live");
  });

  it("stops retrying and says unauthorized when the server refuses the token", async () => {
    const server = await protocolServer({ refuse: true });
    stopServer = server.close;
    live = createLive({ url: server.url, token: "bad", webSocketImpl: WebSocket });
    await until(() => live?.state === "unauthorized", "refusal seen");
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(server.got.init).toHaveLength(1);
  });
});
