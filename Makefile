# painauth — every target bootstraps what it needs from a bare machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup browser test lint demo bench lock clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Debian's Chromium and ChromeDriver for the board's browser test, and poppler-utils to look at a
# packet page as a picture (installed only as root; those tests skip with the reason when the
# tools are missing). Never a browser download of its own.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null \
	    && command -v pdftoppm >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	    chromium-driver poppler-utils; \
	else echo "chromium or pdftoppm is missing and this is not root: the browser and packet-picture tests will be skipped"; fi

# Two worker processes (the machine's two cores); a module's tests stay on one worker, so its
# servers and practice are built once.
TEST_WORKERS ?= 2

test: setup browser
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadscope

lint: setup
	$(BIN)/ruff check tracker flows notifications tests bench
	$(BIN)/mypy

demo: setup
	$(BIN)/painauth demo

bench: setup
	$(BIN)/python bench/engine.py

# Re-resolve the pinned dependency set after editing pyproject.toml.
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --no-header -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
