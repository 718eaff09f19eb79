# Two commands do all the set-up: `make run` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format bench browser clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(STAMP)

run: install
	$(BIN)/python app.py

# Browser tests drive Debian's chromium; install it when it is missing (never `playwright install`).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install browser lint
	$(BIN)/python -m pytest

# The dev set on the shipped corpus (as written, with typos, asked mid-chat) and on an index of the raw,
# unedited article (built outside the project).
bench: install
	$(BIN)/csobot eval --qa eval/cso-dev.jsonl
	$(BIN)/csobot eval --qa eval/cso-dev.jsonl --typos 7
	$(BIN)/csobot eval --qa eval/cso-dev.jsonl --mid-chat
	d=$$(mktemp -d) && $(BIN)/csobot index build --corpus ../shared/seed --index $$d/index && \
	  $(BIN)/csobot eval --qa eval/cso-dev.jsonl --index $$d/index; status=$$?; rm -rf $$d; exit $$status
	$(BIN)/csobot eval --squad ../shared/bench/squad-v1.1-dev-super-bowl-50.json
	$(BIN)/csobot eval --squad ../shared/bench/squad-v2.0-dev-5-articles.json

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
