"""Names of stores and tenants, and the cluster names derived from them.

A store name becomes part of a DNS host (`<name>.<tenant>.<base-domain>`) and of Kubernetes object
names, so both it and the tenant follow the DNS-1123 label rules. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from uuid import UUID

from domain.errors import InvalidInput
from domain.text import check_text

MAX_STORE_NAME = 40
MAX_TENANT_NAME = 40
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


# Names no tenant may have: they read as the platform's own (an admin token's tenant is `admin`;
# actors are `system:*`), so a store of such a tenant would pass for the operator's.
RESERVED_TENANTS = frozenset(
    {"admin", "administrator", "root", "system", "storeplane", "reconciler", "operator", "kube",
     "kubernetes", "default", "api", "www", "internal", "platform"}
)


def check_dns_label(field: str, value: str, max_length: int) -> str:
    check_text(field, value)
    if not value:
        raise InvalidInput(field, f"{field} must not be empty")
    if len(value) > max_length:
        raise InvalidInput(
            field, f"{field} {value!r} is {len(value)} characters long; the limit is {max_length}"
        )
    if not _LABEL.match(value):
        raise InvalidInput(
            field,
            f"{field} {value!r} must consist of lower-case letters, digits and '-', "
            "and start and end with a letter or digit",
        )
    return value


def check_store_name(name: str) -> str:
    return check_dns_label("name", name, MAX_STORE_NAME)


def check_tenant_name(tenant: str) -> str:
    return check_dns_label("tenant", tenant, MAX_TENANT_NAME)


def check_new_tenant(tenant: str) -> str:
    """A tenant a store may be created for: a valid name that is not reserved for the platform."""
    check_tenant_name(tenant)
    if tenant in RESERVED_TENANTS or tenant.startswith(("kube-", "system-", "storeplane-")):
        raise InvalidInput("tenant", f"tenant {tenant!r} is reserved; choose another tenant name")
    return tenant


def namespace_for(nonce: UUID) -> str:
    """The store's namespace, from a random id the server draws for each new store (recorded in the
    store's first event): never from the store id, which a keyed request derives from its tenant and
    idempotency key — a caller must not be able to choose (or predict) a namespace name. 64 random
    bits never clash in practice; the ownership labels (`storeplane.dev/store-id`) are checked
    before a namespace is adopted or deleted all the same."""
    return f"store-{nonce.hex[:16]}"


def release_for(name: str) -> str:
    return name


def host_for(name: str, tenant: str, base_domain: str) -> str:
    return f"{name}.{tenant}.{base_domain}"
