# The two set-up commands are `make demo` and `make test`; the rest are parts.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_GEN  := -G Ninja

.PHONY: all deps testbed build build-sanitize test test-unit test-sanitize demo bench fuzz fuzz-long format clean

all: build

deps:
	@scripts/install-deps.sh

# The real kube-apiserver the kube/controller tests use: built once from
# Debian's source package and cached in /var/cache/ecrhelm (seconds when cached).
testbed: deps
	scripts/testbed/build-kube-apiserver.sh

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

# Every test: the whole suite in one clang build with ASan+UBSan (whose
# libraries are also coverage-instrumented, so the same build holds the
# libFuzzer targets, each run for FUZZ_SECONDS), then the whole suite in the
# normal gcc build; its CTest summary is the last line.
FUZZ_SECONDS ?= 5
test: build testbed
	$(MAKE) test-sanitize
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L 'util|http|oci'

# The clang build with ASan+UBSan, tests and coverage-instrumented fuzz targets.
build-sanitize: deps
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug \
	  -DECRHELM_SANITIZE=ON -DECRHELM_FUZZ=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)

test-sanitize: build-sanitize testbed
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)
	scripts/run-fuzzers.sh $(ASAN_BUILD) $(FUZZ_SECONDS)

# Fuzzing alone: every target for FUZZ_SECONDS (fuzz-long: 10 minutes each).
fuzz: build-sanitize
	scripts/run-fuzzers.sh $(ASAN_BUILD) $(FUZZ_SECONDS)

fuzz-long:
	$(MAKE) fuzz FUZZ_SECONDS=600

demo: build
	scripts/demo.sh $(BUILD)/ecrhelm

bench: deps
	cmake -S . -B build-bench $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DECRHELM_TESTS=OFF -DECRHELM_BENCH=ON
	cmake --build build-bench -j $(JOBS)
	bench/run.sh build-bench/ecrhelm
	bench/pull.sh build-bench/ecrhelm

format:
	find src tests fuzz bench -name '*.cpp' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-bench
