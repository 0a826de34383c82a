# One interface for everything: each target sets itself up (creates .venv when missing).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAYER_LOCK := layers/smsgate/requirements.lock
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0

.PHONY: venv run test lint format typecheck validate unit integration e2e infra bench build deploy audit clean permissions

venv: $(STAMP)

# The layer's lock first, hashes checked, then the dev tools under its versions (the lock less
# its hashes, which in a constraints file would ask every dev tool for one): the tests run what
# the layer ships (layers/smsgate/Makefile, lock). phonenumberslite installs the same module as
# phonenumbers, which a venv made before the lock holds: that one goes first.
$(STAMP): requirements-dev.txt $(LAYER_LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip uninstall --quiet --yes phonenumbers
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LAYER_LOCK)
	sed -e '/--hash=/d' -e 's/ *\\$$//' $(LAYER_LOCK) > $(VENV)/layer-constraints.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c $(VENV)/layer-constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## run: the whole system locally (moto on :5000, HTTP API on :3000, consumers, schedule, simulator)
run: venv
	$(BIN)/python -m local_stack.runner

## audit: run the threshold audit once against the running local stack
audit: venv
	$(BIN)/python -m local_stack.audit_once

## test: lint, types, template validation and every test
test: lint typecheck validate
	$(BIN)/python -m pytest -q

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: venv
	$(BIN)/mypy layers/smsgate/smsgate functions local_stack smsgate_cli

validate: venv
	$(BIN)/sam validate --lint --template template.yaml --region $(AWS_DEFAULT_REGION)

unit: venv
	$(BIN)/python -m pytest -q tests/unit
integration: venv
	$(BIN)/python -m pytest -q tests/integration
e2e: venv
	$(BIN)/python -m pytest -q tests/e2e
infra: venv
	$(BIN)/python -m pytest -q tests/infra

## permissions: the grants of each function's role that no recorded AWS call used
## (docs/guarantees.md#permissions); records the integration and e2e suites first, or reads RECORDING=<file>
RECORDING ?=
permissions: venv
	@recording="$(RECORDING)"; \
	if [ -z "$$recording" ]; then \
		recording=.permissions/aws-calls.jsonl; mkdir -p .permissions; \
		SMSGATE_RECORD_AWS_CALLS=$$PWD/$$recording $(BIN)/python -m pytest -q tests/integration tests/e2e \
			|| echo "(tests failed: the recording may miss calls)"; \
	fi; \
	$(BIN)/python -m tests.permissions.report $$recording

## bench: benchmarks; prints a table and writes bench/results.json
bench: venv
	$(BIN)/python -m bench

## build: sam build for python3.13/arm64 without Docker (BuildMethod: makefile)
build: venv
	$(BIN)/sam build --template template.yaml

## deploy: sam deploy to the environment ENV (dev by default) of samconfig.toml
ENV ?= dev
deploy: build
	$(BIN)/sam deploy --config-env $(ENV)

clean:
	rm -rf .aws-sam .mypy_cache .ruff_cache .pytest_cache
