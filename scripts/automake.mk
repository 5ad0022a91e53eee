# Set-up scripts and the netns testbed.
EXTRA_DIST += \
	scripts/bench-datapath.sh \
	scripts/build-ovs.sh \
	scripts/install-deps.sh \
	scripts/demo.sh
dist_bin_SCRIPTS += scripts/roam-testbed
