"""The charts' shell scripts pass shellcheck as the POSIX sh their images run them with, and the
WooCommerce setup script does everything a shop needs before a shopper can order, each step
guarded so a re-run changes nothing (WP-CLI and the plugin cannot be fetched here, so what it
does is read from the script and its rendered options, not run)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.charts.conftest import Render
from tests.charts.rendering import Rendering

CHARTS = Path(__file__).resolve().parents[2] / "charts"
SCRIPTS = sorted(CHARTS.glob("*/files/*.sh"))


def shellcheck(*files: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("shellcheck")
    if binary is None:
        pytest.fail("shellcheck is missing: `make test` installs it (make shellcheck)",
                    pytrace=False)
    return subprocess.run([binary, "--shell=sh", "--severity=style", *map(str, files)],
                          capture_output=True, text=True, check=False, timeout=60)


def test_every_chart_script_is_clean() -> None:
    assert SCRIPTS, f"no scripts under {CHARTS}/*/files"
    checked = shellcheck(*SCRIPTS)
    assert checked.returncode == 0, checked.stdout


def test_the_rendered_options_script_is_clean(render: Render, tmp_path: Path) -> None:
    config = next(d for d in render(Rendering("woocommerce")) if d["kind"] == "ConfigMap"
                  and d["metadata"]["name"] == "woocommerce-setup")
    options = tmp_path / "options.sh"
    options.write_text(config["data"]["options.sh"])
    assert "wp option update 'woocommerce_coming_soon' 'no'" in config["data"]["options.sh"]
    checked = shellcheck(options)
    assert checked.returncode == 0, checked.stdout


def test_the_setup_opens_the_shop_with_a_way_to_pay_ship_and_something_to_buy() -> None:
    script = (CHARTS / "woocommerce" / "files" / "setup.sh").read_text()
    for step in ("wp option update woocommerce_cod_settings", '"enabled":"yes"',
                 "wp wc shipping_zone_method create 0 --method_id=free_shipping",
                 "wp wc product create", ". /scripts/options.sh"):
        assert step in script, step
    # Creation steps run only when what they create is missing.
    assert 'if [ "$(wp wc shipping_zone_method list 0' in script
    assert 'if [ "$(wp wc product list' in script
