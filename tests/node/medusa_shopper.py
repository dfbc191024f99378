"""A shopper's order through Medusa's Store API, and the owner finding it in the Admin API.

Fed by a ``ServiceProxy`` to the store's ``medusa`` Service and the publishable key the seed
Job stored; feeds the real-node order test with the order id. Each step is one Store API call
in the order a storefront makes them: products → cart → line item → email and address →
shipping method → payment session → complete. A failing call raises with its status and body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class Caller(Protocol):
    """``ServiceProxy`` or ``PortForward``: one JSON request, (status, body)."""

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]: ...


ADDRESS = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "address_1": "Unter den Linden 1",
    "city": "Berlin",
    "postal_code": "10117",
    "country_code": "de",
}
PAYMENT_PROVIDER = "pp_system_default"


class StoreCallFailed(AssertionError):
    """A Store or Admin API call did not answer 200."""


def _ok(
    proxy: Caller, method: str, path: str, body: dict[str, Any] | None, headers: dict[str, str]
) -> Any:
    status, reply = proxy.call(method, path, body, headers)
    if status != 200:
        raise StoreCallFailed(f"{method} {path}: HTTP {status}: {str(reply)[:800]}")
    return reply


def place_order(proxy: Caller, publishable_key: str, email: str) -> str:
    """Buy one unit of the first product; return the order id."""
    key = {"x-publishable-api-key": publishable_key}

    def call(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return _ok(proxy, method, path, body, key)

    region = call("GET", "/store/regions")["regions"][0]
    products = call("GET", f"/store/products?region_id={region['id']}&fields=*variants.calculated_price")
    variant = products["products"][0]["variants"][0]
    cart = call("POST", "/store/carts", {"region_id": region["id"]})["cart"]
    call("POST", f"/store/carts/{cart['id']}/line-items", {"variant_id": variant["id"], "quantity": 1})
    addresses = {"shipping_address": ADDRESS, "billing_address": ADDRESS}
    call("POST", f"/store/carts/{cart['id']}", {"email": email, **addresses})
    options = call("GET", f"/store/shipping-options?cart_id={cart['id']}")["shipping_options"]
    call("POST", f"/store/carts/{cart['id']}/shipping-methods", {"option_id": options[0]["id"]})
    collection = call("POST", "/store/payment-collections", {"cart_id": cart["id"]})["payment_collection"]
    sessions = f"/store/payment-collections/{collection['id']}/payment-sessions"
    call("POST", sessions, {"provider_id": PAYMENT_PROVIDER})
    completed = call("POST", f"/store/carts/{cart['id']}/complete")
    if completed.get("type") != "order":
        raise StoreCallFailed(f"cart {cart['id']} did not become an order: {completed}")
    return str(completed["order"]["id"])


def admin_api(proxy: Caller, email: str, password: str) -> Callable[[str], Any]:
    """GET on the Admin API, logged in as the store's admin (``POST /auth/user/emailpass``)."""
    token = _ok(proxy, "POST", "/auth/user/emailpass", {"email": email, "password": password}, {})["token"]
    return lambda path: _ok(proxy, "GET", path, None, {"Authorization": f"Bearer {token}"})


def admin_order_ids(proxy: Caller, email: str, password: str) -> list[str]:
    """Ids of the orders the Admin API lists."""
    orders = admin_api(proxy, email, password)("/admin/orders?fields=id,email")
    return [str(order["id"]) for order in orders["orders"]]
