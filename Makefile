# Assistant des chargé(e)s de coopération — the two set-up commands are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
INSTALLED := $(VENV)/.installed
MODEL := models/assistant.tar.gz
SOCKETIO_CLIENT := web/static/vendor/socket.io.min.js
CHART_JS := web/static/vendor/chart.umd.js
# A test asset (the browser tests' accessibility audit): stays in node_modules, never served.
AXE_CORE := web/node_modules/axe-core/axe.min.js
CHROMIUM ?= /usr/bin/chromium
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) \
  $(wildcard components/*.py) bot/textmodel.py bot/text.py

export RASA_PORT ?= 5005
export ACTION_PORT ?= 5055
export ACTION_SERVER_URL ?= http://localhost:$(ACTION_PORT)/webhook
export WEB_PORT ?= 8080
export DEMO_PORT ?= 8081
export RASA_PUBLIC_URL ?= http://localhost:$(RASA_PORT)
export WEB_PUBLIC_URL ?= http://localhost:$(WEB_PORT)
# Browser origins allowed to call Rasa (REST and socket.io), space-separated.
export CORS_ORIGINS ?= http://localhost:$(WEB_PORT) http://localhost:$(DEMO_PORT)
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
# Rasa 3.6's dependencies print pages of deprecation warnings at start: keep the logs readable.
export PYTHONWARNINGS ?= ignore::DeprecationWarning,ignore::PendingDeprecationWarning

.PHONY: help install kb model web browser run test stories eval bench lint format clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(INSTALLED): requirements.txt requirements-dev.txt
	@python310="$$(scripts/find-python310)" || exit 1; \
	  if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
	    rm -rf $(VENV) && "$$python310" -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip check
	@# The project's packages (bot, actions, channels, components) importable from any folder:
	@# Rasa loads components.relevance wherever it trains (the console's candidates, the bench).
	$(PY) -c 'import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()["purelib"], "cooperation-assistant.pth").write_text("$(CURDIR)\n")'
	@touch $@

install: $(INSTALLED) ## Create the Python 3.10 virtual environment (quick when nothing changed)

kb: $(INSTALLED) ## Build the knowledge base from knowledge/ if its content changed
	$(PY) -m bot.kb build --if-changed

# The phase and theme entities are generated from the knowledge content (phase aliases,
# mission keywords, synonyms), so the two never drift: any content file can change them.
data/nlu/lookups.yml: $(shell find knowledge -name '*.yml') $(INSTALLED)
	$(PY) -m bot.kb export-nlu
	@touch $@

$(MODEL): $(INSTALLED) $(TRAINING_INPUTS) data/nlu/lookups.yml
	$(RASA) train --fixed-model-name assistant --out models
	@touch $@

model: $(MODEL) ## Train the Rasa model if the training data or config changed

# Front-end packages (socket.io-client for the widget, Chart.js for the review console's
# dashboard) come from the npm registry, pinned by web/package-lock.json, and are
# served from our own origin (no CDN). axe-core is installed for the tests, not copied.
$(SOCKETIO_CLIENT) $(CHART_JS) $(AXE_CORE) &: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	mkdir -p $(dir $(SOCKETIO_CLIENT))
	cp web/node_modules/socket.io-client/dist/socket.io.min.js $(SOCKETIO_CLIENT)
	cp web/node_modules/chart.js/dist/chart.umd.min.js $(CHART_JS)
	@touch $(AXE_CORE)  # npm keeps the package's 1985 dates: make would run npm ci every time

web: $(SOCKETIO_CLIENT) $(CHART_JS) $(AXE_CORE) ## Copy the npm assets (socket.io-client, Chart.js) into web/static/vendor; install axe-core for the tests

browser: ## Install Debian's chromium for the browser tests if it is missing (needs root)
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "Chromium manque : installez le paquet Debian « chromium » (sudo apt-get install chromium)." >&2; exit 1; fi

# The review console puts the models it trains in service through Rasa's HTTP API (PUT /model),
# which the Procfile (and cluster/run.py) turn on when RASA_API_TOKEN is set: make run and
# make run-cluster give it one when none is, generated once into var/rasa-api-token (mode 600)
# and kept, so the web process and Rasa share it.
RASA_API_TOKEN_FILE := var/rasa-api-token
ifeq ($(RASA_API_TOKEN),)
run run-cluster: export RASA_API_TOKEN = $(shell test -s $(RASA_API_TOKEN_FILE) || (mkdir -p var && umask 077 && \
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > $(RASA_API_TOKEN_FILE)); cat $(RASA_API_TOKEN_FILE))
endif

# supervisord (cluster/supervision.py) runs the Procfile's processes: one that dies is started
# again while the others keep serving; one that dies at every start is given up (FATAL).
run: kb model web ## Start the action server, the Rasa server and the web pages under supervisord; Ctrl-C stops them
	$(PY) -m cluster.supervision run --procfile Procfile

test: kb model web browser ## Run every check: lint, rasa data validate, conversation stories, pytest (live stack included)
	$(VENV)/bin/ruff check bot actions channels tests bench
	$(RASA) data validate --fail-on-warnings
	$(MAKE) --no-print-directory stories
	$(PY) -m pytest

stories: model ## Conversation tests: every flow of tests/stories must be predicted exactly
	$(RASA) test core --stories tests/stories --model $(MODEL) --fail-on-prediction-errors --out results/stories

eval: $(INSTALLED) ## Score the RUNNING assistant (make run) on the sets of evaluation/ (every set but blind: development, held-out, fresh, audit, field, sound, check, probe, survey, trial, panel)
	$(PY) -m bot.evaluation --url http://localhost:$(RASA_PORT) --failures

bench: kb model web ## Benchmarks side by side with a bare Rasa (~10 min); writes BENCHMARKS.md
	$(PY) -m bench.run

lint: $(INSTALLED) ## ruff lint and format check (format check is not part of make test)
	$(VENV)/bin/ruff check bot actions channels tests bench
	$(VENV)/bin/ruff format --check bot actions channels tests bench

format: $(INSTALLED) ## Format the code with ruff
	$(VENV)/bin/ruff format bot actions channels tests bench

# --- Several replicas behind nginx (cluster/): PostgreSQL, Redis, N Rasa + N action servers ---
NGINX ?= /usr/sbin/nginx
export CLUSTER_REPLICAS ?= 2
export CLUSTER_PORT ?= 8000
# Where the shared state lives (cluster/endpoints.yml, cluster/run.py): the machine's running
# servers by default; cluster/run.py starts local ones under var/cluster/ when none answers.
export CLUSTER_POSTGRES_URL ?= postgresql+psycopg2://postgres@127.0.0.1:5432/assistant
export REDIS_HOST ?= 127.0.0.1
export REDIS_PORT ?= 6379

.PHONY: cluster-deps run-cluster bench-cluster lint-cluster

# make test runs the cluster tests (nginx needed) and lints cluster/ too.
test: cluster-deps lint-cluster
lint: lint-cluster

lint-cluster: $(INSTALLED)
	$(VENV)/bin/ruff check cluster

cluster-deps: ## Install Debian's nginx-light for the cluster if it is missing (needs root)
	@if [ -x "$(NGINX)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then apt-get update -qq && RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq --no-install-recommends nginx-light >/dev/null; \
	else echo "nginx manque : installez le paquet Debian « nginx-light » (sudo apt-get install nginx-light)." >&2; exit 1; fi

run-cluster: model web cluster-deps ## N Rasa replicas + N action servers on PostgreSQL and Redis, behind nginx (CLUSTER_PORT)
	$(PY) -m cluster.run --replicas $(CLUSTER_REPLICAS) --port $(CLUSTER_PORT) --model $(MODEL)

bench-cluster: model cluster-deps ## The same load against 1, 2 and 3 replicas behind nginx (~8 min)
	$(PY) -m cluster.bench

clean: ## Remove the trained models and the local databases (not the venv)
	rm -rf models/*.tar.gz var/ web/static/vendor
