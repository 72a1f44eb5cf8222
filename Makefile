# ironbox — build, test, install. `make check` installs what it needs first.
CC ?= gcc
BUILD ?= build
PKGS := json-c libseccomp libcap fuse3
# ironbox-admin only (authorization plugin, audit): kept out of the runtime
# binary, whose every exec would otherwise load them (~8 ms measured).
ADMIN_PKGS := libcurl libmicrohttpd yajl
CFLAGS_BASE := -std=gnu11 -Wall -Wextra -Werror -O2 -g -D_GNU_SOURCE -Isrc \
	$(shell pkg-config --cflags $(PKGS) $(ADMIN_PKGS) 2>/dev/null)
LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
ADMIN_LDLIBS := $(shell pkg-config --libs $(ADMIN_PKGS) 2>/dev/null) -lresolv -lpthread
# The runtime binary is linked static-pie: every `ironbox` exec (Docker runs
# several per container) then skips the dynamic loader's work, ~0.45 ms of
# the ~1.5 ms an exec cost here (bench/README.md), with ASLR kept. Sanitizer
# builds (asan, fuzz) stay dynamic: ASan cannot be linked statically.
STATIC_RUNTIME ?= $(if $(findstring sanitize,$(EXTRA_CFLAGS)),0,1)
RUNTIME_LDLIBS := $(if $(filter 1,$(STATIC_RUNTIME)),-static-pie $(shell pkg-config --static --libs $(PKGS) 2>/dev/null) -lm,$(LDLIBS))
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
EXTRA_CFLAGS ?=
CFLAGS := $(CFLAGS_BASE) $(EXTRA_CFLAGS)

LIB_SRC := $(wildcard src/common/*.c src/spec/*.c src/policy/*.c src/idmap/*.c src/sysctl/*.c \
	src/linux/*.c src/cgroup/*.c src/state/*.c src/supervisor/*.c src/admin/*.c)
ADMIN_SRC := $(wildcard src/authz/*.c)
ADMIN_LIB_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(filter-out src/authz/main.c,$(ADMIN_SRC)))
CLI_SRC := $(wildcard src/cli/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

PREFIX ?= /usr/local

.PHONY: all deps check unit unit-bins integration asan asan-check bench bench-scale install uninstall clean format demo \
	fuzz fuzz-bins fuzz-link check-security check-workloads bench-workloads oci-validation

all: $(BUILD)/ironbox $(BUILD)/ironbox-admin

$(BUILD)/%.o: %.c $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libironbox.a: $(LIB_OBJ)
	@rm -f $@
	@echo "  AR $@"
	@ar rcs $@ $^

# ironbox's own seccomp filter, compiled at build time (seccomp_prebuilt.h).
PREBUILT_FILTER := $(BUILD)/gen/seccomp_prebuilt.o
$(BUILD)/gen/gen_seccomp_filter: tools/gen_seccomp_filter.c $(BUILD)/libironbox.a
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libironbox.a $(LDLIBS)

$(BUILD)/gen/seccomp_prebuilt.c: $(BUILD)/gen/gen_seccomp_filter
	@echo "  GEN $@"
	@$< >$@.tmp && mv $@.tmp $@

$(PREBUILT_FILTER): $(BUILD)/gen/seccomp_prebuilt.c src/linux/seccomp_prebuilt.h
	@echo "  CC $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/ironbox: $(CLI_OBJ) $(PREBUILT_FILTER) $(BUILD)/libironbox.a
	@echo "  LD $@"
	@$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(PREBUILT_FILTER) $(BUILD)/libironbox.a $(RUNTIME_LDLIBS) 2>$@.ld.log || \
		{ cat $@.ld.log >&2; rm -f $@.ld.log; exit 1; }
	@# glibc's notes on getpwuid/dlopen in a static binary (same glibc here).
	@grep -v -e 'statically linked applications requires at runtime' \
		-e 'in function .\(owner_of\|fuse_get_module\)' $@.ld.log >&2 || true
	@rm -f $@.ld.log

$(BUILD)/libironbox-admin.a: $(ADMIN_LIB_OBJ)
	@rm -f $@
	@echo "  AR $@"
	@ar rcs $@ $^

$(BUILD)/ironbox-admin: $(BUILD)/src/authz/main.o $(BUILD)/libironbox-admin.a $(BUILD)/libironbox.a
	@echo "  LD $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(ADMIN_LDLIBS)

# The man page is embedded in the binary (ironbox install writes it).
$(BUILD)/src/admin/manpage.o: docs/ironbox.8

# Unit tests of the plugin's code link its libraries too.
$(BUILD)/tests/test_authz%: tests/unit/test_authz%.c $(BUILD)/libironbox-admin.a $(BUILD)/libironbox.a
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libironbox-admin.a $(BUILD)/libironbox.a $(LDLIBS) $(ADMIN_LDLIBS) -lcmocka

# Checks the prebuilt filter against one built now: links it in.
$(BUILD)/tests/test_seccomp_prebuilt: tests/unit/test_seccomp_prebuilt.c $(PREBUILT_FILTER) $(BUILD)/libironbox.a
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(PREBUILT_FILTER) $(BUILD)/libironbox.a $(LDLIBS) -lcmocka

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libironbox.a
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libironbox.a $(LDLIBS) -lcmocka

deps:
	tests/lib/install-deps.sh

unit: $(UNIT_BIN)
	tests/lib/run-unit.sh $(UNIT_BIN)

# Everything: unit tests, then integration tests (CLI, Docker, containerd, Podman).
check: deps
	$(MAKE) all unit-bins
	tests/lib/run-all.sh $(BUILD)

unit-bins: $(UNIT_BIN)

integration: all
	tests/lib/run-all.sh $(BUILD) --integration-only

# The whole suite again, built with ASan+UBSan.
asan: deps
	$(MAKE) BUILD=build-asan EXTRA_CFLAGS="$(SAN_FLAGS)" all unit-bins
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		tests/lib/run-all.sh build-asan

# Fuzzing: libFuzzer targets (fuzz/fuzz_*.c) built with clang into build-fuzz/
# against the library compiled with ASan+UBSan and coverage. `make fuzz` runs
# each target FUZZ_SECONDS (default 300); `make check` runs 20 s each.
FUZZ_CC ?= clang
FUZZ_BUILD ?= build-fuzz
FUZZ_TARGETS := spec policy state idmap
FUZZ_SECONDS ?= 300
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

fuzz-bins:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) \
		EXTRA_CFLAGS="-O1 -fsanitize=fuzzer-no-link $(FUZZ_SAN)" fuzz-link

fuzz-link: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)

$(BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz_common.h $(BUILD)/libironbox.a
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(CFLAGS) -fsanitize=fuzzer -Ifuzz -Wl,-Map=$@.map -o $@ $< $(BUILD)/libironbox.a $(LDLIBS)

fuzz:
	fuzz/run.sh --build $(FUZZ_BUILD) --seconds $(FUZZ_SECONDS)

# The security tier (tests/security/*.bats) alone: escape probes against
# --privileged containers through a private dockerd, with leak checks.
check-security: deps
	$(MAKE) all
	IB_SUITES=security tests/lib/run-all.sh $(BUILD) --integration-only

# The slow tier (tests/workloads: Docker-in-Docker, systemd, Kubernetes-node
# prerequisites) on a Debian image built by debootstrap and cached under
# /var/cache/ironbox-workloads (IB_WORKLOAD_CACHE).
check-workloads: deps
	$(MAKE) all
	tests/workloads/build-images.sh >/dev/null
	IB_SUITES=workloads tests/lib/run-all.sh $(BUILD) --integration-only

# DinD start-up and systemd boot, ironbox next to runc (not in `bench`).
bench-workloads: deps
	$(MAKE) all
	bench/dind.sh $(BUILD)/ironbox
	bench/systemd-boot.sh $(BUILD)/ironbox

bench: deps
	$(MAKE) all
	bench/lifecycle.sh $(BUILD)/ironbox
	bench/scale.sh $(BUILD)/ironbox
	bench/mount-trap.sh $(BUILD)/ironbox
	bench/sysctl-read.sh $(BUILD)/ironbox
	bench/datapath.sh $(BUILD)/ironbox
	bench/sup-mem.sh $(BUILD)/ironbox
	bench/procread.sh $(BUILD)/ironbox

bench-scale: deps
	$(MAKE) all
	bench/scale.sh $(BUILD)/ironbox

# OCI runtime-tools validation, ironbox next to crun and runc. Needs root, Go
# and a clone of github.com/opencontainers/runtime-tools the first time
# (RUNTIME_TOOLS_SRC=/path); skips with a message otherwise. Not in `check`.
oci-validation: all
	tests/oci/run-validation.sh $(BUILD)/ironbox

demo: deps
	$(MAKE) all
	./demo.sh

# `ironbox install` installs the binaries, policy and man page and registers
# ironbox with the engines found (see `ironbox install --help`); with
# DESTDIR (packaging) only the files are copied.
install: all
ifeq ($(DESTDIR),)
	$(BUILD)/ironbox install --prefix $(PREFIX)
else
	install -D -m 0755 $(BUILD)/ironbox $(DESTDIR)$(PREFIX)/bin/ironbox
	install -D -m 0755 $(BUILD)/ironbox-admin $(DESTDIR)$(PREFIX)/libexec/ironbox/ironbox-admin
	install -D -m 0644 docs/ironbox.8 $(DESTDIR)$(PREFIX)/share/man/man8/ironbox.8
endif

uninstall:
	$(BUILD)/ironbox uninstall

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(ADMIN_SRC) $(wildcard src/*/*.h) $(UNIT_SRC)

clean:
	rm -rf build build-asan build-fuzz
