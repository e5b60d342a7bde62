# The two commands of the README: `make book` and `make test`. Each creates the virtual environment
# it needs (exact versions from requirements/lock.txt) on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help book test lint bench serve clean browser book-test

help:
	@echo "make book   build the HTML book into _build/html (executes every chapter)"
	@echo "make test   run the whole test suite"
	@echo "make lint   ruff over the package, tests and benchmarks"
	@echo "make bench  run the CPU benchmarks (benchmarks/README.md)"
	@echo "make serve  serve _build/html on http://localhost:8000 (PORT=8001 make serve for another port)"
	@echo "make book-test  build the book and check every page in headless Chromium (tests/book)"
	@echo "make release / release-check / collect / autograde / feedback / grades: see assignments/INSTRUCTORS.md"

$(STAMP): requirements/lock.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "no python3.11 or python3 found: install Python 3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# One BLAS thread for the book and the tests: their matrices are small, and on a shared 2-core
# machine OpenBLAS's spinning worker threads make small products far slower, not faster.
book: $(STAMP)
	$(BIN)/python scripts/book_cache_guard.py _build
	OPENBLAS_NUM_THREADS=1 $(BIN)/jupyter-book build . --builder html -W --keep-going

# The tests also need bubblewrap (the autograder's sandbox, tests/assignments/test_sandbox.py).
test: $(STAMP) browser sandbox-setup
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest

# Debian's chromium (and chromium-driver) for the browser test of the book in tests/book, which
# drives it with Playwright (pinned in requirements/lock.txt). Installed with apt when missing, a
# no-op when present.
SUDO := $(shell test "$$(id -u)" = 0 || echo sudo)
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver; }

# Only the browser test: builds the book first (the same command as `make book`), then opens every
# page; screenshots and a JSON report land in artifacts/book/.
book-test: $(STAMP) browser
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest tests/book -v

lint: $(STAMP)
	$(BIN)/ruff check course_lib tests benchmarks scripts book/_diagrams.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_rnn.py
	$(BIN)/python benchmarks/bench_recurrent.py --kind lstm

PORT ?= 8000
serve:
	@test -d _build/html || { echo "no _build/html yet: run make book first"; exit 1; }
	@echo "serving the book on http://localhost:$(PORT) (Ctrl-C to stop)"
	$(BIN)/python -m http.server --directory _build/html --bind 127.0.0.1 $(PORT)

clean:
	rm -rf _build

# The instructor's targets (release, release-check, collect, autograde, feedback, grades).
include Makefile.assignments
