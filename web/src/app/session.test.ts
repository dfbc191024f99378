import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/errors";
import { FakeLive } from "../test/fakeApi";
import { openSession } from "./session";

function answer(body: unknown) {
  return vi.fn(async () => new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } }));
}

const ME = { data: { me: { tenant: "acme", admin: false, quota: { used: 1, limit: 10 } }, plans: [{ name: "small" }] } };

afterEach(() => vi.unstubAllGlobals());

describe("openSession", () => {
  it("checks the token over HTTP with a bearer header before opening the socket", async () => {
    const fetch = answer(ME);
    vi.stubGlobal("fetch", fetch);
    const createLiveImpl = vi.fn(() => new FakeLive());
    const session = await openSession("sp_tok", { onUnauthenticated: vi.fn(), createLiveImpl });
    expect(session.me.tenant).toBe("acme");
    expect(session.plans).toEqual(["small"]);
    const init = (fetch.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect((init.headers as Record<string, string>).Authorization).toBe("Bearer sp_tok");
    expect(createLiveImpl).toHaveBeenCalledWith("sp_tok");
  });

  it("opens no socket for a refused token", async () => {
    vi.stubGlobal("fetch", answer({ data: null, errors: [{ message: "unknown token", extensions: { code: "UNAUTHENTICATED" } }] }));
    const createLiveImpl = vi.fn(() => new FakeLive());
    await expect(openSession("bad", { onUnauthenticated: vi.fn(), createLiveImpl })).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    expect(createLiveImpl).not.toHaveBeenCalled();
  });

  it("signs out when a subscription is refused for the token mid-session", async () => {
    vi.stubGlobal("fetch", answer(ME));
    const live = new FakeLive();
    const onUnauthenticated = vi.fn();
    const session = await openSession("sp_tok", { onUnauthenticated, createLiveImpl: () => live });
    session.api.live.subscribe("subscription StoreUpdated { storeUpdated { id } }", () => ({}), { next: vi.fn() });
    live.subscriptions[0]?.sink.error?.(new ApiError("UNAUTHENTICATED", "the bearer token is unknown or revoked"));
    expect(onUnauthenticated).toHaveBeenCalledTimes(1);
  });
});
