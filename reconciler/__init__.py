"""The reconciler: from the read model to namespaces and Helm releases, and back as outcome events.

`dispatcher` wakes on the projection's NOTIFY (and a poll), claims stores through row `leases`,
and hands each to a `worker`, which loops observe (`observe` → `observation.World`) → decide
(`decide`, pure → a `plan` action) → act (`actions/`, one module per action → an `outcomes` value)
and records each outcome through the application service (`records`). `run.run_reconciler` is the
entry point for `storeplane up` and `storeplane reconciler`.
"""
