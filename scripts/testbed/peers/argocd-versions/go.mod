// Wrapper module: calls Argo CD v3.5.1's util/versions (tag resolution for
// Helm OCI repositories) from the Go module proxy; main.go is ours.
module ecrhelm.testbed/peers/argocd-versions

go 1.26.3

require github.com/argoproj/argo-cd/v3 v3.5.1

require (
	github.com/Masterminds/semver/v3 v3.4.0 // indirect
	github.com/sirupsen/logrus v1.9.4 // indirect
	golang.org/x/sys v0.46.0 // indirect
)
