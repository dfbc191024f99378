"""The cluster adapters: Kubernetes over REST (`kube`), the `helm` CLI (`helm`), the manifests a store
namespace holds besides its release (`manifests`), and which chart each engine installs (`charts`).
Used by `observe` and `act`; no decision is taken here."""
