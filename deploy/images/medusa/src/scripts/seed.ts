/**
 * storeplane's seed: what a shopper's order needs, created once and found again on every later
 * run (each step looks its object up by name, handle or title first), so re-running changes
 * nothing. Run by the chart's seed Job (`medusa exec ./src/scripts/seed.js`) after the
 * migrations; ends by storing the publishable API key in the store's Secret
 * (STOREPLANE_CREDENTIALS_SECRET in POD_NAMESPACE, key `publishable-key`), where storeplane reads it.
 */
import type { ExecArgs } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import {
  createApiKeysWorkflow,
  createInventoryLevelsWorkflow,
  createProductsWorkflow,
  createRegionsWorkflow,
  createSalesChannelsWorkflow,
  createServiceZonesWorkflow,
  createShippingOptionsWorkflow,
  createShippingProfilesWorkflow,
  createStockLocationsWorkflow,
  createTaxRegionsWorkflow,
  linkSalesChannelsToApiKeyWorkflow,
  linkSalesChannelsToStockLocationWorkflow,
  updateStoresWorkflow,
} from "@medusajs/medusa/core-flows"
import { storeSecretKey } from "../lib/kube-secret"

type Container = ExecArgs["container"]

const CURRENCY = "eur"
const COUNTRIES = ["de", "fr", "it", "es", "nl"]
const SALES_CHANNEL = "Default Sales Channel"
const REGION = "Europe"
const LOCATION = "storeplane warehouse"
const FULFILLMENT_SET = "storeplane delivery"
const SHIPPING_OPTION = "Standard shipping"
const KEY_TITLE = "storeplane storefront"
const STOCK = 1000
const PRODUCTS = [
  { title: "storeplane T-shirt", handle: "storeplane-t-shirt", sku: "SP-TSHIRT", amount: 20 },
  { title: "storeplane mug", handle: "storeplane-mug", sku: "SP-MUG", amount: 12 },
  { title: "storeplane sticker", handle: "storeplane-sticker", sku: "SP-STICKER", amount: 3 },
]

async function salesChannel(container: Container): Promise<string> {
  const service = container.resolve(Modules.SALES_CHANNEL)
  const [found] = await service.listSalesChannels({ name: SALES_CHANNEL })
  if (found) return found.id
  const { result } = await createSalesChannelsWorkflow(container).run({
    input: { salesChannelsData: [{ name: SALES_CHANNEL }] },
  })
  return result[0].id
}

async function store(container: Container, salesChannelId: string): Promise<void> {
  const [current] = await container.resolve(Modules.STORE).listStores()
  const hasCurrency = current.supported_currencies?.some((c) => c.currency_code === CURRENCY)
  if (hasCurrency && current.default_sales_channel_id === salesChannelId) return
  await updateStoresWorkflow(container).run({
    input: {
      selector: { id: current.id },
      update: {
        supported_currencies: [{ currency_code: CURRENCY, is_default: true }],
        default_sales_channel_id: salesChannelId,
      },
    },
  })
}

async function region(container: Container): Promise<string> {
  const [found] = await container.resolve(Modules.REGION).listRegions({ name: REGION })
  if (found) return found.id
  const { result } = await createRegionsWorkflow(container).run({
    input: {
      regions: [
        { name: REGION, currency_code: CURRENCY, countries: COUNTRIES, payment_providers: ["pp_system_default"] },
      ],
    },
  })
  return result[0].id
}

async function taxRegions(container: Container): Promise<void> {
  const existing = await container.resolve(Modules.TAX).listTaxRegions({ country_code: COUNTRIES })
  const missing = COUNTRIES.filter((c) => !existing.some((t) => t.country_code === c))
  if (missing.length === 0) return
  // tp_system: Medusa's own tax provider (no outside service); a tax region without a
  // provider fails every cart update that recalculates taxes (an address, a shipping method).
  await createTaxRegionsWorkflow(container).run({
    input: missing.map((country_code) => ({ country_code, provider_id: "tp_system" })),
  })
}

async function stockLocation(container: Container, salesChannelId: string): Promise<string> {
  const service = container.resolve(Modules.STOCK_LOCATION)
  let [found] = await service.listStockLocations({ name: LOCATION })
  if (!found) {
    const { result } = await createStockLocationsWorkflow(container).run({
      input: { locations: [{ name: LOCATION, address: { city: "Berlin", country_code: "DE", address_1: "" } }] },
    })
    found = result[0]
  }
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "stock_location",
    fields: ["id", "fulfillment_providers.id", "sales_channels.id"],
    filters: { id: found.id },
  })
  const linked = data[0] as { fulfillment_providers?: { id: string }[]; sales_channels?: { id: string }[] }
  if (!linked.fulfillment_providers?.some((p) => p.id === "manual_manual")) {
    await container.resolve(ContainerRegistrationKeys.LINK).create({
      [Modules.STOCK_LOCATION]: { stock_location_id: found.id },
      [Modules.FULFILLMENT]: { fulfillment_provider_id: "manual_manual" },
    })
  }
  if (!linked.sales_channels?.some((s) => s.id === salesChannelId)) {
    await linkSalesChannelsToStockLocationWorkflow(container).run({ input: { id: found.id, add: [salesChannelId] } })
  }
  return found.id
}

async function serviceZone(container: Container, locationId: string): Promise<string> {
  const fulfillment = container.resolve(Modules.FULFILLMENT)
  let [set] = await fulfillment.listFulfillmentSets({ name: FULFILLMENT_SET }, { relations: ["service_zones"] })
  if (!set) {
    set = await fulfillment.createFulfillmentSets({ name: FULFILLMENT_SET, type: "shipping" })
    await container.resolve(ContainerRegistrationKeys.LINK).create({
      [Modules.STOCK_LOCATION]: { stock_location_id: locationId },
      [Modules.FULFILLMENT]: { fulfillment_set_id: set.id },
    })
  }
  const zone = set.service_zones?.[0]
  if (zone) return zone.id
  const { result } = await createServiceZonesWorkflow(container).run({
    input: {
      data: [
        {
          name: REGION,
          fulfillment_set_id: set.id,
          geo_zones: COUNTRIES.map((country_code) => ({ country_code, type: "country" as const })),
        },
      ],
    },
  })
  return result[0].id
}

async function shippingProfile(container: Container): Promise<string> {
  const fulfillment = container.resolve(Modules.FULFILLMENT)
  const [found] = await fulfillment.listShippingProfiles({ type: "default" })
  if (found) return found.id
  const { result } = await createShippingProfilesWorkflow(container).run({
    input: { data: [{ name: "Default Shipping Profile", type: "default" }] },
  })
  return result[0].id
}

async function shippingOption(container: Container, zoneId: string, profileId: string, regionId: string) {
  const [found] = await container.resolve(Modules.FULFILLMENT).listShippingOptions({ name: SHIPPING_OPTION })
  if (found) return
  await createShippingOptionsWorkflow(container).run({
    input: [
      {
        name: SHIPPING_OPTION,
        price_type: "flat",
        provider_id: "manual_manual",
        service_zone_id: zoneId,
        shipping_profile_id: profileId,
        type: { label: "Standard", description: "Ships in 2-3 days.", code: "standard" },
        prices: [
          { currency_code: CURRENCY, amount: 5 },
          { region_id: regionId, amount: 5 },
        ],
        rules: [
          { attribute: "enabled_in_store", value: "true", operator: "eq" },
          { attribute: "is_return", value: "false", operator: "eq" },
        ],
      },
    ],
  })
}

async function publishableKey(container: Container, salesChannelId: string): Promise<string> {
  const [found] = await container.resolve(Modules.API_KEY).listApiKeys({ title: KEY_TITLE, type: "publishable" })
  let key = found
  if (!key) {
    const { result } = await createApiKeysWorkflow(container).run({
      input: { api_keys: [{ title: KEY_TITLE, type: "publishable", created_by: "storeplane-seed" }] },
    })
    key = result[0]
  }
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({ entity: "api_key", fields: ["id", "sales_channels.id"], filters: { id: key.id } })
  const channels = (data[0] as { sales_channels?: { id: string }[] }).sales_channels ?? []
  if (!channels.some((c) => c.id === salesChannelId)) {
    await linkSalesChannelsToApiKeyWorkflow(container).run({ input: { id: key.id, add: [salesChannelId] } })
  }
  return key.token
}

async function products(container: Container, profileId: string, salesChannelId: string): Promise<void> {
  const existing = await container.resolve(Modules.PRODUCT).listProducts({ handle: PRODUCTS.map((p) => p.handle) })
  const missing = PRODUCTS.filter((p) => !existing.some((e) => e.handle === p.handle))
  if (missing.length === 0) return
  await createProductsWorkflow(container).run({
    input: {
      products: missing.map((p) => ({
        title: p.title,
        handle: p.handle,
        status: "published" as const,
        shipping_profile_id: profileId,
        options: [{ title: "Size", values: ["One size"] }],
        variants: [
          {
            title: "One size",
            sku: p.sku,
            manage_inventory: true,
            options: { Size: "One size" },
            prices: [{ currency_code: CURRENCY, amount: p.amount }],
          },
        ],
        sales_channels: [{ id: salesChannelId }],
      })),
    },
  })
}

async function inventory(container: Container, locationId: string): Promise<void> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "inventory_item",
    fields: ["id", "sku", "location_levels.location_id"],
    filters: { sku: PRODUCTS.map((p) => p.sku) },
  })
  const items = data as { id: string; location_levels?: { location_id: string }[] }[]
  const levels = items
    .filter((item) => !item.location_levels?.some((l) => l.location_id === locationId))
    .map((item) => ({ inventory_item_id: item.id, location_id: locationId, stocked_quantity: STOCK }))
  if (levels.length === 0) return
  await createInventoryLevelsWorkflow(container).run({ input: { inventory_levels: levels } })
}

async function storeKey(token: string, log: (message: string) => void): Promise<void> {
  const namespace = process.env.POD_NAMESPACE
  const secret = process.env.STOREPLANE_CREDENTIALS_SECRET
  if (!namespace || !secret) {
    log("POD_NAMESPACE or STOREPLANE_CREDENTIALS_SECRET unset: publishable key not stored")
    return
  }
  const changed = await storeSecretKey(namespace, secret, "publishable-key", token)
  log(changed ? `publishable key stored in ${namespace}/${secret}` : "publishable key already stored")
}

export default async function seed({ container }: ExecArgs): Promise<void> {
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const channelId = await salesChannel(container)
  await store(container, channelId)
  const regionId = await region(container)
  await taxRegions(container)
  const locationId = await stockLocation(container, channelId)
  const zoneId = await serviceZone(container, locationId)
  const profileId = await shippingProfile(container)
  await shippingOption(container, zoneId, profileId, regionId)
  const token = await publishableKey(container, channelId)
  await products(container, profileId, channelId)
  await inventory(container, locationId)
  logger.info("storeplane seed: region, sales channel, stock, shipping, key and products are present")
  await storeKey(token, (message) => logger.info(`storeplane seed: ${message}`))
}
