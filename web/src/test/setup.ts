// Vitest setup: DOM matchers and a clean DOM and sessionStorage between tests (node-environment
// tests, such as the websocket one, have no DOM to clean).
import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

afterEach(() => {
  if (typeof window === "undefined") return;
  cleanup();
  window.sessionStorage.clear();
});
