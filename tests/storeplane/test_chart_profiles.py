"""Which values files the reconciler installs each chart with: the cluster decides, or the operator
(STOREPLANE_CHART_PROFILES); a chart without a profile's file installs as if it were not named."""

from __future__ import annotations

from pathlib import Path

from reconciler.cluster.charts import REPO_CHARTS_DIR, ChartSource
from reconciler.cluster.kube import KubeAccess
from storeplane.platform import ClusterChoice, ReconcilerOptions, chart_profiles


def options(*, local: bool, real_node: bool = False, local_values: bool | None = None) -> ReconcilerOptions:
    access = KubeAccess(Path("/nonexistent/kubeconfig"))
    choice = ClusterChoice(access, None, local=local, real_node=real_node)
    return ReconcilerOptions(cluster=choice, local_values=local_values)


def test_the_local_control_plane_adds_the_real_node_profile_while_its_node_runs() -> None:
    assert chart_profiles(options(local=False), {}) == ()
    assert chart_profiles(options(local=True), {}) == ("local",)
    assert chart_profiles(options(local=True, real_node=True), {}) == ("local", "real-node")
    assert chart_profiles(options(local=True, real_node=True, local_values=False), {}) == ()
    assert chart_profiles(options(local=False, local_values=True), {}) == ("local",)


def test_the_operator_names_the_profiles() -> None:
    environ = {"STOREPLANE_CHART_PROFILES": " local, real-node ,"}
    assert chart_profiles(options(local=False), environ) == ("local", "real-node")
    assert chart_profiles(options(local=True), {"STOREPLANE_CHART_PROFILES": ""}) == ()


def test_each_chart_gets_the_files_it_has_in_the_order_named() -> None:
    charts = ChartSource.from_directory(profiles=("local", "real-node", "nowhere"))
    medusa, woocommerce = REPO_CHARTS_DIR / "medusa", REPO_CHARTS_DIR / "woocommerce"
    assert charts.for_engine("medusa").values_files == (
        medusa / "values-local.yaml", medusa / "values-real-node.yaml")
    assert charts.for_engine("woocommerce").values_files == (woocommerce / "values-local.yaml",)
    assert ChartSource.from_directory().for_engine("medusa").values_files == ()
