"""What every observation and action works with: the cluster clients, the settings, the store.

Built by the worker for each store it reconciles; passed explicitly, never global.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.catalog import PlanCatalog
from domain.naming import host_for
from reconciler.cluster.charts import ChartRef, StoreValues
from reconciler.cluster.helm import Helm
from reconciler.cluster.kube import Kube
from reconciler.fence import UNGUARDED, Guard
from reconciler.settings import ReconcilerSettings
from reconciler.snapshot import StoreSnapshot


@dataclass(frozen=True)
class Cluster:
    kube: Kube
    helm: Helm


@dataclass(frozen=True)
class StoreContext:
    store: StoreSnapshot
    cluster: Cluster
    settings: ReconcilerSettings
    plans: PlanCatalog
    # The lease this work runs under: actions that create things confirm it first.
    guard: Guard = UNGUARDED

    @property
    def host(self) -> str:
        return host_for(self.store.name, self.store.tenant, self.settings.base_domain)

    @property
    def url(self) -> str:
        return f"http://{self.host}/"

    @property
    def release(self) -> str:
        return self.store.name

    def chart(self) -> ChartRef:
        return self.settings.charts.for_engine(self.store.engine)

    def values(self) -> StoreValues:
        return StoreValues(name=self.store.name, tenant=self.store.tenant, host=self.host)

    def ingress_labels(self) -> dict[str, str]:
        return dict(self.settings.ingress_namespace_labels)
