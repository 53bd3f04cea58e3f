// Command etcd is the upstream etcd server at the version Kubernetes pins, built for tests.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
