# Optional pipeline features (DESIGN section 4).  Their sources are part of
# roam-agent; agent/automake.mk, included before this file, starts the list.
#
# announce-packets: the RARP, gratuitous ARPs and unsolicited neighbor
# advertisements that announce a port after it moved here.
# announce: the plugin that sends them.
agent_roam_agent_SOURCES += \
	plugins/announce.c \
	plugins/announce.h \
	plugins/announce-packets.c \
	plugins/announce-packets.h

EXTRA_DIST += plugins/README.md
