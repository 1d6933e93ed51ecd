# The public interface of xxgk. Every target creates .venv/ first if it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed
export XXGK_DATA_DIR ?= $(CURDIR)/data
export DAGSTER_DISABLE_TELEMETRY := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export GX_ANALYTICS_ENABLED := False

.PHONY: run dev test fuzz bench lint format lock clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

# dagster-dbt reads dbt's manifest; it is rebuilt whenever a file of the dbt project changes.
MANIFEST := dbt/target/manifest.json
$(MANIFEST): $(STAMP) $(shell find dbt -name '*.sql' -o -name '*.yml' 2>/dev/null)
	cd dbt && ../$(BIN)/dbt parse --quiet --profiles-dir .

## run: the whole pipeline on every year folder of $(XXGK_DATA_DIR), then a summary
run: $(STAMP) $(MANIFEST)
	$(BIN)/xxgk run

## dev: the Dagster UI on http://127.0.0.1:3000, quality reports on :3001 (DEV_ARGS="--port N")
dev: $(STAMP) $(MANIFEST)
	$(BIN)/xxgk dev $(DEV_ARGS)

## test: the whole test suite
test: $(STAMP) $(MANIFEST)
	$(BIN)/pytest -n 2 --dist loadgroup

## fuzz: the property tests with new random examples, 20 times the budget of `make test`
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=explore XXGK_FUZZ_SCALE=20 $(BIN)/pytest -n 2 tests/test_fuzz.py

## bench: every stage on 100,000 synthetic reports (BENCH_ARGS="--quick" for 2,000)
bench: $(STAMP) $(MANIFEST)
	$(BIN)/xxgk bench $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## lock: re-pin every dependency after editing pyproject.toml
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
