// Wrapper module for building etcd from go.etcd.io/etcd/server/v3 with plain
// `go build`.
//
// Upstream's server go.mod replaces its sibling modules (api, client/pkg,
// client/v3, pkg) with relative paths, so `go install ...@vX` is refused.
// storeplane/localcluster/build.py copies this file into a scratch directory,
// adds `require go.etcd.io/etcd/server/v3 <pinned version>` and maps every
// relative replace of the upstream go.mod to the published module at the same
// version. The pins live in storeplane/localcluster/versions.py.
module storeplane.local/build/etcd

go 1.24.0
