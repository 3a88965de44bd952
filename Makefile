# reportkit: `make report` builds the demo report, `make test` runs the tests.
# Both create .venv on first use, install the project with its dependencies, a Jupyter kernelspec
# named `reportkit` inside the venv, and a CJK font (Noto Sans/Serif CJK) plus HarfBuzz's subsetter.

PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.reportkit-installed
KERNEL  = $(VENV)/share/jupyter/kernels/reportkit/kernel.json
SPEC   ?= reports/china-ecommerce-2024.yaml
PYTEST_ARGS ?=

.PHONY: setup report report-en test test-fast bench fonts clean lab

setup: $(STAMP) $(KERNEL) fonts

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@# build matplotlib's font cache now, so that no notebook prints "building the font cache" to
	@# stderr on its first run (the pre-publish checks fail a build on any stderr output)
	MPLBACKEND=Agg $(PY) -c "import matplotlib.pyplot"
	@# notebooks are committed without outputs: a pre-commit hook strips staged notebooks. A hook the
	@# user already has is kept (and said so): ours is installed only where there is none, or ours is there.
	if hooks=$$(git rev-parse --git-path hooks 2>/dev/null); then mkdir -p "$$hooks"; \
	  if [ ! -e "$$hooks/pre-commit" ] || cmp -s scripts/git-pre-commit "$$hooks/pre-commit" || grep -q "reportkit" "$$hooks/pre-commit"; then \
	    install -m 755 scripts/git-pre-commit "$$hooks/pre-commit"; \
	  else echo "reportkit: kept your $$hooks/pre-commit; add scripts/git-pre-commit to it to strip notebooks on commit"; fi; fi
	touch $@

# The kernelspec lives inside the venv (--sys-prefix), never in the user's home.
$(KERNEL): $(STAMP)
	$(PY) -m ipykernel install --sys-prefix --name reportkit --display-name "Python (reportkit)"

fonts:
	@bash scripts/install-fonts.sh

# JupyterLab on the project's folder; pick the kernel "Python (reportkit)" (installed by setup)
lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=.

report: setup
	$(VENV)/bin/reportkit build $(SPEC)

report-en: setup
	$(VENV)/bin/reportkit build $(SPEC) --lang en

# deptry: every imported package is declared, every declared one is used (pyproject.toml [tool.deptry]);
# pytest-randomly runs the tests in a random order (the seed is printed; -p no:randomly to turn it off)
test: setup
	$(VENV)/bin/deptry .
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(VENV)/bin/pytest $(PYTEST_ARGS)

test-fast: setup
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(VENV)/bin/pytest -m "not e2e" $(PYTEST_ARGS)

bench: setup
	$(PY) bench/bench_build.py
	$(PY) bench/bench_models.py
	$(PY) bench/bench_inference.py
	$(PY) bench/bench_render.py
	$(PY) bench/bench_batch.py
	$(PY) bench/bench_events.py

clean:
	rm -rf build
