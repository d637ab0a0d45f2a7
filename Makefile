# The Open edX cookiecutter's vocabulary. Every target sets itself up on a fresh clone: the
# virtualenv is (re)built whenever setup.py or a requirements file is newer than its stamp.
.DEFAULT_GOAL := help
.PHONY: help requirements tutor-env test test-integration test-tutor browser-env test-browser test-lms test-all extract_translations quality format demo bench crash-drill clean distclean

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# 3.12 if the machine has it, else 3.11, else whatever python3 is. pyenv shims sit on PATH but
# fail for versions not selected, so each candidate must actually run (and be >= 3.11).
PYTHON_CANDIDATES := python3.12 $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) \
	python3.11 $(wildcard $(HOME)/.pyenv/versions/3.11*/bin/python3.11) python3

help: ## list the targets
	@grep -E '^[a-z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): setup.py requirements/test.txt requirements/dev.txt
	@if [ ! -x $(PY) ]; then \
		for candidate in $(PYTHON_CANDIDATES); do \
			if "$$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
				echo "creating $(VENV) with $$candidate ($$("$$candidate" --version))"; \
				"$$candidate" -m venv $(VENV) && break; \
			fi; \
		done; \
		[ -x $(PY) ] || { echo "no Python >= 3.11 found (tried: $(PYTHON_CANDIDATES))" >&2; exit 1; }; \
	fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e . -r requirements/dev.txt
	touch $(STAMP)

requirements: $(STAMP) ## create .venv and install the package with its test and dev requirements

# tutor lives in a virtualenv of its own: its dependencies' pins clash with celery's (requirements/tutor.txt).
TUTOR_STAMP := .venv-tutor/.installed
$(TUTOR_STAMP): requirements/tutor.txt tutor-contrib-commerce-plugin/pyproject.toml $(STAMP)
	[ -x .venv-tutor/bin/python ] || "$$(readlink -f $(PY))" -m venv .venv-tutor
	.venv-tutor/bin/python -m pip install --quiet --upgrade pip
	.venv-tutor/bin/python -m pip install --quiet -r requirements/tutor.txt
	touch $(TUTOR_STAMP)

tutor-env: $(TUTOR_STAMP) ## create .venv-tutor with tutor and the Tutor plugin (for tests/tutor)

test: $(STAMP) ## the fast unit suite (SQLite, eager Celery), and the example adapter package's
	$(PY) -m pytest -m "not integration and not browser" tests examples/commerce-plugin-razorpay/tests

test-integration: $(STAMP) ## real MariaDB, Redis, celery worker and HTTP server; the wheel alone and the hand-run sandbox (skips if services are down)
	$(PY) -m pytest -m integration -rs --durations=5 tests/integration tests/test_packaging.py tests/test_sandbox.py tests/test_readme_sandbox.py

# The plugin's events through a real event bus (edx-event-bus-redis on the Redis at 127.0.0.1:6379,
# a consumer in another process) on both Avro serializers LMSs run: openedx-events 11 in .venv
# (Python 3.12) and openedx-events 10 in .venv-bus10 (Python 3.11, Django 4.2, openedx-filters 2:
# requirements/eventbus10.txt). Without Python 3.12 the .venv run is skipped, saying so (a failure
# where CI=true); without Python 3.11 there is no .venv-bus10 and the target fails.
.PHONY: test-eventbus
BUS10_VENV := .venv-bus10
BUS10_PY := $(BUS10_VENV)/bin/python
BUS10_STAMP := $(BUS10_VENV)/.installed
BUS10_PYTHON_CANDIDATES := python3.11 $(wildcard $(HOME)/.pyenv/versions/3.11*/bin/python3.11)
EVENTBUS_PYTEST := -m pytest tests/eventbus -rs -p no:cacheprovider
EVENTBUS_VERSIONS := -c 'import sys; from importlib.metadata import version; \
names = ["openedx-events", "edx-event-bus-redis", "Django", "openedx-filters"]; \
print("== event bus tests on Python", sys.version.split()[0] + ":", ", ".join(n + " " + version(n) for n in names))'

$(BUS10_STAMP): setup.py requirements/eventbus10.txt
	@if [ ! -x $(BUS10_PY) ]; then \
		for candidate in $(BUS10_PYTHON_CANDIDATES); do \
			if "$$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then \
				echo "creating $(BUS10_VENV) with $$candidate ($$("$$candidate" --version))"; \
				"$$candidate" -m venv $(BUS10_VENV) && break; \
			fi; \
		done; \
		[ -x $(BUS10_PY) ] || { echo "no Python 3.11 for $(BUS10_VENV) (tried: $(BUS10_PYTHON_CANDIDATES))" >&2; exit 1; }; \
	fi
	$(BUS10_PY) -m pip install --quiet --upgrade pip
	$(BUS10_PY) -m pip install --quiet -e . -r requirements/eventbus10.txt
	touch $(BUS10_STAMP)

test-eventbus: $(STAMP) $(BUS10_STAMP) ## every plugin event through edx-event-bus-redis to a consumer process, on openedx-events 11 and 10
	@if $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
		$(PY) $(EVENTBUS_VERSIONS) && COMMERCE_IT_REQUIRED=1 $(PY) $(EVENTBUS_PYTEST); \
	else \
		echo "== SKIPPED the openedx-events 11 run: $(VENV) is Python $$($(PY) -c 'import platform; print(platform.python_version())'), openedx-events 11 needs 3.12"; \
		[ "$$CI" != true ] || { echo "CI=true: the openedx-events 11 run is required" >&2; exit 1; }; \
	fi
	@$(BUS10_PY) $(EVENTBUS_VERSIONS)
	COMMERCE_IT_REQUIRED=1 $(BUS10_PY) $(EVENTBUS_PYTEST)

test-tutor: $(TUTOR_STAMP) ## the Tutor plugin rendered by a real tutor (no Docker)
	$(PY) -m pytest tests/tutor

# Playwright drives Debian's chromium: Playwright's own browser download is not used (nor reachable everywhere).
BROWSER_STAMP := $(VENV)/.browser-installed
$(BROWSER_STAMP): requirements/browser.txt $(STAMP)
	$(PY) -m pip install --quiet -r requirements/browser.txt
	touch $(BROWSER_STAMP)

# Installing chromium changes the machine: the script says what it will run before it runs it, and
# outside CI refuses to upgrade or remove any package already installed (tests/test_browser_env.py).
CHROMIUM := /usr/bin/chromium
browser-env: $(BROWSER_STAMP) ## playwright in .venv, and Debian's chromium when missing (apt-get, sudo if not root; never upgrades installed packages outside CI)
	@bash tests/browser/install_chromium.sh $(CHROMIUM)

test-browser: browser-env ## real-browser tests (headless chromium): admin dashboard, retry, learner checkout
	COMMERCE_BROWSER_REQUIRED=1 $(PY) -m pytest -m browser -rs --durations=5 tests/browser

# The in-LMS suite (tests/platform) inside a real openedx-platform checkout, with that checkout's own
# pytest configuration, conftest and lms.envs.test settings:
#   make test-lms LMS_ROOT=/path/to/openedx-platform LMS_VENV=/path/to/its/venv [ARGS="-k orders -x"]
# The plugin is installed editable into LMS_VENV; of its dependencies only those the LMS lacks (stripe)
# are added, every package the LMS already has pinned at the LMS's version. The suite is reached
# through a link inside the checkout (removed afterwards) so the LMS's root conftest.py applies.
LMS_LINK = commerce_plugin_lms_tests
# One file or test instead of the whole suite: LMS_TESTS=commerce_plugin_lms_tests/test_lms_orders.py
LMS_TESTS ?= $(LMS_LINK)
.PHONY: lms-plugin footprint-lms
lms-plugin:
	@[ -n "$(LMS_ROOT)" ] && [ -f "$(LMS_ROOT)/lms/envs/test.py" ] || { \
		echo "LMS_ROOT must name an openedx-platform checkout (lms/envs/test.py not found in '$(LMS_ROOT)')" >&2; exit 2; }
	@[ -x "$(LMS_VENV)/bin/python" ] && "$(LMS_VENV)/bin/python" -c "import django, xmodule" 2>/dev/null || { \
		echo "LMS_VENV must name the virtualenv the LMS's test requirements are installed in ('$(LMS_VENV)')" >&2; exit 2; }
	"$(LMS_VENV)/bin/python" -m pip freeze --exclude-editable | grep -v " @ " > "$(LMS_VENV)/commerce-plugin-lms-pins.txt"
	"$(LMS_VENV)/bin/python" -m pip install --quiet -c "$(LMS_VENV)/commerce-plugin-lms-pins.txt" -e .

# After a passing suite, test-lms also measures the plugin's footprint (FOOTPRINT_RUNS=0 skips it).
test-lms: lms-plugin ## the in-LMS suite in a real openedx-platform, then footprint-lms: LMS_ROOT=<checkout> LMS_VENV=<its venv> [ARGS=...]
	mkdir -p "$(LMS_ROOT)/test_root/log"
	ln -sfn "$(CURDIR)/tests/platform" "$(LMS_ROOT)/$(LMS_LINK)"
	cd "$(LMS_ROOT)" && PYTHONHASHSEED=$${PYTHONHASHSEED:-0} "$(LMS_VENV)/bin/python" -m pytest $(LMS_TESTS) \
		--create-db -p no:cacheprovider -W ignore::DeprecationWarning -W ignore::PendingDeprecationWarning $(ARGS); status=$$?; rm -f "$(LMS_ROOT)/$(LMS_LINK)"; exit $$status
	$(if $(filter-out 0,$(FOOTPRINT_RUNS)),$(FOOTPRINT))

# What installing the plugin adds to one LMS process (issue 19, item 4), with no Stripe store: the
# resident memory after django.setup() and the URLconf under lms.envs.test, against the same start-up
# with the plugin's entry points hidden, and the -X importtime self time of the modules only the
# plugin imports (its own and what they alone pull in), naming the top ones and who imports stripe.
# Prints PASS/FAIL against 5 MB and 100 ms; fails only when the measurement itself breaks.
FOOTPRINT_RUNS ?= 3
FOOTPRINT = cd "$(LMS_ROOT)" && "$(LMS_VENV)/bin/python" "$(CURDIR)/tests/platform/footprint.py" --runs $(FOOTPRINT_RUNS)
footprint-lms: lms-plugin ## what the plugin adds to one LMS process (RSS, import time, stripe?): LMS_ROOT=... LMS_VENV=... [FOOTPRINT_RUNS=3]
	$(FOOTPRINT)

test-all: $(TUTOR_STAMP) browser-env test test-browser test-integration test-eventbus ## unit suite (Tutor plugin included), browser tests, the integration suite, then the event bus on openedx-events 11 and 10

quality: $(STAMP) ## ruff lint and format check, and the package's layer contracts (.importlinter: no import circles)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

extract_translations: $(STAMP) ## regenerate commerce_plugin/conf/locale/en/LC_MESSAGES/django.po (needs gettext)
	@command -v xgettext >/dev/null || { \
		echo "installing gettext (makemessages runs xgettext)"; \
		sudo=$$([ "$$(id -u)" = 0 ] || echo "sudo -n"); \
		$$sudo apt-get update -qq && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext </dev/null; }
	mkdir -p commerce_plugin/conf/locale
	cd commerce_plugin && DJANGO_SETTINGS_MODULE=sandbox.settings PYTHONPATH=.. \
		../$(PY) -m django makemessages --locale en --add-location file --no-obsolete

format: $(STAMP) ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

demo: $(STAMP) ## a signed order over HTTP, fulfilled by a worker, in a throwaway sandbox
	$(PY) demo/run_demo.py

bench: $(STAMP) ## benchmarks on MariaDB + Redis + gunicorn + celery workers: a table and bench/results.json
	$(PY) -m pip install --quiet -r requirements/bench.txt || { \
		echo "pip install failed; make bench measures with mysqlclient, the LMS's MySQL driver, which builds" \
		     "against the MariaDB client headers: apt-get install -y libmariadb-dev pkg-config gcc" >&2; exit 1; }
	$(PY) bench/run.py

crash-drill: $(STAMP) ## a 2,000-order burst with the worker's pool SIGKILLed mid-way (KILL=worker: the whole worker); counts enrollments against orders
	$(PY) bench/crash.py --kill $(or $(KILL),pool) $(if $(ORDERS),--orders $(ORDERS))

# The release artefacts of both packages, checked as PyPI will check them (.github/workflows/release.yml
# runs the same): dist/ gets commerce-plugin's and tutor-contrib-commerce-plugin's sdist and wheel.
.PHONY: dist
dist: $(STAMP) ## build the sdist and wheel of both packages into dist/ and run twine check on them
	rm -rf dist
	$(PY) -m build --outdir dist .
	$(PY) -m build --outdir dist tutor-contrib-commerce-plugin
	$(PY) -m twine check --strict dist/*

clean: ## remove build output, caches and sandbox data (keeps .venv)
	rm -rf .sandbox build dist *.egg-info .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean ## clean, and remove the virtualenv too
	rm -rf $(VENV)
