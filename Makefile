# Everyday targets. `make run` starts Kefu with the demo tenant; `make test` runs the suite on
# SQLite and PostgreSQL, like CI.
.PHONY: run test test-sqlite test-postgres plugins fmt lint bench ci

run:
	./scripts/run-demo.sh

plugins:
	./scripts/build-plugins.sh

test: test-sqlite test-postgres

test-sqlite:
	cargo test --workspace

test-postgres:
	KEFU_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo test --workspace

fmt:
	cargo fmt --all
	cargo fmt --all --manifest-path plugins/Cargo.toml
	cargo fmt --all --manifest-path tests/plugins/Cargo.toml

lint:
	cargo clippy --workspace --all-targets -- -D warnings

bench:
	cargo run --release -p kefu-bench --bin bench-runtime
	cargo run --release -p kefu-bench --bin bench-scale

ci:
	bash .ci/run
