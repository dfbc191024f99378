import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { ApiContext } from "../api/context";
import { ApiError } from "../api/errors";
import { aStore, anEvent, FakeApi, withSteps } from "../test/fakeApi";
import { StoreDetail } from "./StoreDetail";

const store = aStore({ id: "s1", name: "detail-shop", status: "PROVISIONING", version: 3 });
const requested = anEvent({ sequence: 10, version: 1, type: "Requested", actor: "tenant:acme:tok", correlationId: "corr-create" });
const started = anEvent({ sequence: 14, version: 2, type: "ProvisioningStarted", actor: "system:reconciler", correlationId: "corr-create" });

function renderDetail(api: FakeApi) {
  render(
    <ApiContext.Provider value={api}>
      <StoreDetail id="s1" />
    </ApiContext.Provider>,
  );
}

function detailApi() {
  return new FakeApi({ Store: () => ({ store: { ...withSteps(store, []), events: [requested, started] } }) });
}

describe("StoreDetail", () => {
  it("shows who did what, when, with the correlation id", async () => {
    renderDetail(detailApi());
    const timeline = await screen.findByRole("list", { name: /Timeline/ });
    const items = within(timeline).getAllByRole("listitem");
    expect(items[0]).toHaveTextContent("Provisioning started");
    expect(items[0]).toHaveTextContent("system:reconciler");
    expect(items[0]).toHaveTextContent("since the request");
    expect(items[1]).toHaveTextContent("Store requested");
    expect(items[1]).not.toHaveTextContent("Took");
    expect(within(items[1] as HTMLElement).getByText("corr-create")).toBeInTheDocument();
    expect(items[1]?.querySelector("time")).toHaveAttribute("dateTime", requested.occurredAt);
  });

  it("fills the stepper and the timeline in as the store changes", async () => {
    const api = detailApi();
    renderDetail(api);
    await screen.findByText("detail-shop");
    act(() => {
      api.live.pushEvent({ ...anEvent({ sequence: 15, version: 3, type: "NamespaceReady" }), storeId: "s1" });
      api.live.pushStore(withSteps({ ...store, version: 4 }, ["namespace"]));
    });
    expect(screen.getByText("Namespace ready")).toBeInTheDocument();
    const stepper = screen.getByRole("list", { name: /Provisioning steps: 1 of 5 done/ });
    expect(within(stepper).getAllByRole("listitem")[1]).toHaveAttribute("aria-current", "step");
  });

  it("resumes the events after the last sequence seen when the socket comes back", async () => {
    const api = detailApi();
    renderDetail(api);
    await screen.findByText("detail-shop");
    const events = () => api.live.active("StoreEvents")[0];
    // The events subscription opens once the history has loaded, which may come after the name.
    await waitFor(() => expect(events()?.variables()).toEqual({ storeId: "s1", after: 14 }));
    act(() => api.live.pushEvent({ ...anEvent({ sequence: 20, version: 3, type: "NamespaceReady" }), storeId: "s1" }));
    await act(async () => api.live.reconnect());
    expect(events()?.variables()).toEqual({ storeId: "s1", after: 20 });
    // A repeated event (the server replays from `after`) is shown once.
    act(() => api.live.pushEvent({ ...anEvent({ sequence: 20, version: 3, type: "NamespaceReady" }), storeId: "s1" }));
    expect(screen.getAllByText("Namespace ready")).toHaveLength(1);
  });

  it("deletes only after confirmation", async () => {
    const api = detailApi();
    api.on("DeleteStore", () => ({ deleteStore: { store: { ...store, status: "DELETING", version: 5 } } }));
    renderDetail(api);
    await userEvent.click(await screen.findByRole("button", { name: "Delete store" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete detail-shop?" });
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
    await userEvent.keyboard("{Escape}");
    expect(api.calls.some((c) => c.operation === "DeleteStore")).toBe(false);
    await userEvent.click(screen.getByRole("button", { name: "Delete store" }));
    await userEvent.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete" }));
    expect(await screen.findByText("Deleting")).toBeInTheDocument();
    expect(api.calls.find((c) => c.operation === "DeleteStore")?.variables).toEqual({ id: "s1" });
  });

  it("offers retry for a failed store and shows a rate limit plainly", async () => {
    const failed = { ...store, status: "FAILED" as const, statusReason: "helm install timed out" };
    const api = new FakeApi({
      Store: () => ({ store: { ...failed, events: [] } }),
      RetryStore: () => {
        throw new ApiError("RATE_LIMITED", "too many mutations; retry after 1.5 s", { retryAfter: 1.5 });
      },
    });
    renderDetail(api);
    expect(await screen.findByText("helm install timed out")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Retry provisioning" }));
    await userEvent.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Retry" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Too many changes in a short time");
  });

  it("shows the store as it was at an earlier version", async () => {
    const api = detailApi();
    api.on("StoreAt", (v) => ({ storeAt: { ...store, status: "REQUESTED", version: v.version } }));
    renderDetail(api);
    await screen.findByText("detail-shop");
    await userEvent.click(screen.getByRole("button", { name: "Show the store as of version 1" }));
    const past = await screen.findByText(/As of version/);
    expect(past.closest(".past")).toHaveTextContent("As of version 1");
    expect(within(past.closest(".past") as HTMLElement).getByText("Requested")).toBeInTheDocument();
    expect(api.calls.find((c) => c.operation === "StoreAt")?.variables).toEqual({ id: "s1", version: 1 });
  });

  it("says so when the store is not visible to this tenant", async () => {
    const api = new FakeApi({
      Store: () => {
        throw new ApiError("NOT_FOUND", "store s1 does not exist");
      },
    });
    renderDetail(api);
    expect(await screen.findByRole("heading", { name: "Store not found" })).toBeInTheDocument();
  });
});
