# The two set-up commands of the README: `make run` and `make test`.
PY := .venv/bin/python
SYSTEM_PACKAGES := chromium fonts-wqy-zenhei gettext

.PHONY: run test setup setup-dev venv venv-dev npm system lint demo-reset benchmark

# When `make` started: `make run` prints how long the set-up and the start took.
export RUN_STARTED := $(shell date +%s)

# The site's own dependencies (requirements.txt) for `make run`; the test tools on top for `make test`.
venv: .venv/.runtime
.venv/.runtime: requirements.txt
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

venv-dev: .venv/.installed
.venv/.installed: .venv/.runtime requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

npm: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Debian packages the tests need (browser, CJK font for PDFs). Installed only when missing.
system:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "please install:$$missing (apt-get install -y$$missing)"; exit 1; fi; \
	fi

setup: venv npm
setup-dev: venv-dev npm

run: setup
	scripts/run.sh

test: setup-dev system
	scripts/test.sh

lint: setup-dev
	.venv/bin/ruff check .

# The demo as on the first `make run`: database, clock, local media and mail.
demo-reset: setup
	AUCTION_MODE=$${AUCTION_MODE:-demo} $(PY) manage.py demo_reset

benchmark: setup-dev
	scripts/benchmark.sh
