// Command argocd-versions answers what Argo CD v3.5.1's repo server resolves a
// Helm OCI targetRevision to, by calling Argo CD's own util/versions package:
//
//	argocd-versions REVISION TAG...   prints the resolved tag, or "error: ..."
//	argocd-versions --version         prints the Argo CD module version
//
// The tags are given as the registry lists them; like the repo server's
// helm client (GetTags), `_` is read as `+` before resolution. The test bed's
// version-selection differential runs it beside Helm 3, Helm 4 and ecrhelm.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"github.com/argoproj/argo-cd/v3/util/versions"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == "--version" {
		if info, ok := debug.ReadBuildInfo(); ok {
			for _, m := range info.Deps {
				if m.Path == "github.com/argoproj/argo-cd/v3" {
					fmt.Println("argo-cd", m.Version)
					return
				}
			}
		}
		fmt.Println("argo-cd unknown")
		return
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: argocd-versions REVISION TAG...")
		os.Exit(2)
	}
	tags := make([]string, 0, len(os.Args)-2)
	for _, t := range os.Args[2:] {
		tags = append(tags, strings.ReplaceAll(t, "_", "+"))
	}
	v, err := versions.MaxVersion(os.Args[1], tags, "")
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println(v)
}
