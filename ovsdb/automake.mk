# The Roam database: schema, generated IDL and the rules for its values,
# shared by roam-agent and roam-ctl in ovsdb/libroam.la.

ROAM_IDL_BUILT = ovsdb/roam-idl.c ovsdb/roam-idl.h
BUILT_SOURCES += $(ROAM_IDL_BUILT)
CLEANFILES += $(ROAM_IDL_BUILT) ovsdb/roam-idl.ovsidl
EXTRA_DIST += ovsdb/roam.ovsschema ovsdb/roam-idl.ann
pkgdata_DATA += ovsdb/roam.ovsschema
dist_man_MANS += ovsdb/roam.5

ovsdb/roam-idl.ovsidl: ovsdb/roam.ovsschema ovsdb/roam-idl.ann
	$(AM_V_GEN)$(MKDIR_P) ovsdb && \
	$(OVSDB_IDLC) annotate $(srcdir)/ovsdb/roam.ovsschema \
	    $(srcdir)/ovsdb/roam-idl.ann > $@.tmp && mv $@.tmp $@

ovsdb/roam-idl.c: ovsdb/roam-idl.ovsidl
	$(AM_V_GEN)$(OVSDB_IDLC) c-idl-source $< > $@.tmp && mv $@.tmp $@

ovsdb/roam-idl.h: ovsdb/roam-idl.ovsidl
	$(AM_V_GEN)$(OVSDB_IDLC) c-idl-header $< > $@.tmp && mv $@.tmp $@

noinst_LTLIBRARIES += ovsdb/libroam.la
ovsdb_libroam_la_SOURCES = \
	ovsdb/chassis-liveness.c \
	ovsdb/chassis-liveness.h \
	ovsdb/roam-validate.c \
	ovsdb/roam-validate.h
nodist_ovsdb_libroam_la_SOURCES = $(ROAM_IDL_BUILT)
