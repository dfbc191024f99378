"""values.schema.json rejects bad values with a message that names the field.

Given a chart and one bad value (what the reconciler or an operator could get wrong), when
rendered, then helm fails before anything reaches the cluster, and its message names the
offending field by its path.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests.charts.rendering import ENGINES, TYPICAL_STORE, Rendering, StoreValues, template


@dataclass(frozen=True)
class BadValue:
    name: str
    field: str  # as helm's message spells it: a JSON pointer into the values
    store: StoreValues = TYPICAL_STORE
    sets: tuple[str, ...] = ()
    engines: tuple[str, ...] = ENGINES


CASES = [
    BadValue("store name with capitals", "/store/name", store=replace(TYPICAL_STORE, name="Shop1")),
    BadValue("store name over 40 characters", "/store/name", store=replace(TYPICAL_STORE, name="s" * 41)),
    BadValue("store name missing", "/store/name", store=replace(TYPICAL_STORE, name="")),
    BadValue("tenant with an underscore", "/store/tenant", store=replace(TYPICAL_STORE, tenant="acme_co")),
    BadValue("host that is not a DNS name", "/store/host", store=replace(TYPICAL_STORE, host="shop1 acme")),
    BadValue("host without a domain", "/store/host", store=replace(TYPICAL_STORE, host="shop1")),
    BadValue("credentials secret missing", "/store/credentialsSecret",
             store=replace(TYPICAL_STORE, credentials_secret="")),
    BadValue("image tag latest", "/wordpress/image/tag", sets=("wordpress.image.tag=latest",),
             engines=("woocommerce",)),
    BadValue("image tag latest", "/server/image/tag", sets=("server.image.tag=latest",), engines=("medusa",)),
    BadValue("container without a cpu limit", "/database/resources/limits",
             sets=("database.resources.limits.cpu=null",), engines=("woocommerce",)),
    BadValue("memory quantity with a typo", "/redis/resources/requests/memory",
             sets=("redis.resources.requests.memory=64MB",), engines=("medusa",)),
    BadValue("misspelt top-level key", "additional properties 'ingres'", sets=("ingres.className=nginx",)),
    BadValue("empty ingress class", "/ingress/className", sets=("ingress.className=",)),
    BadValue("option value with a quote", "/woocommerce/options/blogdescription",
             sets=("woocommerce.options.blogdescription=it's",), engines=("woocommerce",)),
    BadValue("unknown worker mode", "/server/workerMode", sets=("server.workerMode=both",),
             engines=("medusa",)),
]
PARAMS = [
    pytest.param(engine, case, id=f"{engine}: {case.name}")
    for case in CASES
    for engine in case.engines
]


@pytest.mark.parametrize(("engine", "case"), PARAMS)
def test_bad_value_is_rejected_naming_the_field(engine: str, case: BadValue, helm_home: Path) -> None:
    # A valid release name, so that it is the schema, not helm's name check, that answers.
    rendering = Rendering(engine, store=case.store, sets=case.sets, release="shop1")
    rendered = template(rendering, home=helm_home)

    assert rendered.returncode != 0, f"helm accepted {case.name}"
    assert "schema" in rendered.stderr, rendered.stderr
    assert case.field in rendered.stderr, rendered.stderr


@pytest.mark.parametrize("engine", ENGINES)
def test_install_without_store_values_is_rejected_naming_each_field(engine: str, helm_home: Path) -> None:
    bare = StoreValues(name="shop1", tenant="", host="", credentials_secret="")
    rendered = template(Rendering(engine, store=bare), home=helm_home)

    assert rendered.returncode != 0
    for field in ("/store/tenant", "/store/host", "/store/credentialsSecret"):
        assert field in rendered.stderr, rendered.stderr
