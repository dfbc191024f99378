"""Observe: read a store's part of the cluster (`world.observe`) into a `World` of closed-set
statuses with reasons (`observation`), with pure readers for releases, workloads and terminating
namespaces. Feeds `reconciler.decide`. It never changes anything."""
