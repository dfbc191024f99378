import { act, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { ApiContext } from "../api/context";
import type { StoreFilters } from "../api/types";
import { aStore, FakeApi, page } from "../test/fakeApi";
import { StoresPage } from "./StoresPage";

const ALL: StoreFilters = { status: null, engine: null, search: "" };

function renderPage(api: FakeApi, filters = ALL, onFiltersChange = (_: StoreFilters) => {}) {
  return render(
    <ApiContext.Provider value={api}>
      <StoresPage plans={["small"]} filters={filters} onFiltersChange={onFiltersChange} />
    </ApiContext.Provider>,
  );
}

const row = (name: string) => screen.getByRole("row", { name: new RegExp(`^${name}\\b`) });

describe("StoresPage", () => {
  it("lists stores with status, engine, plan, URL link and age", async () => {
    const ready = aStore({ id: "r", name: "ready-shop", status: "READY", engine: "MEDUSA", url: "http://ready-shop.acme.localtest.me" });
    const api = new FakeApi({ Stores: () => page([ready]) });
    renderPage(api);
    const cells = within(await screen.findByRole("row", { name: /ready-shop/ }));
    expect(cells.getByText("Ready")).toBeInTheDocument();
    expect(cells.getByText("MedusaJS")).toBeInTheDocument();
    expect(cells.getByText("small")).toBeInTheDocument();
    expect(cells.getByRole("link", { name: "ready-shop.acme.localtest.me" })).toHaveAttribute("href", ready.url);
    expect(cells.getByText("1m")).toBeInTheDocument();
  });

  it("updates a badge live and drops a store once it is deleted", async () => {
    const shop = aStore({ id: "s", name: "live-shop", status: "PROVISIONING", version: 3 });
    const api = new FakeApi({ Stores: () => page([shop]) });
    renderPage(api);
    await screen.findByText("Provisioning");
    act(() => api.live.pushStore({ ...shop, status: "READY", version: 8 }));
    expect(within(row("live-shop")).getByText("Ready")).toBeInTheDocument();
    act(() => api.live.pushStore({ ...shop, status: "DELETED", version: 12 }));
    expect(screen.queryByRole("row", { name: /live-shop/ })).not.toBeInTheDocument();
  });

  it("asks the server for one page at a time and follows the cursor", async () => {
    const first = Array.from({ length: 3 }, (_, i) => aStore({ id: `p1-${i}`, name: `shop-${i}` }));
    const second = [aStore({ id: "p2-0", name: "shop-older" })];
    const api = new FakeApi({ Stores: (v) => (v.after ? page(second) : page(first, true)) });
    renderPage(api);
    await screen.findByText("shop-0");
    await userEvent.click(screen.getByRole("button", { name: "Next page" }));
    await screen.findByText("shop-older");
    expect(api.calls.at(-1)?.variables).toMatchObject({ first: 50, after: "c-p1-2" });
    expect(screen.getByText("Page 2")).toBeInTheDocument();
  });

  it("sends the status, engine and name filters to the server", async () => {
    const api = new FakeApi({ Stores: () => page([]) });
    renderPage(api, { status: "FAILED", engine: "MEDUSA", search: "shop" });
    await screen.findByText(/No stores match/);
    expect(api.calls[0]?.variables).toMatchObject({ status: ["FAILED"], engine: "MEDUSA", nameContains: "shop" });
  });

  it("shows every existing store, not deleted ones, when no status is chosen", async () => {
    const api = new FakeApi({ Stores: () => page([]) });
    renderPage(api);
    await screen.findByText(/No stores match/);
    expect(api.calls[0]?.variables.status).toEqual(["REQUESTED", "PROVISIONING", "READY", "FAILED", "DELETING"]);
  });

  it("reads the page again after the socket reconnects", async () => {
    const api = new FakeApi({ Stores: () => page([]) });
    renderPage(api);
    await screen.findByText(/No stores match/);
    api.on("Stores", () => page([aStore({ name: "missed-while-away" })]));
    await act(async () => api.live.reconnect());
    expect(await screen.findByText("missed-while-away")).toBeInTheDocument();
  });
});
