bin_PROGRAMS += agent/roam-agent
agent_roam_agent_SOURCES = \
	agent/binding.c \
	agent/binding.h \
	agent/chassis.c \
	agent/chassis.h \
	agent/claim.c \
	agent/claim.h \
	agent/dead-chassis.c \
	agent/dead-chassis.h \
	agent/desired-flows.c \
	agent/desired-flows.h \
	agent/encap-iface.c \
	agent/encap-iface.h \
	agent/first-packets.c \
	agent/first-packets.h \
	agent/flow-explain.c \
	agent/flow-explain.h \
	agent/flow-set.c \
	agent/flow-set.h \
	agent/flow-tables.c \
	agent/flow-tables.h \
	agent/integration-bridge.c \
	agent/integration-bridge.h \
	agent/local-config.c \
	agent/local-config.h \
	agent/ofctrl.c \
	agent/ofctrl.h \
	agent/pipeline.c \
	agent/pipeline.h \
	agent/plugin.c \
	agent/plugin.h \
	agent/port-monitor.c \
	agent/port-monitor.h \
	agent/roam-agent.c \
	agent/tunnels.c \
	agent/tunnels.h \
	agent/unknown-macs.c \
	agent/unknown-macs.h
agent_roam_agent_CPPFLAGS = $(AM_CPPFLAGS) $(LIBNL_CFLAGS)
agent_roam_agent_LDADD = ovsdb/libroam.la $(OVS_LIBTOOL_LIB) $(LIBNL_LIBS)
dist_man_MANS += agent/roam-agent.8

# The systemd unit, with the installed roam-agent's path.
if INSTALL_SYSTEMD_UNIT
systemdsystemunit_DATA = agent/roam-agent.service
endif
agent/roam-agent.service: agent/roam-agent.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) agent && \
	sed -e 's|@bindir[@]|$(bindir)|g' $(srcdir)/agent/roam-agent.service.in > $@.tmp && \
	mv $@.tmp $@
noinst_DATA += agent/roam-agent.service
EXTRA_DIST += agent/roam-agent.service.in
CLEANFILES += agent/roam-agent.service
