// The Gateway API release whose standard-channel CRDs the end-to-end tests
// install (scripts/gateway-api-crds.sh). Nothing here is compiled: the module
// is only downloaded, and go.sum makes `go mod download` verify its checksum,
// so every machine installs byte-identical CRDs. `go mod tidy` would drop the
// requirement (no Go code imports it); re-pin with
// `scripts/gateway-api-crds.sh --pin v1.X.Y` instead. Not v1.7.0: it declares
// go 1.27, and a Go 1.26 toolchain refuses to extract such a module.
module meridian.invalid/tools/gateway-api

go 1.26.0

require sigs.k8s.io/gateway-api v1.6.3
