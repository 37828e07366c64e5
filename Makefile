# Assistant des chargé(e)s de coopération — the two set-up commands are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
INSTALLED := $(VENV)/.installed
MODEL := models/assistant.tar.gz
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null)

export RASA_PORT ?= 5005
export ACTION_PORT ?= 5055
export ACTION_SERVER_URL ?= http://localhost:$(ACTION_PORT)/webhook
export CORS_ORIGINS ?= http://localhost:8080
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
# Rasa 3.6's dependencies print pages of deprecation warnings at start: keep the logs readable.
export PYTHONWARNINGS ?= ignore::DeprecationWarning,ignore::PendingDeprecationWarning

.PHONY: help install kb model run test lint format clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(INSTALLED): requirements.txt requirements-dev.txt
	@python310="$$(scripts/find-python310)" || exit 1; \
	  if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
	    rm -rf $(VENV) && "$$python310" -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip check
	@touch $@

install: $(INSTALLED) ## Create the Python 3.10 virtual environment (quick when nothing changed)

kb: $(INSTALLED) ## Build the knowledge base from knowledge/ if its content changed
	$(PY) -m bot.kb build --if-changed

$(MODEL): $(INSTALLED) $(TRAINING_INPUTS)
	$(RASA) train --fixed-model-name assistant --out models
	@touch $@

model: $(MODEL) ## Train the Rasa model if the training data or config changed

run: kb model ## Start the action server (ACTION_PORT) and the Rasa server (RASA_PORT); Ctrl-C stops both
	$(VENV)/bin/honcho --procfile Procfile start

test: kb model ## Run every check: lint, rasa data validate, pytest (live stack included)
	$(VENV)/bin/ruff check bot actions tests
	$(RASA) data validate --fail-on-warnings
	$(PY) -m pytest

lint: $(INSTALLED) ## ruff lint and format check (format check is not part of make test)
	$(VENV)/bin/ruff check bot actions tests
	$(VENV)/bin/ruff format --check bot actions tests

format: $(INSTALLED) ## Format the code with ruff
	$(VENV)/bin/ruff format bot actions tests

clean: ## Remove the trained models and the local databases (not the venv)
	rm -rf models/*.tar.gz var/
