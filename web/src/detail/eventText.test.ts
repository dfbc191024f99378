import { describe, expect, it } from "vitest";
import { anEvent } from "../test/fakeApi";
import { eventDetails, eventTitle } from "./eventText";

describe("event words", () => {
  it("names known events and spells out unknown ones", () => {
    expect(eventTitle("BecameReady")).toBe("Store is ready");
    expect(eventTitle("SomethingNewHappened")).toBe("Something New Happened");
  });

  it("lists the data worth reading, lists as lists, without repeating the store", () => {
    const details = eventDetails(anEvent({
      data: { resources: ["ResourceQuota/q", "LimitRange/l"], actor: "x", name: "shop", retry_at: null, reason: "timeout" },
    }));
    expect(details).toEqual([["resources", "ResourceQuota/q, LimitRange/l"], ["reason", "timeout"]]);
  });

  it("reads data that arrives as a JSON string", () => {
    expect(eventDetails(anEvent({ data: '{"url": "http://x"}' }))).toEqual([["url", "http://x"]]);
  });
});
