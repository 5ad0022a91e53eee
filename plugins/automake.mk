# Optional pipeline features (DESIGN section 4).  The plugin interface and
# the first plugins arrive with the data path.
EXTRA_DIST += plugins/README.md
