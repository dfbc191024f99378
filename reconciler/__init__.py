"""The reconciler: from the read model to namespaces and Helm releases, and back as outcome events.

`dispatcher` wakes on the projection's NOTIFY (and a poll), claims stores through row `leases`,
and hands each to a `worker`, which loops
observe (`observe/`: the cluster read into a `World`) →
decide (`decide/`: pure, one action value) →
act (`act/`: one module per action, each returning an outcome value),
and records each outcome as an event through the application service (`records`). The Kubernetes
and Helm adapters live in `cluster/`. `run.run_reconciler` is the entry point for the composition
root.
"""
