import { describe, expect, it } from "vitest";
import { clearToken, loadToken, saveToken } from "./session";

describe("token storage", () => {
  it("keeps the token in sessionStorage only", () => {
    saveToken(" sp_abc ");
    expect(loadToken()).toBe("sp_abc");
    expect(window.localStorage.length).toBe(0);
    clearToken();
    expect(loadToken()).toBeNull();
  });
});
