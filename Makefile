# Thin wrapper around CMake for the commands in README.md.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 60
PREFIX     ?= /usr/local
DESTDIR    ?=

.PHONY: all build deps run test test-fast test-asan bench fuzz fuzz-smoke format clean tls-check \
	install uninstall

all: build

deps:
	@scripts/deps.sh

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

# Binaries, manual pages, bash completion and systemd units under $(DESTDIR)$(PREFIX)
# (cmake/install.cmake lists the layout).
install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

# Removes what `make install` with the same PREFIX and DESTDIR installed.
uninstall:
	@tmp=$$(mktemp -d) && DESTDIR="$$tmp" cmake --install $(BUILD) --prefix "$(PREFIX)" >/dev/null && \
	(cd "$$tmp" && find . -type f) | sed 's|^\.||' | while read -r f; do \
		rm -fv "$(DESTDIR)$$f"; done; rm -rf "$$tmp"

# Install what is missing, build, create a demo CA on first use and serve it.
run: deps build
	@scripts/run-demo.sh $(BUILD)

# The whole suite: unit + end-to-end tests, then again under ASan + UBSan.
test: deps
	@scripts/test.sh

test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSTRIDE_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

bench: deps build
	@scripts/bench.sh $(BUILD)

# testssl.sh against a throwaway local stride-ca (~2-3 min; TLS_CHECK_FULL=1 runs every check).
tls-check: deps build
	@scripts/tls-check.sh $(BUILD)

fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh $(FUZZ_BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
