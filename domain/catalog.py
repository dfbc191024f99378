"""What can be ordered: the store engines and the plans that size a store's namespace.

Read by the Store aggregate (to validate a request) and by the reconciler (to turn a plan into a
ResourceQuota and a LimitRange). Pure values, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.errors import InvalidInput


class Engine(StrEnum):
    WOOCOMMERCE = "woocommerce"
    MEDUSA = "medusa"

    @classmethod
    def parse(cls, value: str) -> Engine:
        try:
            return cls(value.strip().lower())
        except ValueError:
            allowed = ", ".join(e.value for e in cls)
            raise InvalidInput("engine", f"unknown engine {value!r}; choose one of: {allowed}") from None


@dataclass(frozen=True)
class Plan:
    """The resources one store may use; the reconciler writes them as quota and limit range."""

    name: str
    cpu_limit: str
    memory_limit: str
    cpu_request: str
    memory_request: str
    storage: str
    max_pods: int
    max_pvcs: int
    default_container_cpu: str
    default_container_memory: str


DEFAULT_PLANS: tuple[Plan, ...] = (
    Plan("small", "2", "4Gi", "1", "2Gi", "10Gi", 10, 4, "250m", "256Mi"),
    Plan("medium", "4", "8Gi", "2", "4Gi", "40Gi", 20, 6, "500m", "512Mi"),
    Plan("large", "8", "16Gi", "4", "8Gi", "100Gi", 40, 10, "1", "1Gi"),
)


@dataclass(frozen=True)
class PlanCatalog:
    plans: tuple[Plan, ...] = DEFAULT_PLANS

    def get(self, name: str) -> Plan:
        for plan in self.plans:
            if plan.name == name:
                return plan
        allowed = ", ".join(p.name for p in self.plans)
        raise InvalidInput("plan", f"unknown plan {name!r}; choose one of: {allowed}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.plans)
