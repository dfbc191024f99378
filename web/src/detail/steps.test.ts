import { describe, expect, it } from "vitest";
import { aStore, withSteps } from "../test/fakeApi";
import { stepViews } from "./steps";

const states = (store: Parameters<typeof stepViews>[0]) => stepViews(store).map((s) => `${s.name}:${s.state}`);

describe("stepViews", () => {
  it("marks the first unfinished step of a provisioning store as under way", () => {
    const store = withSteps(aStore({ status: "PROVISIONING" }), ["namespace", "guardrails"]);
    expect(states(store)).toEqual([
      "namespace:done", "guardrails:done", "credentials:active", "release:waiting", "ready:waiting",
    ]);
  });

  it("marks the step a failed store stopped at as failed", () => {
    const store = withSteps(aStore({ status: "FAILED" }), ["namespace"]);
    expect(states(store)).toContain("guardrails:failed");
  });

  it("shows every step done for a ready store", () => {
    const store = withSteps(aStore({ status: "READY" }), ["namespace", "guardrails", "credentials", "release"]);
    expect(stepViews(store).every((s) => s.state === "done")).toBe(true);
  });

  it("shows every step waiting until the reconciler picks a requested store up", () => {
    expect(stepViews(aStore({ status: "REQUESTED" })).every((s) => s.state === "waiting")).toBe(true);
  });

  it("shows nothing under way while a store is being deleted", () => {
    const store = withSteps(aStore({ status: "DELETING" }), ["namespace"]);
    expect(stepViews(store).some((s) => s.state === "active")).toBe(false);
  });
});
