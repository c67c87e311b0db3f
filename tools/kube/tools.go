//go:build tools

// Package tools pins the Kubernetes commands Meridian's tests run against:
// the blank imports make `go mod tidy` keep k8s.io/kubernetes and everything
// kube-apiserver and kubectl link in go.mod/go.sum, so that
// scripts/build-kube.sh can build them with -mod=readonly. The build tag keeps
// this file out of every build; nothing here is ever compiled.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	// kubectl from the same tag stays within the version-skew policy, unlike
	// the distribution's much older package, and costs little extra: it shares
	// most of its packages with kube-apiserver.
	_ "k8s.io/kubernetes/cmd/kubectl"
)
