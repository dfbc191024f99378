// The shapes the GraphQL API (graphql_api/, issue 4) returns; fed by api/documents.ts queries and
// read by every view. Enum values are the API's upper-case names.

export const STORE_STATUSES = [
  "REQUESTED",
  "PROVISIONING",
  "READY",
  "FAILED",
  "DELETING",
  "DELETED",
] as const;
export type StoreStatus = (typeof STORE_STATUSES)[number];

export const STORE_ENGINES = ["WOOCOMMERCE", "MEDUSA"] as const;
export type StoreEngine = (typeof STORE_ENGINES)[number];

/** The provisioning steps in the order the reconciler takes them (domain.store.ProvisioningStep). */
export const PROVISIONING_STEPS = ["namespace", "guardrails", "credentials", "release", "ready"] as const;
export type ProvisioningStepName = (typeof PROVISIONING_STEPS)[number];

export interface Store {
  id: string;
  name: string;
  engine: StoreEngine;
  plan: string;
  status: StoreStatus;
  statusReason: string;
  url: string | null;
  /** The engine's admin under `url` (wp-admin/, app/); null while the store has no URL. */
  adminUrl: string | null;
  /** Where shoppers go; null while the store has no URL. */
  storefrontUrl: string | null;
  namespace: string;
  tenant: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  /** The provisioning steps in order: which are done and which one is under way. */
  steps: StepState[];
}

/** How the owner signs in to the store's admin (revealStoreCredentials); shown, never stored. */
export interface StoreCredentials {
  adminUrl: string;
  /** WooCommerce: the WordPress user name; Medusa: the admin user's email. */
  adminUsername: string;
  adminPassword: string;
  /** Medusa's publishable API key for its Store API; null for WooCommerce (or before the seed). */
  publishableKey: string | null;
}

export interface StepState {
  name: string;
  done: boolean;
  current: boolean;
}

export interface StoreEvent {
  sequence: number;
  version: number;
  type: string;
  occurredAt: string;
  actor: string;
  correlationId: string;
  data: unknown;
}

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface StorePage {
  stores: Store[];
  pageInfo: PageInfo;
  totalCount: number | null;
}

export interface StoreFilters {
  status: StoreStatus | null;
  engine: StoreEngine | null;
  search: string;
}

export interface Me {
  tenant: string;
  admin: boolean;
  quota: { used: number; limit: number };
}

export interface NewStore {
  name: string;
  engine: StoreEngine;
  plan: string;
  idempotencyKey: string;
}
