/**
 * Stores one key of the store's Kubernetes Secret from inside a pod, with the pod's service
 * account token (the chart's seed Job grants get/patch on that one Secret by name). Fed by the
 * seed script with the publishable API key; feeds storeplane, which reads the Secret.
 * Plain `https` with the service account CA: no client library in the image for one call.
 */
import { readFileSync } from "fs"
import { request } from "https"

const ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"

type Reply = { status: number; body: string }

function call(method: string, path: string, body?: string): Promise<Reply> {
  const host = process.env.KUBERNETES_SERVICE_HOST
  const port = process.env.KUBERNETES_SERVICE_PORT ?? "443"
  if (!host) {
    throw new Error("KUBERNETES_SERVICE_HOST is not set: not running in a Kubernetes pod")
  }
  const token = readFileSync(`${ACCOUNT}/token`, "utf8").trim()
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port: Number(port),
        method,
        path,
        servername: "kubernetes.default.svc",
        ca: readFileSync(`${ACCOUNT}/ca.crt`),
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: "application/json",
          ...(body ? { "Content-Type": "application/merge-patch+json" } : {}),
        },
        timeout: 15000,
      },
      (res) => {
        let text = ""
        res.setEncoding("utf8")
        res.on("data", (chunk: string) => (text += chunk))
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }))
      }
    )
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out`)))
    req.on("error", reject)
    req.end(body)
  })
}

/** Set `key` of Secret `name` in `namespace` to `value`; returns false when it already was. */
export async function storeSecretKey(
  namespace: string,
  name: string,
  key: string,
  value: string
): Promise<boolean> {
  const path = `/api/v1/namespaces/${namespace}/secrets/${name}`
  const current = await call("GET", path)
  if (current.status !== 200) {
    throw new Error(`GET secret ${namespace}/${name}: HTTP ${current.status} ${current.body}`)
  }
  const encoded = Buffer.from(value, "utf8").toString("base64")
  const data = (JSON.parse(current.body) as { data?: Record<string, string> }).data ?? {}
  if (data[key] === encoded) {
    return false
  }
  const patched = await call("PATCH", path, JSON.stringify({ data: { [key]: encoded } }))
  if (patched.status !== 200) {
    throw new Error(`PATCH secret ${namespace}/${name}: HTTP ${patched.status} ${patched.body}`)
  }
  return true
}
