"""Every reason the reconciler shows a user or writes to an event, as named templates.

Used by the observer, `decide` and the actions, so the same situation always reads the same way and
tests can refer to a message by name.
"""

from __future__ import annotations

API_UNREACHABLE = "Kubernetes API unreachable ({error})"
CANNOT_OBSERVE = "running, but its state cannot be read: {error}"
API_CONFLICT = "an object was modified by someone else meanwhile (HTTP {status}); retrying"
API_SLOW_DOWN = "the Kubernetes API asked us to slow down (HTTP {status})"
API_REFUSED = "the Kubernetes API refused a request: {kind} (HTTP {status})"
QUOTA_EXCEEDED = "the plan's quota does not allow what the store needs (exceeded quota)"
NAMESPACE_GOING_AWAY = "the store's namespace is being terminated"
TIMED_OUT = "a request to the cluster timed out ({error})"
UNEXPECTED = "unexpected error ({error}); it has been logged"
HELM_VALUES_REJECTED = "the store's values don't meet the chart's schema"
HELM_BUSY = "another operation (install/upgrade/rollback) is in progress on the release"
HELM_TIMED_OUT = "helm {command} did not finish in time and was rolled back (atomic)"
HELM_CHART_BROKEN = "the chart could not be installed as configured (helm {command})"
HELM_FAILED = "helm {command} failed; it has been logged"
NAMESPACE_FOREIGN = "namespace {namespace} exists but was not created for this store"
NAMESPACE_TERMINATING = "namespace {namespace} terminating: {remaining}"
NAMESPACE_LABELS_CHANGED = "labels of namespace {namespace} were changed"
NAMESPACE_REMOVED = "namespace {namespace} was deleted"
GUARDRAIL_MISSING = "{kind} {name} is missing"
GUARDRAIL_CHANGED = "{kind} {name} was changed"
GUARDRAIL_ADDED = "NetworkPolicy {names} was added beside the store's own"
CREDENTIALS_MISSING = "secret {name} is missing"
CREDENTIALS_INCOMPLETE = "secret {name} lacks {keys}"
RELEASE_REMOVED = "release {release} was uninstalled"
RELEASE_CHANGED = "release {release} differs from the desired {what}"
RELEASE_NOT_DEPLOYED = "release {release} is {helm_status}"
RELEASE_BUSY = "release {release} is {helm_status} by another operation; waiting"
WORKLOADS_WAITING = "waiting for {what}"
WORKLOADS_BROKEN = "{what} failed: {message}"
CHART_MISSING = "no chart for engine {engine}: {error}"
SERVING_CALL = "GET {path} answered HTTP {status} in {millis} ms"
SERVING_ANSWERED = "{calls} through Service {service}"
SERVING_NO_KEY = (
    "GET {path} needs the publishable key, which the store's seed has not yet stored in Secret {secret}"
)
SETUP_JOB_RUNNING = "waiting for the store's setup Jobs to finish: {jobs}"
SETUP_JOB_FAILED = "the store's setup failed: {jobs}"
SERVING_SIMULATED = "not called: its pods run on nodes kwok simulates ({nodes}), where no container runs"
SERVING_NO_ROUTE = "no Ingress routes {host} to a Service yet"
SERVING_REFUSED = "GET {path} through Service {service} answered HTTP {status}"
SERVING_SILENT = "GET {path} through Service {service} got no answer within {seconds} s"
