# The two set-up commands are `make demo` and `make test`; the rest are parts.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_GEN  := -G Ninja
# Compiler output is cached outside the work tree (as the kube-apiserver build
# is), so a fresh clone on a machine that built before compiles in seconds.
export CCACHE_DIR     ?= $(if $(filter 0,$(shell id -u)),/var/cache/ecrhelm/ccache,$(HOME)/.cache/ecrhelm-ccache)
export CCACHE_MAXSIZE ?= 8G
# Paths relative to the checkout: clones in other folders (CI's, worktrees) share hits.
export CCACHE_BASEDIR ?= $(CURDIR)
# Lets ccache cache the test objects built with the precompiled header.
export CCACHE_SLOPPINESS ?= pch_defines,time_macros,include_file_mtime,include_file_ctime
CMAKE_GEN  += -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache

.PHONY: all deps demo-peers testbed testbed-oldest test-kube-oldest smoke-peers build build-sanitize test test-gcc test-unit test-sanitize demo bench bench-controller fuzz fuzz-long format format-check clean release deb image test-packaging

all: build

deps:
	@scripts/install-deps.sh

# The real peers `make test` uses: kube-apiserver v1.37.2 + etcd v3.6.16 (from
# the Go module proxy, through wrapper modules), Helm 3 and 4, oras and Argo
# CD v3.5.1's tag resolution (argocd-versions, a wrapper of ours): built
# once and cached in /var/cache/ecrhelm/peers (seconds when cached). ESO builds
# on demand (make smoke-peers).
testbed: deps
	scripts/testbed/build-peer.sh etcd
	scripts/testbed/build-peer.sh kube-apiserver
	scripts/testbed/build-peer.sh helm3
	scripts/testbed/build-peer.sh helm4
	scripts/testbed/build-peer.sh oras
	scripts/testbed/build-peer.sh argocd-versions

# The oldest supported: kube-apiserver v1.20.2 from Debian's source package
# (Debian's Go 1.19) and Debian's etcd 3.4.
testbed-oldest: deps
	scripts/testbed/build-kube-apiserver.sh

# The tests that use the API server (labels kube, controller, cli) against
# the oldest test bed; ESO's CRDs need a current one, so those tests skip.
test-kube-oldest: build testbed-oldest
	cd $(BUILD) && KUBE_TESTBED_VERSION=oldest ctest --output-on-failure -j $(JOBS) -L '^(kube|controller|cli)$$'

# Not in `make test`: the peers themselves on the test bed. ESO v0.16.2's own
# controller reconciles the seed's manifests with moto as ECR.
smoke-peers: testbed
	scripts/testbed/smoke-eso.sh

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DECRHELM_WERROR=ON
	cmake --build $(BUILD) -j $(JOBS)

# Every test: the gcc build (warnings are errors there too, and `make demo`
# uses it), then one clang build with ASan+UBSan whose libraries are also
# coverage-instrumented, so it holds the libFuzzer targets (each run for
# FUZZ_SECONDS) and the whole suite, run last: its CTest summary is the last
# line. The same suite without sanitizers: `make test-gcc`.
FUZZ_SECONDS ?= 5
test: format-check build testbed build-sanitize
	scripts/run-fuzzers.sh $(ASAN_BUILD) $(FUZZ_SECONDS)
	cd $(ASAN_BUILD) && $(SANITIZER_ENV) ctest --output-on-failure -j $(JOBS)

test-gcc: build testbed
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The library layers' tests that need no API server (label unit), in seconds.
test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

# The clang build with ASan+UBSan, tests and coverage-instrumented fuzz targets.
build-sanitize: deps
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug \
	  -DECRHELM_WERROR=ON -DECRHELM_SANITIZE=ON -DECRHELM_FUZZ=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)

SANITIZER_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
test-sanitize: build-sanitize testbed
	cd $(ASAN_BUILD) && $(SANITIZER_ENV) ctest --output-on-failure -j $(JOBS)

# Fuzzing alone: every target for FUZZ_SECONDS (fuzz-long: 10 minutes each).
fuzz: build-sanitize
	scripts/run-fuzzers.sh $(ASAN_BUILD) $(FUZZ_SECONDS)

fuzz-long:
	$(MAKE) fuzz FUZZ_SECONDS=600

# Builds only the binary the demo runs (not every test), and the peers it
# runs: Helm 3 (the chart round trip), etcd and kube-apiserver (the
# controller), each built once per machine and cached.
demo: deps demo-peers
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DECRHELM_WERROR=ON
	cmake --build $(BUILD) -j $(JOBS) --target ecrhelm
	scripts/demo.sh $(BUILD)/ecrhelm

demo-peers: deps
	scripts/testbed/build-peer.sh helm3
	scripts/testbed/build-peer.sh etcd
	scripts/testbed/build-peer.sh kube-apiserver

# A packager's build: Release, no tests, warnings not errors (the default), then
# the man pages and completions (target docs, part of the default build).
RELEASE_BUILD ?= build-release
release: deps
	cmake -S . -B $(RELEASE_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DECRHELM_TESTS=OFF -DECRHELM_RELEASE_LINK=ON
	cmake --build $(RELEASE_BUILD) -j $(JOBS)

# ecrhelm_VERSION_ARCH.deb from the release build (dpkg-deb), checked with
# dpkg-deb -c and lintian when installed.
deb: release
	scripts/make-deb.sh $(RELEASE_BUILD)

# The container image as an OCI layout in build-release/image, without a
# container engine (scripts/make-image.sh; the Containerfile builds the same
# with podman/docker/buildah). IMAGE_DEST=HOST:PORT/REPO also pushes it with skopeo.
IMAGE_DEST ?=
image: release
	scripts/make-image.sh $(if $(IMAGE_DEST),push,layout) $(RELEASE_BUILD)/ecrhelm $(RELEASE_BUILD)/image $(IMAGE_DEST)

# Help/man/completion and chart tests (helm lint/template; helm install on the kube test bed).
test-packaging: build testbed
	cd $(BUILD) && ctest --output-on-failure -L packaging

bench: deps
	cmake -S . -B build-bench $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DECRHELM_TESTS=OFF -DECRHELM_BENCH=ON
	cmake --build build-bench -j $(JOBS)
	bench/run.sh build-bench/ecrhelm
	bench/pull.sh build-bench/ecrhelm

# The controller at 100, 1,000 and 5,000 ExternalSecrets on the kube test bed
# (about 12 minutes; COUNTS, RUNS, IDLE_SECONDS: see the script).
bench-controller: testbed
	cmake -S . -B build-bench $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DECRHELM_TESTS=OFF -DECRHELM_BENCH=ON
	cmake --build build-bench -j $(JOBS) --target ecrhelm
	bench/controller.sh build-bench/ecrhelm

FORMAT_FILES = find src tests fuzz bench \( -name '*.cpp' -o -name '*.h' \) -not -path 'tests/data/*'
format:
	$(FORMAT_FILES) | xargs clang-format-14 -i

# Fails naming every file clang-format would change (make test runs it first).
format-check: deps
	@$(FORMAT_FILES) | xargs clang-format-14 --dry-run -Werror 2>&1 | grep -o '^[^:]*:' | sort -u | sed 's/:$$/: not clang-formatted (run make format)/' | { ! grep .; }

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-bench
