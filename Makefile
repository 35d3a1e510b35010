# The two set-up commands of the README: `make run` and `make test`.
PY := .venv/bin/python
SYSTEM_PACKAGES := chromium fonts-wqy-zenhei gettext

.PHONY: run test setup venv npm system lint demo-reset benchmark

venv: .venv/.installed
.venv/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
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

run: setup
	scripts/run.sh

test: setup system
	scripts/test.sh

lint:
	.venv/bin/ruff check .

benchmark: setup
	scripts/benchmark.sh
