# chiso — reproducible reports of the citizen-and-business service index (QĐ 766/QĐ-TTg).
# `make` lists the targets. Every target creates .venv on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KERNEL := chiso

YEAR ?= 2026
QUARTER ?=
MONTH ?=
AS_OF ?=
UNIT ?=
SOURCE ?= sample
EDITION ?= public
JOBS ?=
SCALE ?=
METHODOLOGY ?= qd766-2022
FORCE ?=
PROVINCE ?=
OUT ?=
GEO ?=

.PHONY: help venv test chromium report fetch lab benchmark clean

help: ## Show this help
	@echo "chiso — make targets (variables: YEAR=$(YEAR) QUARTER=… UNIT=… SOURCE=$(SOURCE) EDITION=$(EDITION) JOBS=… SCALE=… METHODOLOGY=$(METHODOLOGY))"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "chiso (.venv)" >/dev/null
	@touch $(STAMP)

venv: $(STAMP) ## Create .venv, install chiso and register the Jupyter kernel

test: $(STAMP) chromium ## Run the test suite
	$(BIN)/python -m pytest -q

chromium: ## Install Debian's Chromium for the headless site check (needs root; skipped otherwise)
	@bash scripts/install-chromium.sh || echo "note: Chromium not installed; the screenshot tests will be skipped"

report: $(STAMP) ## Build reports: make report QUARTER=2 | YEAR=2026 [MONTH=11] [AS_OF=2026-12-15 UNIT=code SOURCE=sample|official:DIR|dossiers:DIR|dvcqg:PROVINCE DOSSIERS=DIR EDITION=public|internal JOBS=n FORCE=1 GEO=map.geojson]
	@test -n "$(QUARTER)$(MONTH)$(AS_OF)$(filter command line environment,$(origin YEAR))" || \
		{ echo "usage: make report QUARTER=<1-4> | YEAR=<year> [MONTH=<1-12>] [AS_OF=<date>]"; exit 2; }
	$(BIN)/chiso report --year $(YEAR) $(if $(QUARTER),--quarter $(QUARTER)) $(if $(MONTH),--month $(MONTH)) \
		$(if $(AS_OF),--as-of $(AS_OF)) --source "$(SOURCE)" --edition $(EDITION) \
		--methodology $(METHODOLOGY) $(if $(FORCE),--force) $(if $(UNIT),--unit $(UNIT)) $(if $(JOBS),--jobs $(JOBS)) $(if $(SCALE),--scale $(SCALE)) $(if $(GEO),--geo "$(GEO)") $(if $(DOSSIERS),--dossiers "$(DOSSIERS)")

fetch: $(STAMP) ## Fetch official results from the DVCQG portal: make fetch QUARTER=3 PROVINCE="Phú Thọ" [YEAR=2026 MONTH=8 OUT=DIR]
	@test -n "$(PROVINCE)" || { echo "usage: make fetch PROVINCE=<name|code|id> [QUARTER=<1-4>|MONTH=<1-12>] [YEAR=$(YEAR)] [OUT=DIR]"; exit 2; }
	$(BIN)/chiso fetch-official --province "$(PROVINCE)" \
		--period $(if $(MONTH),$(YEAR)-$(MONTH),$(if $(QUARTER),$(YEAR)-Q$(QUARTER),$(YEAR))) $(if $(OUT),--out "$(OUT)")

lab: $(STAMP) ## Start JupyterLab on the project kernel (notebooks/; kernel "chiso (.venv)")
	$(BIN)/jupyter lab --notebook-dir=notebooks --no-browser $(if $(filter 0,$(shell id -u)),--allow-root)

benchmark: $(STAMP) ## Run the benchmarks (prints figures; not tests)
	$(BIN)/python benchmarks/compute.py
	$(BIN)/python benchmarks/reports.py
	$(BIN)/python benchmarks/maps.py
	$(BIN)/python benchmarks/sync.py

clean: ## Remove generated reports and caches (keeps .venv)
	rm -rf reports/*/ .pytest_cache data/sample data/results
