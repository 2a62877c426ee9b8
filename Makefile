# Two commands do everything on a fresh machine (Rust, Node/npm and apt present):
#   make run    installs what is missing, builds, serves the portal on SQLite in demo mode
#   make test   installs what is missing, runs every check and test, ends with one summary line
# and one more for performance figures:
#   make bench  release build, then requests/s and latency percentiles on 127.0.0.1
#   make release  the release build as production runs it
#   make fuzz   the hostile-input test at 200 mutations per server function and caller (make
#               test runs it at 8), on SQLite; FUZZ_SEED=n picks another sequence
.PHONY: run test bench release fuzz
run:
	@bash .ci/dev.sh run
test:
	@bash .ci/dev.sh test
bench:
	@bash .ci/dev.sh bench
release:
	@bash .ci/dev.sh release
fuzz:
	@bash .ci/dev.sh fuzz
