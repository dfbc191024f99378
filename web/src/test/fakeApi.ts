// A stand-in for the API transport in component tests: answers requests by operation name and lets
// a test push subscription data and simulate a reconnect. The real server is covered by tests/e2e.
import type { ConnectionState, Live, LiveSink } from "../api/live";
import type { Variables } from "../api/http";
import type { Api } from "../api/stores";
import type { Store, StoreEvent } from "../api/types";

export type Handler = (variables: Variables) => unknown;

export interface SentSubscription {
  operation: string;
  variables: () => Variables;
  sink: LiveSink<unknown>;
  active: boolean;
}

function operationName(query: string): string {
  return /(?:query|mutation|subscription)\s+(\w+)/.exec(query)?.[1] ?? "anonymous";
}

export class FakeLive implements Live {
  state: ConnectionState = "live";
  subscriptions: SentSubscription[] = [];
  private stateListeners = new Set<(state: ConnectionState) => void>();
  private reconnectListeners = new Set<() => void>();

  onState(listener: (state: ConnectionState) => void) {
    this.stateListeners.add(listener);
    return () => void this.stateListeners.delete(listener);
  }
  onReconnect(listener: () => void) {
    this.reconnectListeners.add(listener);
    return () => void this.reconnectListeners.delete(listener);
  }
  subscribe<T>(query: string, variables: () => Variables, sink: LiveSink<T>) {
    const sent: SentSubscription = { operation: operationName(query), variables, sink: sink as LiveSink<unknown>, active: true };
    this.subscriptions.push(sent);
    return () => {
      sent.active = false;
    };
  }
  dispose() {}

  setState(state: ConnectionState) {
    this.state = state;
    this.stateListeners.forEach((listener) => listener(state));
  }
  reconnect() {
    this.setState("live");
    this.reconnectListeners.forEach((listener) => listener());
  }
  active(operation: string): SentSubscription[] {
    return this.subscriptions.filter((s) => s.active && s.operation === operation);
  }
  pushStore(store: Store) {
    this.active("StoreUpdated").forEach((s) => {
      const id = s.variables().id;
      if (id === null || id === store.id) s.sink.next({ storeUpdated: store });
    });
  }
  pushEvent(event: StoreEvent & { storeId: string }) {
    this.active("StoreEvents").forEach((s) => {
      if (s.variables().storeId === event.storeId) s.sink.next({ storeEvents: event });
    });
  }
}

export class FakeApi implements Api {
  live = new FakeLive();
  calls: { operation: string; variables: Variables }[] = [];
  constructor(private handlers: Record<string, Handler>) {}

  async request<T>(query: string, variables: Variables = {}): Promise<T> {
    const operation = operationName(query);
    this.calls.push({ operation, variables });
    const handler = this.handlers[operation];
    if (!handler) throw new Error(`FakeApi has no handler for ${operation}`);
    return (await handler(variables)) as T;
  }
  on(operation: string, handler: Handler) {
    this.handlers[operation] = handler;
  }
}

export function aStore(overrides: Partial<Store> = {}): Store {
  return {
    id: "11111111-1111-4111-8111-111111111111",
    name: "my-shop",
    engine: "WOOCOMMERCE",
    plan: "small",
    status: "REQUESTED",
    statusReason: "waiting for the reconciler",
    url: null,
    adminUrl: null,
    storefrontUrl: null,
    namespace: "store-1111111111111111",
    tenant: "acme",
    version: 1,
    createdAt: new Date(Date.now() - 90_000).toISOString(),
    updatedAt: new Date().toISOString(),
    steps: ["namespace", "guardrails", "credentials", "release", "ready"].map((name) => ({ name, done: false, current: false })),
    ...overrides,
  };
}

export function withSteps(store: Store, done: string[]): Store {
  return { ...store, steps: store.steps.map((step) => ({ ...step, done: done.includes(step.name) })) };
}

export function anEvent(overrides: Partial<StoreEvent> = {}): StoreEvent {
  return {
    sequence: 1,
    version: 1,
    type: "Requested",
    occurredAt: new Date().toISOString(),
    actor: "tenant:acme:tok1",
    correlationId: "corr-1",
    data: {},
    ...overrides,
  };
}

export function page(stores: Store[], hasNextPage = false) {
  return {
    stores: {
      totalCount: stores.length,
      edges: stores.map((node) => ({ cursor: `c-${node.id}`, node })),
      pageInfo: { hasNextPage, endCursor: stores.length ? `c-${stores[stores.length - 1]?.id}` : null },
    },
  };
}
