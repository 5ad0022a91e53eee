# Set-up scripts and the netns testbed.
EXTRA_DIST += \
	scripts/bench-datapath.sh \
	scripts/bench-lib.sh \
	scripts/bench-migration.sh \
	scripts/bench-scale.sh \
	scripts/bench-throughput.sh \
	scripts/build-ovs.sh \
	scripts/install-deps.sh \
	scripts/demo.sh
dist_bin_SCRIPTS += scripts/roam-testbed

# The libvirt qemu hook: operators link it as /etc/libvirt/hooks/qemu or
# into /etc/libvirt/hooks/qemu.d/ (see README.md).
dist_pkgdata_SCRIPTS = scripts/roam-libvirt-hook
