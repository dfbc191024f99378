"""What the charts render is valid for the Kubernetes version the local cluster runs.

Given a chart rendered with each shipped values file and the optional features switched on,
when every object is checked against that version's OpenAPI schema (strict: unknown fields
are errors), then none is rejected.
"""

from __future__ import annotations

import kubernetes_validate  # type: ignore[import-untyped]
import pytest

from tests.charts.conftest import Render
from tests.charts.rendering import EDGE_STORE, ENGINES, VALUES_FILES, Rendering, kubernetes_version

RENDERINGS = [
    *(Rendering(engine, values_file) for engine in ENGINES for values_file in VALUES_FILES),
    Rendering("woocommerce", store=EDGE_STORE),
    Rendering("medusa", store=EDGE_STORE),
    Rendering("woocommerce", sets=("ingress.tls.enabled=true", "setup.colocateWithWordPress=false")),
    Rendering("medusa", sets=("seed.enabled=true", "ingress.tls.enabled=true")),
    Rendering("medusa", sets=("server.uploads.enabled=false",)),
]


@pytest.mark.parametrize("rendering", RENDERINGS, ids=Rendering.describe)
def test_every_object_is_valid_openapi(rendering: Rendering, render: Render) -> None:
    version = kubernetes_version()
    errors = []
    for doc in render(rendering):
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = "/".join(str(part) for part in error.path)
            errors.append(f"{doc['kind']}/{doc['metadata']['name']} at {path}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {error}")

    assert not errors, "\n".join(errors)


def test_validator_is_strict_for_our_version() -> None:
    """Guards the test above against passing vacuously: an unknown field must be rejected."""
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "probe"},
        "spec": {"ports": [{"port": 80, "portt": 81}]},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(service, kubernetes_version(), strict=True)


def test_validator_supports_our_version() -> None:
    major_minor = ".".join(kubernetes_version().removeprefix("v").split(".")[:2])
    supported = {".".join(v.split(".")[:2]) for v in kubernetes_validate.utils.all_versions()}
    assert major_minor in supported, (
        f"kubernetes-validate {kubernetes_validate.__version__} has no schemas for {major_minor}; "
        "upgrade it"
    )
