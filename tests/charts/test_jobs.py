"""The setup Jobs are named by their pod template, so upgrades neither fail nor re-run needlessly.

A Job's pod template is immutable: an upgrade that changed it in place would fail. Given a
chart rendered twice, when the values are the same, then the Job names are the same (an
upgrade leaves the completed Job alone); when a value the Job's pod uses changes, then the
name changes (Helm creates the new Job and deletes the old one). The reconciler finds these
Jobs by the label storeplane.dev/setup-job=true. Medusa's migrations make the admin whole with
the image's admin script, after the migrations, and the password comes only from the Secret.
"""

from __future__ import annotations

import pytest

from tests.charts.conftest import Render
from tests.charts.rendering import Manifest, Rendering

SETUP_LABEL = "storeplane.dev/setup-job"


def setup_jobs(docs: list[Manifest]) -> dict[str, str]:
    """component -> Job name, for every Job carrying the setup label."""
    jobs = [d for d in docs if d["kind"] == "Job"]
    assert all(j["metadata"]["labels"].get(SETUP_LABEL) == "true" for j in jobs)
    return {j["metadata"]["labels"]["app.kubernetes.io/component"]: j["metadata"]["name"] for j in jobs}


@pytest.mark.parametrize(
    ("engine", "expected"),
    [("woocommerce", {"setup": "woocommerce-setup-"}), ("medusa", {"migrations": "medusa-migrate-"})],
)
def test_default_setup_jobs(engine: str, expected: dict[str, str], render: Render) -> None:
    jobs = setup_jobs(render(Rendering(engine)))

    assert set(jobs) == set(expected)
    for component, prefix in expected.items():
        assert jobs[component].startswith(prefix)
        assert len(jobs[component]) <= 63


def test_seed_job_only_when_enabled(render: Render) -> None:
    jobs = setup_jobs(render(Rendering("medusa", sets=("seed.enabled=true",))))

    assert set(jobs) == {"migrations", "seed"}
    assert jobs["seed"].startswith("medusa-seed-")


@pytest.mark.parametrize(
    ("engine", "change"),
    [("woocommerce", "woocommerce.version=10.3.0"), ("medusa", "server.image.tag=2.10.4")],
)
def test_job_name_follows_its_pod_template(engine: str, change: str, render: Render) -> None:
    first = setup_jobs(render(Rendering(engine)))
    again = setup_jobs(render(Rendering(engine, sets=("ingress.className=nginx",))))
    changed = setup_jobs(render(Rendering(engine, sets=(change,))))

    assert first == again
    assert set(first.values()).isdisjoint(changed.values())


def _server_wait_mark(docs: list[Manifest]) -> str:
    server = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "medusa")
    init = server["spec"]["template"]["spec"]["initContainers"][0]
    return str(next(e["value"] for e in init["env"] if e["name"] == "MARK"))


def _recorded_mark(docs: list[Manifest]) -> str:
    job = next(d for d in docs if d["kind"] == "Job")
    recorder = job["spec"]["template"]["spec"]["containers"][0]
    return str(next(e["value"] for e in recorder["env"] if e["name"] == "MARK"))


def test_medusa_server_waits_for_the_mark_its_migrations_record(render: Render) -> None:
    docs = render(Rendering("medusa"))
    resized = render(Rendering("medusa", sets=("migrations.resources.limits.cpu=500m",)))
    new_image = render(Rendering("medusa", sets=("server.image.tag=2.10.4",)))

    assert _server_wait_mark(docs) == _recorded_mark(docs)
    # Resizing the Job re-runs it, but the schema is the same: the server need not restart.
    assert _server_wait_mark(resized) == _server_wait_mark(docs)
    assert _server_wait_mark(new_image) != _server_wait_mark(docs)


def test_medusa_migrations_make_the_admin_whole_with_the_password_on_no_command_line(render: Render) -> None:
    job = next(d for d in render(Rendering("medusa")) if d["kind"] == "Job")
    migrate = next(c for c in job["spec"]["template"]["spec"]["initContainers"] if c["name"] == "migrate")
    script = migrate["args"][0]
    password = next(e for e in migrate["env"] if e["name"] == "ADMIN_PASSWORD")

    assert script.index("medusa db:migrate") < script.index("medusa exec ./src/scripts/admin.js")
    assert "ADMIN_PASSWORD" not in script
    assert "medusa user" not in script
    assert password["valueFrom"]["secretKeyRef"]["key"] == "admin-password"
