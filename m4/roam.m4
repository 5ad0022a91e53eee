# ROAM_CHECK_OVS
# --------------
# Locates an Open vSwitch source tree and a build tree in which
# libopenvswitch has been built, as OVN does.  Without --with-ovs-source and
# without $OVS_DIR, runs scripts/build-ovs.sh, which builds Debian's
# openvswitch-source into a cache and prints the tree.
#
# Substitutes OVS_SRCDIR, OVS_BUILDDIR, OVS_CPPFLAGS, OVS_LIBTOOL_LIB,
# OVSDB_IDLC, OVS_VERSION and writes ovs-config.h, a copy of OVS's config.h
# without its package identity.
AC_DEFUN([ROAM_CHECK_OVS], [
  AC_ARG_WITH([ovs-source],
    [AS_HELP_STRING([--with-ovs-source=DIR],
                    [Open vSwitch source tree (default: $OVS_DIR, or built by scripts/build-ovs.sh)])],
    [ovs_srcdir=$withval], [ovs_srcdir=$OVS_DIR])
  AC_ARG_WITH([ovs-build],
    [AS_HELP_STRING([--with-ovs-build=DIR],
                    [Open vSwitch build tree (default: the source tree)])],
    [ovs_builddir=$withval], [ovs_builddir=])

  AS_IF([test -z "$ovs_srcdir"], [
    AC_MSG_NOTICE([no --with-ovs-source: running scripts/build-ovs.sh])
    ovs_srcdir=`$srcdir/scripts/build-ovs.sh` ||
      AC_MSG_ERROR([scripts/build-ovs.sh failed; see its messages above])
  ])
  ovs_srcdir=`cd "$ovs_srcdir" && pwd` ||
    AC_MSG_ERROR([--with-ovs-source: $ovs_srcdir is not a directory])
  AS_IF([test -z "$ovs_builddir"], [ovs_builddir=$ovs_srcdir])
  ovs_builddir=`cd "$ovs_builddir" && pwd` ||
    AC_MSG_ERROR([--with-ovs-build: $ovs_builddir is not a directory])

  AC_MSG_CHECKING([for an Open vSwitch source tree])
  AS_IF([test -f "$ovs_srcdir/vswitchd/bridge.c"],
        [AC_MSG_RESULT([$ovs_srcdir])],
        [AC_MSG_ERROR([$ovs_srcdir has no vswitchd/bridge.c: not an Open vSwitch source tree])])
  AC_MSG_CHECKING([for a built Open vSwitch library])
  AS_IF([test -f "$ovs_builddir/config.h" &&
         test -f "$ovs_builddir/lib/libopenvswitch.la" &&
         test -f "$ovs_builddir/lib/vswitch-idl.h"],
        [AC_MSG_RESULT([$ovs_builddir])],
        [AC_MSG_ERROR([$ovs_builddir has no built lib/libopenvswitch.la; run scripts/build-ovs.sh])])

  OVS_VERSION=`sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$ovs_builddir/config.h"`
  AC_MSG_CHECKING([Open vSwitch library version])
  AC_MSG_RESULT([$OVS_VERSION])

  dnl The library must be the Open vSwitch that runs the switch: the agent
  dnl speaks its OpenFlow extensions and reads its database schema.
  AC_MSG_CHECKING([installed Open vSwitch version])
  ovs_installed=`ovs-vswitchd --version 2>/dev/null | sed -n '1s/.* \([[0-9]][[0-9.]]*\)$/\1/p'`
  AS_IF([test -z "$ovs_installed"],
        [AC_MSG_RESULT([none])
         AC_MSG_WARN([ovs-vswitchd is not installed; roam-agent needs Open vSwitch $OVS_VERSION at run time])],
        [test "$ovs_installed" != "$OVS_VERSION"],
        [AC_MSG_RESULT([$ovs_installed])
         AC_MSG_ERROR([the Open vSwitch library is $OVS_VERSION but the installed Open vSwitch is $ovs_installed; build against a matching tree (scripts/build-ovs.sh uses Debian's openvswitch-source)])],
        [AC_MSG_RESULT([$ovs_installed])])

  OVS_SRCDIR=$ovs_srcdir
  OVS_BUILDDIR=$ovs_builddir
  OVS_CPPFLAGS="-I$ovs_builddir/include -I$ovs_srcdir/include -I$ovs_builddir/lib -I$ovs_srcdir/lib -I$ovs_builddir -I$ovs_srcdir"
  OVS_LIBTOOL_LIB="$ovs_builddir/lib/libopenvswitch.la"
  OVSDB_IDLC="PYTHONPATH=$ovs_srcdir/python PYTHONDONTWRITEBYTECODE=yes $PYTHON3 $ovs_srcdir/ovsdb/ovsdb-idlc.in"
  AC_SUBST([OVS_SRCDIR])
  AC_SUBST([OVS_BUILDDIR])
  AC_SUBST([OVS_CPPFLAGS])
  AC_SUBST([OVS_LIBTOOL_LIB])
  AC_SUBST([OVSDB_IDLC])
  AC_SUBST([OVS_VERSION])
  AC_DEFINE_UNQUOTED([ROAM_OVS_VERSION], ["$OVS_VERSION"],
                     [Version of the Open vSwitch library Roam is built with.])

  AC_CONFIG_COMMANDS([ovs-config.h],
    [sed -e '/PACKAGE/d' -e '/define VERSION /d' "$ovs_builddir/config.h" > ovs-config.h.tmp &&
     mv ovs-config.h.tmp ovs-config.h],
    [ovs_builddir='$ovs_builddir'])
])
