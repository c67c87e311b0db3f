//go:build tools

// Package tools pins the external-dns release that the delegation tests run
// (scripts/build-external-dns.sh): the blank import makes `go mod tidy` keep
// sigs.k8s.io/external-dns and its dependencies in go.mod/go.sum, so that the
// build can run with -mod=readonly. The build tag keeps this file out of every
// build; nothing here is ever compiled.
package tools

import _ "sigs.k8s.io/external-dns"
