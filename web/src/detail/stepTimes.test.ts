import { describe, expect, it } from "vitest";
import { anEvent } from "../test/fakeApi";
import { formatSeconds, stepTimes } from "./stepTimes";

const at = (seconds: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, 0) + seconds * 1000).toISOString();
const event = (sequence: number, type: string, seconds: number) => anEvent({ sequence, type, occurredAt: at(seconds) });

describe("step times", () => {
  it("times each step from the one before, and all of them from the request", () => {
    const times = stepTimes([
      event(1, "Requested", 0), event(2, "ProvisioningStarted", 0.5), event(3, "ReleaseInstalled", 40),
      event(4, "BecameReady", 42.25), event(5, "DriftDetected", 90),
    ]);
    expect(times.get(1)).toBeUndefined();
    expect(times.get(2)).toEqual({ took: 0.5, sinceStart: 0.5 });
    expect(times.get(4)).toEqual({ took: 2.25, sinceStart: 42.25 });
    expect(times.has(5)).toBe(false);
  });

  it("starts the clock again at a retry, whatever order the events arrived in", () => {
    const times = stepTimes([
      event(6, "BecameReady", 130), event(1, "Requested", 0), event(3, "ProvisioningFailed", 5),
      event(4, "RetryRequested", 100), event(2, "ProvisioningStarted", 1),
    ]);
    expect([...times.entries()]).toEqual([[6, { took: 30, sinceStart: 30 }]]);
  });

  it("reads as milliseconds, seconds or minutes", () => {
    expect(formatSeconds(0.0849)).toBe("85 ms");
    expect(formatSeconds(4.24)).toBe("4.2 s");
    expect(formatSeconds(125)).toBe("2 min 05 s");
  });
});
