import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiContext } from "../api/context";
import { ApiError } from "../api/errors";
import type { Store } from "../api/types";
import { aStore, FakeApi } from "../test/fakeApi";
import { CredentialsPanel, StoreLinks } from "./OwnerAccess";

const ready = aStore({
  id: "s1", name: "shop", status: "READY", engine: "MEDUSA", url: "http://shop.acme.test/",
  storefrontUrl: "http://shop.acme.test/", adminUrl: "http://shop.acme.test/app/",
});
const secret = {
  adminUrl: "http://shop.acme.test/app/", adminUsername: "admin@shop.acme.test",
  adminPassword: "pw-s3cret", publishableKey: "pk_01",
};

function renderPanel(api: FakeApi, store: Store = ready) {
  return render(
    <ApiContext.Provider value={api}>
      <StoreLinks store={store} />
      <CredentialsPanel store={store} />
    </ApiContext.Provider>,
  );
}

describe("OwnerAccess", () => {
  it("links to the storefront and the admin only when the store has URLs", () => {
    const { unmount } = renderPanel(new FakeApi({}));
    expect(screen.getByRole("link", { name: "Open store" })).toHaveAttribute("href", "http://shop.acme.test/");
    expect(screen.getByRole("link", { name: "Open admin" })).toHaveAttribute("href", "http://shop.acme.test/app/");
    unmount();
    renderPanel(new FakeApi({}), aStore({ status: "PROVISIONING" }));
    expect(screen.queryByRole("link", { name: "Open store" })).toBeNull();
    expect(screen.getByText("Available once the store is ready.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Reveal credentials" })).toBeNull();
  });

  it("asks the API only on a click, keeps the password out of the page until shown, and copies it", async () => {
    const user = userEvent.setup();
    const writeText = vi.spyOn(navigator.clipboard, "writeText").mockResolvedValue(undefined);
    const api = new FakeApi({ RevealStoreCredentials: () => ({ revealStoreCredentials: secret }) });
    const { container } = renderPanel(api);
    expect(api.calls).toEqual([]);
    await user.click(screen.getByRole("button", { name: "Reveal credentials" }));
    expect(api.calls).toEqual([{ operation: "RevealStoreCredentials", variables: { id: "s1" } }]);
    expect(container.querySelector('[data-credential="username"]')).toHaveTextContent("admin@shop.acme.test");
    expect(container.querySelector('[data-credential="publishable-key"]')).toHaveTextContent("pk_01");
    expect(container).not.toHaveTextContent("pw-s3cret");
    await user.click(screen.getByRole("button", { name: "Copy password" }));
    expect(writeText).toHaveBeenCalledWith("pw-s3cret");
    expect(within(container.querySelector(".credentials") as HTMLElement).getAllByRole("status")[2]).toHaveTextContent("Copied");
    await user.click(screen.getByRole("button", { name: "Show password" }));
    expect(container.querySelector('[data-credential="password"]')).toHaveTextContent("pw-s3cret");
    await user.click(screen.getByRole("button", { name: "Hide credentials" }));
    expect(container).not.toHaveTextContent("pw-s3cret");
    expect(screen.getByRole("button", { name: "Reveal credentials" })).toBeInTheDocument();
  });

  it("says why when the API refuses", async () => {
    const user = userEvent.setup();
    const api = new FakeApi({
      RevealStoreCredentials: () => {
        throw new ApiError("CONFLICT", "cannot reveal the credentials of a store that is deleting");
      },
    });
    renderPanel(api);
    await user.click(screen.getByRole("button", { name: "Reveal credentials" }));
    expect(await screen.findByRole("alert")).toBeInTheDocument();
  });
});
