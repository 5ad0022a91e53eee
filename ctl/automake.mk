bin_PROGRAMS += ctl/roam-ctl
ctl_roam_ctl_SOURCES = \
	ctl/chassis-watch.c \
	ctl/chassis-watch.h \
	ctl/roam-ctl.c
ctl_roam_ctl_LDADD = ovsdb/libroam.la $(OVS_LIBTOOL_LIB)
dist_man_MANS += ctl/roam-ctl.8
