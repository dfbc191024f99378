import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiContext } from "../api/context";
import { ApiError } from "../api/errors";
import { aStore, FakeApi } from "../test/fakeApi";
import { CreateStoreForm, formField } from "./CreateStoreForm";

function renderForm(api: FakeApi, onCreated = vi.fn()) {
  render(
    <ApiContext.Provider value={api}>
      <CreateStoreForm plans={["small", "medium", "large"]} onCreated={onCreated} />
    </ApiContext.Provider>,
  );
  return onCreated;
}

describe("CreateStoreForm", () => {
  it("sends name, engine, plan and an idempotency key", async () => {
    const api = new FakeApi({ CreateStore: () => ({ createStore: { store: aStore({ name: "shop-1" }) } }) });
    const onCreated = renderForm(api);
    await userEvent.type(screen.getByLabelText("Name"), "shop-1");
    await userEvent.selectOptions(screen.getByLabelText("Engine"), "MEDUSA");
    await userEvent.selectOptions(screen.getByLabelText("Plan"), "medium");
    await userEvent.click(screen.getByRole("button", { name: "Create store" }));
    const input = api.calls[0]?.variables.input as Record<string, string>;
    expect(input).toMatchObject({ name: "shop-1", engine: "MEDUSA", plan: "medium" });
    expect(input.idempotencyKey).toMatch(/.{8,}/);
    expect(onCreated).toHaveBeenCalledWith(expect.objectContaining({ name: "shop-1" }));
    expect(screen.getByLabelText("Name")).toHaveValue("");
  });

  it("shows a VALIDATION_FAILED error under the field the API names", async () => {
    const api = new FakeApi({
      CreateStore: () => {
        throw new ApiError("VALIDATION_FAILED", "name must be a DNS-1123 label", { field: "name" });
      },
    });
    renderForm(api);
    await userEvent.type(screen.getByLabelText("Name"), "Bad_Name");
    await userEvent.click(screen.getByRole("button", { name: "Create store" }));
    const name = screen.getByLabelText("Name");
    expect(name).toHaveAttribute("aria-invalid", "true");
    expect(name).toHaveAccessibleDescription(expect.stringContaining("name must be a DNS-1123 label"));
    expect(screen.getByLabelText("Engine")).toHaveAttribute("aria-invalid", "false");
  });

  it("shows a quota error plainly above the button", async () => {
    const api = new FakeApi({
      CreateStore: () => {
        throw new ApiError("QUOTA_EXCEEDED", "tenant 'acme' has 10 live stores; the limit is 10. Delete a store first.");
      },
    });
    renderForm(api);
    await userEvent.type(screen.getByLabelText("Name"), "one-more");
    await userEvent.click(screen.getByRole("button", { name: "Create store" }));
    expect(screen.getByRole("alert")).toHaveTextContent("Quota reached: tenant 'acme' has 10 live stores");
  });

  it("reuses the idempotency key when the same request is sent again", async () => {
    let calls = 0;
    const api = new FakeApi({
      CreateStore: () => {
        calls += 1;
        if (calls === 1) throw new ApiError("RATE_LIMITED", "too many mutations", { retryAfter: 0.5 });
        return { createStore: { store: aStore() } };
      },
    });
    renderForm(api);
    await userEvent.type(screen.getByLabelText("Name"), "same");
    await userEvent.click(screen.getByRole("button", { name: "Create store" }));
    expect(screen.getByRole("alert")).toHaveTextContent("Too many changes");
    await userEvent.click(screen.getByRole("button", { name: "Create store" }));
    const keys = api.calls.map((call) => (call.variables.input as { idempotencyKey: string }).idempotencyKey);
    expect(keys[0]).toBe(keys[1]);
  });
});

describe("formField", () => {
  it("maps the API's field paths onto the form's fields", () => {
    expect(formField("input.name")).toBe("name");
    expect(formField("plan")).toBe("plan");
    expect(formField("idempotencyKey")).toBeNull();
    expect(formField(null)).toBeNull();
  });
});
