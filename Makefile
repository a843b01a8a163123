# SPDX-License-Identifier: MIT
# Budbringer — plain GNU Makefile. `make help` lists the targets.

PREFIX    ?= /usr/local
DESTDIR   ?=
SYSCONFDIR ?= /etc
UNITDIR   ?= /lib/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
BUILD     ?= build
CC        ?= cc
PKG_CONFIG ?= pkg-config

PKGS := sqlite3 libpq libconfig libcurl libesmtp-1.0 libmicrohttpd jansson libsystemd libssl libcrypto

# Debian packages `make deps` installs when missing (build + test peers).
DEB_BUILD := build-essential pkg-config libsqlite3-dev sqlite3 libpq-dev libconfig-dev \
	libcurl4-openssl-dev libesmtp-dev libmicrohttpd-dev libjansson-dev \
	libsystemd-dev libcmocka-dev libunistring-dev libssl-dev libcrypt-dev curl \
	clang libclang-rt-14-dev clang-tidy cppcheck
DEB_TEST  := kannel kannel-extras postfix dovecot-imapd postgresql python3-aiosmtpd openssl wrk \
	python3 procps psmisc chromium nodejs valgrind systemd coreutils

WARN := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wcast-qual -Wwrite-strings -Wformat=2 -Wvla -fno-common \
	-Werror
# User CFLAGS come first so they can add but never remove our warnings.
ALL_CFLAGS = $(CFLAGS) -O2 -g -D_GNU_SOURCE $(WARN) -Iinclude \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) cmocka 2>/dev/null) $(SAN_FLAGS)
LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lunistring -lcrypt -lm -lpthread
CMOCKA_LIBS = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

ifdef SANITIZE
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRC  := $(filter-out src/main.c,$(wildcard src/*.c))
CLI_SRC  := $(wildcard src/cli/*.c)
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:src/%.c=$(BUILD)/obj/%.o)
MAIN_OBJ := $(BUILD)/obj/main.o
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# What the unit tests share (tests/unit/testutil.h), linked into each.
UNIT_UTIL := $(BUILD)/tests/testutil.o
DEPS     := $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_BIN:=.d) $(UNIT_UTIL:.o=.d)

.PHONY: all deps run check unit unit-build unit-asan integration bench install clean help fuzz fuzz-check lint
.DEFAULT_GOAL := all

all: $(BUILD)/budbringerd $(BUILD)/budbringer

help:
	@echo "targets: deps all run check unit unit-asan integration bench fuzz install clean"

deps:
	@missing=""; for p in $(DEB_BUILD) $(DEB_TEST); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  scripts/install-deps.sh $$missing; \
	else echo "deps: all Debian packages present"; fi

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libbudbringer.a: $(LIB_OBJ)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/budbringerd: $(MAIN_OBJ) $(BUILD)/libbudbringer.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/budbringer: $(CLI_OBJ) $(BUILD)/libbudbringer.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

$(UNIT_UTIL): tests/unit/testutil.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(UNIT_UTIL) $(BUILD)/libbudbringer.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST-CC $<")
	$(Q)$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes -MMD -MP -o $@ $< $(UNIT_UTIL) $(BUILD)/libbudbringer.a $(LIBS) $(CMOCKA_LIBS)

unit: $(UNIT_BIN)
	@scripts/run-unit.sh $(UNIT_BIN)

unit-build: $(UNIT_BIN)

# The unit tests again, built apart under AddressSanitizer + UBSan.
unit-asan:
	$(Q)$(MAKE) --no-print-directory BUILD=build/asan SANITIZE=address,undefined unit

integration: all
	@tests/integration/run.sh

# The same suite with the daemon on PostgreSQL (a private cluster per script).
.PHONY: integration-pg integration-both browser-deps
integration-pg: all
	@BB_ENGINE=postgresql tests/integration/run.sh

# Both passes at once (make check): see tests/integration/run-both.sh. The
# browser tests' npm packages come first, so two passes never install them
# together.
integration-both: all browser-deps
	@tests/integration/run-both.sh

browser-deps:
	@[ -f tests/browser/node_modules/playwright-core/package.json ] && \
	 [ -f tests/browser/node_modules/axe-core/axe.min.js ] || \
	 (cd tests/browser && npm ci --no-audit --no-fund)

# libFuzzer harnesses (clang): `make fuzz` explores for FUZZ_TIME seconds
# each; `fuzz-check` (part of check) replays the committed corpus only.
FUZZ_CC   ?= clang
FUZZ_TIME ?= 60
FUZZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_LIBOBJ := $(LIB_SRC:src/%.c=$(BUILD)/fuzz/obj/%.o)
FUZZ_CFLAGS = -g -O1 -D_GNU_SOURCE $(WARN) -Wno-unused-command-line-argument -Iinclude \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)

$(BUILD)/fuzz/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<

$(BUILD)/fuzz/libfuzz.a: $(FUZZ_LIBOBJ)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/fuzz/libfuzz.a
	@$(if $(Q),echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Wno-missing-prototypes $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< \
		$(BUILD)/fuzz/libfuzz.a $(LIBS)

# cppcheck, clang-tidy (.clang-tidy) and a clang -Werror build.
lint:
	@scripts/lint.sh

fuzz-check: $(FUZZ_BIN)
	@scripts/run-fuzz.sh check $(FUZZ_BIN)

fuzz: $(FUZZ_BIN)
	@FUZZ_TIME=$(FUZZ_TIME) scripts/run-fuzz.sh explore $(FUZZ_BIN)

check: deps
	$(Q)$(MAKE) --no-print-directory all unit
	$(Q)$(MAKE) --no-print-directory unit-asan
	$(Q)$(MAKE) --no-print-directory fuzz-check
	$(Q)$(MAKE) --no-print-directory lint
	$(Q)$(MAKE) --no-print-directory integration-both

run: deps all
	@scripts/demo.sh

bench: deps all $(BUILD)/bench/idle_floor
	@bench/run.sh

# Linked like budbringerd (every library kept, used or not) so that its
# resident size is the floor the idle daemon is compared with.
$(BUILD)/bench/idle_floor: bench/idle_floor.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< -Wl,--no-as-needed $(LIBS)

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(SYSCONFDIR)/budbringer $(DESTDIR)$(UNITDIR)
	install -m 0755 $(BUILD)/budbringerd $(DESTDIR)$(PREFIX)/sbin/budbringerd
	install -m 0755 $(BUILD)/budbringer $(DESTDIR)$(PREFIX)/bin/budbringer
	install -m 0640 etc/budbringer.conf $(DESTDIR)$(SYSCONFDIR)/budbringer/budbringer.conf.sample
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g' systemd/budbringerd.service > $(DESTDIR)$(UNITDIR)/budbringerd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/budbringerd.service
	install -d $(DESTDIR)$(SYSUSERSDIR)
	install -m 0644 systemd/budbringer.sysusers $(DESTDIR)$(SYSUSERSDIR)/budbringer.conf

clean:
	rm -rf build tests/output

-include $(DEPS)
