# mmpoolformer: `make demo` and `make test` install first when needed.
VENV ?= .venv
# One absolute path from here on, whatever folder VENV was given relative to.
override VENV := $(abspath $(VENV))
PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.mmpoolformer-installed
PYTEST_ARGS ?=
# pytest-xdist processes the suite runs in, each taking whole test files (so
# that a module fixture is built once); 0 runs it all in this one process.
TEST_WORKERS ?= 2

.PHONY: install demo test clean

install:
	bash tools/install/install.sh "$(VENV)"

# Re-install when the install recipe or the pins change; otherwise skip.
$(INSTALLED): tools/install/install.sh requirements/build.txt requirements/all.txt setup.py
	bash tools/install/install.sh "$(VENV)"

demo: $(INSTALLED)
	PYTHON="$(PYTHON)" bash tools/run_demo.sh

test: $(INSTALLED)
	"$(PYTHON)" -m pytest -n $(TEST_WORKERS) --dist loadfile tests $(PYTEST_ARGS)

# What runs write; the install (the venv, mmpoolformer/.mim that its editable
# install reads) stays.
clean:
	rm -rf work_dirs data/demo
