# Unit tests (cmocka) and system tests (netns testbed).
#
# "make check" runs both and prints every cmocka summary and, for the system
# tests, a closing "N passed, N failed" line.  "make check-unit" and
# "make check-system" run one half; TESTSUITEFLAGS passes test names or
# options to the system test runner.

UNIT_TESTS = \
	tests/unit/test-announce-packets \
	tests/unit/test-binding \
	tests/unit/test-claim \
	tests/unit/test-flow-set \
	tests/unit/test-local-config \
	tests/unit/test-pipeline \
	tests/unit/test-plugin \
	tests/unit/test-validate
check_PROGRAMS += $(UNIT_TESTS)

UNIT_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
UNIT_TEST_LDADD = ovsdb/libroam.la $(OVS_LIBTOOL_LIB) $(CMOCKA_LIBS)

tests_unit_test_announce_packets_SOURCES = \
	tests/unit/test-announce-packets.c \
	plugins/announce-packets.c \
	plugins/announce-packets.h
tests_unit_test_announce_packets_CFLAGS = $(UNIT_TEST_CFLAGS)
tests_unit_test_announce_packets_LDADD = $(UNIT_TEST_LDADD)

tests_unit_test_claim_SOURCES = \
	tests/unit/test-claim.c \
	agent/claim.c \
	agent/claim.h
tests_unit_test_claim_CFLAGS = $(UNIT_TEST_CFLAGS)
tests_unit_test_claim_LDADD = $(UNIT_TEST_LDADD)

tests_unit_test_flow_set_SOURCES = \
	tests/unit/test-flow-set.c \
	agent/flow-set.c \
	agent/flow-set.h
tests_unit_test_flow_set_CFLAGS = $(UNIT_TEST_CFLAGS)
tests_unit_test_flow_set_LDADD = $(UNIT_TEST_LDADD)

tests_unit_test_local_config_SOURCES = \
	tests/unit/test-local-config.c \
	agent/local-config.c \
	agent/local-config.h
tests_unit_test_local_config_CFLAGS = $(UNIT_TEST_CFLAGS)
tests_unit_test_local_config_LDADD = $(UNIT_TEST_LDADD)

# The pipeline and the plugin registry (which names the core pipeline) pull
# in the modules they use.
PIPELINE_TEST_SOURCES = \
	agent/binding.c \
	agent/chassis.c \
	agent/claim.c \
	agent/desired-flows.c \
	agent/first-packets.c \
	agent/flow-explain.c \
	agent/flow-set.c \
	agent/flow-tables.c \
	agent/ofctrl.c \
	agent/pipeline.c \
	agent/plugin.c \
	agent/port-monitor.c \
	agent/tunnels.c \
	agent/unknown-macs.c \
	plugins/announce.c \
	plugins/announce-packets.c

tests_unit_test_pipeline_SOURCES = \
	tests/unit/test-pipeline.c \
	$(PIPELINE_TEST_SOURCES)
tests_unit_test_pipeline_CFLAGS = $(UNIT_TEST_CFLAGS)
tests_unit_test_pipeline_LDADD = $(UNIT_TEST_LDADD)

tests_unit_test_binding_SOURCES = \
	tests/unit/test-binding.c \
	$(PIPELINE_TEST_SOURCES)
tests_unit_test_binding_CFLAGS = $(UNIT_TEST_CFLAGS)
tests_unit_test_binding_LDADD = $(UNIT_TEST_LDADD)

tests_unit_test_plugin_SOURCES = \
	tests/unit/test-plugin.c \
	$(PIPELINE_TEST_SOURCES)
tests_unit_test_plugin_CFLAGS = $(UNIT_TEST_CFLAGS)
tests_unit_test_plugin_LDADD = $(UNIT_TEST_LDADD)

tests_unit_test_validate_SOURCES = tests/unit/test-validate.c
tests_unit_test_validate_CFLAGS = $(UNIT_TEST_CFLAGS)
tests_unit_test_validate_LDADD = $(UNIT_TEST_LDADD)

# roam-stream: the sequenced UDP stream (loss, duplicates, blackout) and
# qemu's RARP announcement, for the migration tests and benchmark.  Plain C
# and libc: it runs inside VM namespaces.
noinst_PROGRAMS = tests/roam-stream
tests_roam_stream_SOURCES = tests/roam-stream.c
tests_roam_stream_LDADD =

EXTRA_DIST += \
	tests/run-unit-tests.sh \
	tests/system

TEST_ENVIRONMENT = \
	ROAM_SRCDIR='$(abs_top_srcdir)' ROAM_BUILDDIR='$(abs_top_builddir)' \
	ROAM_SYSTEMD_UNIT_DIR='$(systemdsystemunitdir)'

# The system tests' testbeds and logs (one also holds an installed tree).
clean-local:
	rm -rf tests/system/run tests/system/logs

check-unit: $(UNIT_TESTS)
	@$(srcdir)/tests/run-unit-tests.sh $(UNIT_TESTS)

check-system: all
	@$(TEST_ENVIRONMENT) $(srcdir)/tests/system/run.sh $(TESTSUITEFLAGS)

# The two halves run one after the other, also under "make -j", so that
# their output does not interleave and the system tests' summary comes last.
check-local: $(UNIT_TESTS)
	@$(srcdir)/tests/run-unit-tests.sh $(UNIT_TESTS)
	@$(TEST_ENVIRONMENT) $(srcdir)/tests/system/run.sh $(TESTSUITEFLAGS)

demo: all
	@$(TEST_ENVIRONMENT) $(srcdir)/scripts/demo.sh

.PHONY: check-unit check-system demo
