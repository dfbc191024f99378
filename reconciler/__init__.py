"""The reconciler: reads stores that need work from the read model, drives Kubernetes and Helm,
and records what happened as outcome events on the Store aggregate."""
