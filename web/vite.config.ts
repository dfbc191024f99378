/// <reference types="vitest/config" />
// Builds the dashboard to web/dist, which the API process serves at "/"; `npm run dev` proxies
// /graphql to a local `storeplane up` so the page talks to the same origin in both cases.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const api = process.env.STOREPLANE_API ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  base: "/",
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  server: { proxy: { "/graphql": { target: api, ws: true } } },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
