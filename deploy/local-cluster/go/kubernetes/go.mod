// Wrapper module for building kube-apiserver, kube-controller-manager,
// kube-scheduler and kubectl from k8s.io/kubernetes with plain `go build`.
//
// `go install k8s.io/kubernetes/cmd/...@vX` is refused because upstream's go.mod
// points its k8s.io/* staging modules at ./staging/src via replace directives.
// storeplane/localcluster/build.py copies this file into a scratch directory,
// adds `require k8s.io/kubernetes <pinned version>` and one replace per staging
// module (k8s.io/X => k8s.io/X v0.Y.Z), derived from the downloaded upstream
// go.mod at build time. The pins live in storeplane/localcluster/versions.py.
module storeplane.local/build/kubernetes

go 1.25.0
