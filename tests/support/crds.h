// Installs ecrhelm's CRDs (deploy/crds/) into the test bed's API server,
// once per process, and waits until they are Established.
#pragma once

namespace ecrhelm::test {

void install_crds();

}  // namespace ecrhelm::test
