/**
 * Medusa configuration of a storeplane store, read from the environment the chart sets
 * (charts/medusa/README.md, "The Medusa image"). The admin is disabled: building it needs
 * Vite and the dashboard (minutes and ~100 MB more per image) and storeplane's owners use the
 * Admin API; with REDIS_URL set, the event bus, cache, workflow engine and locking use Redis.
 */
import { defineConfig, loadEnv, Modules } from "@medusajs/framework/utils"

loadEnv(process.env.NODE_ENV || "development", process.cwd())

type WorkerMode = "shared" | "worker" | "server"

const redisUrl = process.env.REDIS_URL

// Medusa turns TLS on for every database that is not on localhost unless the URL says
// `ssl_mode=disable`; the chart's URL says `sslmode=disable` (libpq's spelling) for its
// in-namespace PostgreSQL, which has no TLS. Honour that, for the project and every module
// (modules read MEDUSA_DATABASE_DRIVER_OPTIONS / DATABASE_DRIVER_OPTIONS).
const tlsOff = /[?&]sslmode=disable\b/.test(process.env.DATABASE_URL ?? "")
const databaseDriverOptions = tlsOff ? { connection: { ssl: false } } : undefined
if (databaseDriverOptions && !process.env.DATABASE_DRIVER_OPTIONS) {
  process.env.DATABASE_DRIVER_OPTIONS = JSON.stringify(databaseDriverOptions)
}

const redisModules = redisUrl
  ? [
      { key: Modules.EVENT_BUS, resolve: "@medusajs/medusa/event-bus-redis", options: { redisUrl } },
      { key: Modules.CACHE, resolve: "@medusajs/medusa/cache-redis", options: { redisUrl } },
      {
        key: Modules.WORKFLOW_ENGINE,
        resolve: "@medusajs/medusa/workflow-engine-redis",
        options: { redis: { url: redisUrl } },
      },
      {
        key: Modules.LOCKING,
        resolve: "@medusajs/medusa/locking",
        options: {
          providers: [
            {
              resolve: "@medusajs/medusa/locking-redis",
              id: "locking-redis",
              is_default: true,
              options: { redisUrl },
            },
          ],
        },
      },
    ]
  : []

module.exports = defineConfig({
  projectConfig: {
    databaseUrl: process.env.DATABASE_URL,
    databaseDriverOptions,
    redisUrl,
    workerMode: (process.env.MEDUSA_WORKER_MODE as WorkerMode | undefined) ?? "shared",
    http: {
      storeCors: process.env.STORE_CORS ?? "",
      adminCors: process.env.ADMIN_CORS ?? "",
      authCors: process.env.AUTH_CORS ?? "",
      jwtSecret: process.env.JWT_SECRET,
      cookieSecret: process.env.COOKIE_SECRET,
    },
  },
  admin: {
    disable: true,
  },
  modules: redisModules,
})
