import { describe, expect, it } from "vitest";
import type { StoreFilters } from "../api/types";
import { aStore } from "../test/fakeApi";
import { matchesFilters, mergeLive } from "./merge";

const ALL: StoreFilters = { status: null, engine: null, search: "" };
const a = aStore({ id: "a", name: "alpha", version: 3, status: "PROVISIONING" });
const b = aStore({ id: "b", name: "beta", version: 2, status: "READY" });

describe("mergeLive", () => {
  it("replaces a store on the page with its newer version", () => {
    const merged = mergeLive([a, b], { ...a, version: 4, status: "READY" }, ALL, true);
    expect(merged.stores.map((s) => s.status)).toEqual(["READY", "READY"]);
    expect(merged.countDelta).toBe(0);
  });

  it("ignores an update older than what is shown", () => {
    const merged = mergeLive([a, b], { ...a, version: 2, status: "REQUESTED" }, ALL, true);
    expect(merged.stores).toEqual([a, b]);
  });

  it("removes a deleted store from the list of existing stores", () => {
    const merged = mergeLive([a, b], { ...b, version: 5, status: "DELETED" }, ALL, true);
    expect(merged.stores).toEqual([a]);
    expect(merged.countDelta).toBe(-1);
  });

  it("keeps a deleted store when the filter asks for deleted stores", () => {
    const deleted = { ...b, status: "DELETED" as const };
    const merged = mergeLive([deleted], { ...deleted, version: 6 }, { ...ALL, status: "DELETED" }, true);
    expect(merged.stores).toHaveLength(1);
  });

  it("puts a newly requested store on top of the first page only", () => {
    const fresh = aStore({ id: "c", name: "gamma", status: "REQUESTED" });
    expect(mergeLive([a, b], fresh, ALL, true).stores[0]).toBe(fresh);
    expect(mergeLive([a, b], fresh, ALL, false).stores).toEqual([a, b]);
  });

  it("does not add a new store that the filters exclude", () => {
    const fresh = aStore({ id: "c", name: "gamma", engine: "MEDUSA", status: "REQUESTED" });
    expect(mergeLive([a], fresh, { ...ALL, engine: "WOOCOMMERCE" }, true).stores).toEqual([a]);
    expect(mergeLive([a], fresh, { ...ALL, search: "alp" }, true).stores).toEqual([a]);
  });
});

describe("matchesFilters", () => {
  it("searches names case-insensitively", () => {
    expect(matchesFilters(a, { ...ALL, search: "ALP" })).toBe(true);
    expect(matchesFilters(a, { ...ALL, search: "zzz" })).toBe(false);
  });
});
