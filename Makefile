# raftsim: the two commands a newcomer needs are `make run` and `make test`.
CARGO ?= cargo
RAFTSIM := target/release/raftsim
# The CI gate: seeds of the default scenario that must all pass.
GATE_SEEDS ?= 4000
# The raft-rs gate: seeds of the default scenario run on tikv's raft-rs.
RAFT_RS_GATE_SEEDS ?= 1000

.PHONY: run test ci gate gate-raft-rs replay-traces determinism fmt lint bench build

build:
	$(CARGO) build --release --locked -p raftsim-cli

## run: build, then a default fuzz campaign on every core (progress bar on a terminal).
run: build
	$(RAFTSIM) fuzz --seeds 2000

## test: every test (unit, property, simulation, CLI), optimised.
test:
	$(CARGO) test --workspace --locked

fmt:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

## gate: the CI gate campaign; fails on any violation, with a JSON summary and a JUnit report.
gate: build
	$(RAFTSIM) fuzz --seeds $(GATE_SEEDS) --out target/gate-traces --json --junit target/raftsim-junit.xml > target/gate-summary.json

## gate-raft-rs: tikv's raft-rs through the same simulator and checker: no false alarm allowed.
gate-raft-rs: build
	$(RAFTSIM) fuzz --raft raft-rs --seeds $(RAFT_RS_GATE_SEEDS) --out target/gate-traces --json --junit target/raftsim-raft-rs-junit.xml > target/gate-raft-rs-summary.json

## replay-traces: every kept trace must still reproduce its recorded outcome.
replay-traces: build
	@set -e; for trace in $$(find traces -name '*.jsonl' | sort); do \
		echo "replay --check $$trace"; $(RAFTSIM) replay --check "$$trace" > /dev/null; \
	done

## determinism: the same seeds give the same digest on 1 and on 2 threads.
determinism: build
	@a=$$($(RAFTSIM) fuzz --seeds 300 --jobs 1 --json --out target/det-traces | grep '"digest"'); \
	b=$$($(RAFTSIM) fuzz --seeds 300 --jobs 2 --json --out target/det-traces | grep '"digest"'); \
	echo "jobs 1: $$a"; echo "jobs 2: $$b"; test "$$a" = "$$b"

## ci: everything CI runs.
ci: fmt lint test gate gate-raft-rs replay-traces determinism

## bench: speed figures (see README, Performance).
bench: build
	$(RAFTSIM) bench
