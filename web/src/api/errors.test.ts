import { describe, expect, it } from "vitest";
import { ApiError, describeError, fromGraphQLError } from "./errors";

describe("fromGraphQLError", () => {
  it("keeps the code and the offending field of a validation error", () => {
    const error = fromGraphQLError({ message: "bad name", extensions: { code: "VALIDATION_FAILED", field: "name" } });
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.field).toBe("name");
  });

  it("reads how long to wait from a rate-limit error", () => {
    const error = fromGraphQLError({ message: "too many", extensions: { code: "RATE_LIMITED", retryAfter: 1.2 } });
    expect(error.retryAfter).toBe(1.2);
  });

  it("treats an unknown or missing code as INTERNAL", () => {
    expect(fromGraphQLError({ message: "x", extensions: { code: "TEAPOT" } }).code).toBe("INTERNAL");
    expect(fromGraphQLError({ message: "x" }).code).toBe("INTERNAL");
  });
});

describe("describeError", () => {
  it("says plainly that the quota is reached", () => {
    const text = describeError(new ApiError("QUOTA_EXCEEDED", "tenant 'acme' has 10 live stores; the limit is 10."));
    expect(text).toMatch(/^Quota reached: tenant 'acme' has 10 live stores; the limit is 10\.$/);
  });

  it("says when to try again after a rate limit", () => {
    const text = describeError(new ApiError("RATE_LIMITED", "too many mutations", { retryAfter: 2.3 }));
    expect(text).toContain("Too many changes in a short time");
    expect(text).toContain("Try again in 3 s.");
  });
});
