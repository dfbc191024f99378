/**
 * The store's admin user, made whole on every run. Run by the chart's migrations Job
 * (`medusa exec ./src/scripts/admin.js`) after `db:migrate`, with ADMIN_EMAIL and ADMIN_PASSWORD
 * from the store's Secret.
 *
 * Written here instead of calling `medusa user`, which creates the user, then its emailpass login,
 * then links the two, in three separate steps: a run cut off between them left a user who cannot
 * log in, and every later run stopped at "already exists". Here each part is looked up first and
 * only what is missing is created, so runs cut off anywhere end, on the next run, in one state: a
 * user, an emailpass login for its email, and the link between them. An existing login keeps its
 * password (the owner may have changed it in the admin). The password never reaches a command line.
 */
import type { ExecArgs } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"

type Container = ExecArgs["container"]

const PROVIDER = "emailpass"

function required(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set: the migrations Job passes it from the store's Secret`)
  return value
}

async function user(container: Container, email: string): Promise<string> {
  const users = container.resolve(Modules.USER)
  const [found] = await users.listUsers({ email })
  if (found) return found.id
  return (await users.createUsers({ email })).id
}

async function login(container: Container, email: string, password: string): Promise<string> {
  const auth = container.resolve(Modules.AUTH)
  const [found] = await auth.listProviderIdentities(
    { provider: PROVIDER, entity_id: email },
    { select: ["id", "auth_identity_id"] },
  )
  if (found?.auth_identity_id) return found.auth_identity_id
  if (found) throw new Error(`the admin's ${PROVIDER} login ${found.id} belongs to no auth identity`)
  const { success, authIdentity, error } = await auth.register(PROVIDER, { body: { email, password } })
  if (!success || !authIdentity) throw new Error(`the admin's ${PROVIDER} login was not created: ${error}`)
  return authIdentity.id
}

export default async function admin({ container }: ExecArgs): Promise<void> {
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const email = required("ADMIN_EMAIL")
  const userId = await user(container, email)
  const authIdentityId = await login(container, email, required("ADMIN_PASSWORD"))
  const auth = container.resolve(Modules.AUTH)
  const identity = await auth.retrieveAuthIdentity(authIdentityId)
  if (identity.app_metadata?.user_id !== userId) {
    await auth.updateAuthIdentities({
      id: authIdentityId,
      app_metadata: { ...identity.app_metadata, user_id: userId },
    })
  }
  logger.info(`storeplane admin: user ${email} can log in`)
}
