//go:build tools

// Package tools pins the Helm release the chart in deploy/helm is linted and
// rendered with: the blank import makes `go mod tidy` keep helm.sh/helm/v4 and
// everything its command links in go.mod/go.sum, so that
// scripts/build-helm.sh can build it with -mod=readonly. The build tag keeps
// this file out of every build; nothing here is ever compiled.
package tools

import _ "helm.sh/helm/v4/cmd/helm"
