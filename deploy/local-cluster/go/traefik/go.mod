// Wrapper module for building Traefik from github.com/traefik/traefik/v3 with plain
// `go build`.
//
// `go install github.com/traefik/traefik/v3/cmd/traefik@vX` is refused because
// upstream's go.mod has replace directives (its forks of go-http-auth, mux and
// minheap) and an exclude, which only apply in the main module.
// storeplane/localcluster/build.py copies this file into a scratch directory,
// adds `require github.com/traefik/traefik/v3 <pinned version>` and copies every
// replace with a published module and every exclude of the downloaded upstream
// go.mod at build time. The pin (and why v3.6) lives in
// storeplane/localcluster/versions.py.
module storeplane.local/build/traefik

go 1.25.0
