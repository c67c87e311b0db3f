//go:build tools

// Package tools pins the kubeconform release that validates the chart's
// rendered manifests (scripts/build-kubeconform.sh): the blank import makes
// `go mod tidy` keep github.com/yannh/kubeconform and its dependencies in
// go.mod/go.sum, so that the build can run with -mod=readonly. The build tag
// keeps this file out of every build; nothing here is ever compiled.
package tools

import _ "github.com/yannh/kubeconform/cmd/kubeconform"
