// Command etcd is the etcd server that k8s.io/kubernetes pins, built from this
// module because `go install go.etcd.io/etcd/server/v3@…` is refused: etcd's
// own go.mod replaces its sibling modules with local paths. Here those
// replaces do not apply and the published siblings are used instead.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
