# vento - hand-written Makefile. `make` builds the programs, `make check`
# runs every test (sanitizer build), `make demo` runs the simulated farm.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
LIBDIR ?= $(PREFIX)/lib
UNITDIR ?= $(LIBDIR)/systemd/system
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(DATADIR)/pkgconfig
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
DESTDIR ?=

VERSION = 0.1
# The schema version ventod writes is the newest migration's number, so a
# migration added is a version bumped, with nothing else to edit.
SCHEMA_VERSION := $(shell ls schema | sed -n 's/^0*\([0-9][0-9]*\)_.*\.sql$$/\1/p' | sort -n | tail -1)
PKGS = libmodbus libpq libconfig

CC ?= cc
CFLAGS ?= -O2 -g
WARNINGS = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wcast-qual -Wwrite-strings -Wformat=2 -Wvla -Wundef \
	-Wold-style-definition -Wnull-dereference
# CI builds treat warnings as errors.
ifeq ($(CI),true)
WARNINGS += -Werror
endif

ifeq ($(SANITIZE),1)
BUILD = build/san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
else
BUILD = build
SANFLAGS =
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARNINGS) $(CFLAGS) $(SANFLAGS) \
	-Icollector $(PKG_CFLAGS) -MMD -MP \
	-DVENTO_VERSION='"$(VERSION)"' -DVENTO_SYSCONFDIR='"$(SYSCONFDIR)"' \
	-DVENTO_DATADIR='"$(DATADIR)/vento"' \
	-DVENTO_PLUGINDIR='"$(LIBDIR)/vento/plugins"' \
	-DSTORE_SCHEMA_VERSION=$(SCHEMA_VERSION)
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)
LIBS = $(PKG_LIBS) -lpthread -lm -ldl

COMMON = cfg catalogue profile regval log xmalloc
VENTOD_OBJS = $(addprefix $(BUILD)/collector/,$(addsuffix .o, \
	$(COMMON) ventod plan link adu poller queue writer store notify spool \
	crc32c record health lateness plugin copybin statelock spooler housekeeping))
VENTOCTL_OBJS = $(addprefix $(BUILD)/collector/,$(addsuffix .o, \
	$(COMMON) ventoctl ctl_db ctl_status ctl_migrate ctl_plan ctl_read \
	ctl_import ctl_check ctl_report ctl_table ctl_html ctl_fleet ctl_signals plan link adu health lateness \
	csv copybin plugin ctl_quarantine store record))
SIM_SRCS = $(wildcard tests/sim/*.c)
VENTOSIM_OBJS = $(addprefix $(BUILD)/,$(SIM_SRCS:.c=.o)) \
	$(addprefix $(BUILD)/collector/,$(addsuffix .o,$(COMMON)))

SPOOLGEN_OBJS = $(BUILD)/tests/bench/spoolgen.o \
	$(addprefix $(BUILD)/collector/,$(addsuffix .o,$(COMMON) spool crc32c record))

UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))

# Fuzz targets: one file tests/fuzz/fuzz_NAME.c each, its seeds and every
# crash it ever found in tests/fuzz/corpus/NAME/, and the collector modules
# it links in FUZZ_LINK_fuzz_NAME. `make fuzz` builds each with clang's
# libFuzzer into build/fuzz and runs it FUZZ_SECONDS (tests/fuzz/run);
# make check replays each corpus under gcc's sanitizers
# (build/san/tests/unit/test_fuzz_NAME, from tests/fuzz/replay.c).
FUZZ_SRCS = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES = $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZ_LINK_fuzz_adu = adu regval
FUZZ_LINK_fuzz_cfg = $(COMMON)
FUZZ_LINK_fuzz_csv = csv
FUZZ_LINK_fuzz_record = record $(COMMON)
FUZZ_LINK_fuzz_spool = spool crc32c record $(COMMON)
FUZZ_REPLAYS = $(patsubst %,$(BUILD)/tests/unit/test_fuzz_%,$(FUZZ_NAMES))
FUZZ_CC ?= clang
FUZZ_BUILD = build/fuzz
FUZZ_SECONDS ?= 60
FUZZ ?= $(FUZZ_NAMES)
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined
# clang's -Wformat=2 also flags log.c's vsnprintf of its caller's format,
# which gcc's does not: the format is checked where log_* is called.
FUZZ_CFLAGS = $(filter-out $(CFLAGS) $(SANFLAGS),$(ALL_CFLAGS)) -g -O1 \
	-fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
	-Wno-format-nonliteral -Itests/fuzz

PLUGINS = $(patsubst %,$(BUILD)/plugins/%.so,$(notdir $(patsubst %/,%,$(wildcard plugins/*/))))

PROGRAMS = $(BUILD)/ventod $(BUILD)/ventoctl $(BUILD)/ventosim $(PLUGINS)

.PHONY: all check unit demo bench fuzz deps install uninstall clean format FORCE

all: $(PROGRAMS)

# The install paths are compiled in: a change of PREFIX (or the other
# directories) rebuilds what uses them.
PATHS_STAMP = $(BUILD)/.paths
$(PATHS_STAMP): FORCE
	@mkdir -p $(BUILD)
	@echo '$(SYSCONFDIR) $(DATADIR) $(LIBDIR) $(SCHEMA_VERSION)' | cmp -s - $@ || \
		echo '$(SYSCONFDIR) $(DATADIR) $(LIBDIR) $(SCHEMA_VERSION)' >$@

$(BUILD)/%.o: %.c $(PATHS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# A plugin is every .c in its folder, built position-independent.
$(BUILD)/plugins/%.so: plugins/%/*.c plugins/vento-plugin.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -shared $(filter %.c,$^) $(ALL_LDFLAGS) -o $@

$(BUILD)/ventod: $(VENTOD_OBJS)
	$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/ventoctl: $(VENTOCTL_OBJS)
	$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/ventosim: $(VENTOSIM_OBJS)
	$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/spoolgen: $(SPOOLGEN_OBJS)
	$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/readcost: $(BUILD)/tests/bench/readcost.o \
		$(addprefix $(BUILD)/collector/,link.o adu.o log.o xmalloc.o)
	$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/burstcost: $(BUILD)/tests/bench/burstcost.o $(BUILD)/collector/xmalloc.o
	$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

# A unit test includes the module it tests (to reach its statics) and links
# the rest of the collector's common modules.
$(BUILD)/tests/unit/%: tests/unit/%.c tests/unit/tap.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(ALL_LDFLAGS) $(LIBS) -o $@

unit: $(UNIT_BINS) $(FUZZ_REPLAYS)

.SECONDEXPANSION:
$(BUILD)/tests/unit/test_fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c \
		tests/fuzz/fuzz.h $$(addprefix $(BUILD)/collector/,$$(addsuffix .o,$$(FUZZ_LINK_fuzz_$$*)))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -DFUZZ_NAME='"$*"' \
		-DFUZZ_CORPUS='"$(CURDIR)/tests/fuzz/corpus/$*"' \
		$(filter %.c %.o,$^) $(ALL_LDFLAGS) $(LIBS) -o $@

$(FUZZ_BUILD)/%.o: %.c $(PATHS_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o \
		$$(addprefix $(FUZZ_BUILD)/collector/,$$(addsuffix .o,$$(FUZZ_LINK_fuzz_$$*)))
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) $^ $(LIBS) -o $@

# Installs the Debian packages the project needs (when root), or says the
# exact command to run. Re-reads pkg-config in a sub-make afterwards.
deps:
	@sh tests/lib/deps.sh

check: deps
	@$(MAKE) --no-print-directory SANITIZE=1 all unit
	@bash tests/run $(TESTS)

demo: deps
	@$(MAKE) --no-print-directory all
	@bash tests/lib/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all $(BUILD)/spoolgen $(BUILD)/readcost $(BUILD)/burstcost
	@bash tests/bench/run

# Each target FUZZ (default all) for FUZZ_SECONDS; a crash is kept in its
# corpus as a regression input, and fails the run.
fuzz: deps
	@$(MAKE) --no-print-directory $(addprefix $(FUZZ_BUILD)/fuzz_,$(FUZZ))
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run $(FUZZ)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(DATADIR)/vento/schema \
		$(DESTDIR)$(SYSCONFDIR)/vento/profiles
	install -m 755 $(BUILD)/ventod $(DESTDIR)$(SBINDIR)/ventod
	install -m 755 $(BUILD)/ventoctl $(DESTDIR)$(BINDIR)/ventoctl
	install -d $(DESTDIR)$(LIBDIR)/vento/plugins
	install -m 644 $(PLUGINS) $(DESTDIR)$(LIBDIR)/vento/plugins/
	install -d $(DESTDIR)$(INCLUDEDIR)/vento $(DESTDIR)$(PKGCONFIGDIR)
	install -m 644 plugins/vento-plugin.h $(DESTDIR)$(INCLUDEDIR)/vento/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)/vento|' \
		-e 's|@PLUGINDIR@|$(LIBDIR)/vento/plugins|' -e 's|@VERSION@|$(VERSION)|' \
		plugins/vento-plugin.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/vento-plugin.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/vento-plugin.pc
	install -m 644 schema/*.sql $(DESTDIR)$(DATADIR)/vento/schema/
	install -m 644 etc/profiles/*.conf $(DESTDIR)$(SYSCONFDIR)/vento/profiles/
	test -e $(DESTDIR)$(SYSCONFDIR)/vento/vento.conf || \
		install -m 640 etc/vento.conf $(DESTDIR)$(SYSCONFDIR)/vento/vento.conf
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR)
	install -m 644 etc/man/ventoctl.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 etc/man/vento.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 etc/man/ventod.8 $(DESTDIR)$(MANDIR)/man8/
	sed -e 's|/usr/local/sbin|$(SBINDIR)|g' -e 's|/usr/local/etc|$(SYSCONFDIR)|g' \
		etc/systemd/ventod.service >$(DESTDIR)$(UNITDIR)/ventod.service
	chmod 644 $(DESTDIR)$(UNITDIR)/ventod.service
	install -d $(DESTDIR)$(DATADIR)/vento/grafana
	cp -R etc/grafana/. $(DESTDIR)$(DATADIR)/vento/grafana/

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/ventod $(DESTDIR)$(BINDIR)/ventoctl
	rm -f $(DESTDIR)$(MANDIR)/man1/ventoctl.1 $(DESTDIR)$(MANDIR)/man5/vento.conf.5 \
		$(DESTDIR)$(MANDIR)/man8/ventod.8 $(DESTDIR)$(UNITDIR)/ventod.service
	rm -rf $(DESTDIR)$(DATADIR)/vento $(DESTDIR)$(LIBDIR)/vento \
		$(DESTDIR)$(INCLUDEDIR)/vento
	rm -f $(DESTDIR)$(PKGCONFIGDIR)/vento-plugin.pc
	rm -f $(DESTDIR)$(SYSCONFDIR)/vento/profiles/*.conf

format:
	clang-format -i collector/*.[ch] tests/unit/*.[ch] tests/sim/*.[ch] tests/fuzz/*.[ch]

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
