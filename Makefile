# The README's commands. Each creates .venv on first use and reinstalls when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NBGRADER := $(VENV)/nbgrader

.PHONY: test test-colab assignment lab lint bench format clean student grade autograder

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev,grade,keras]"
	# nbgrader only for tests/test_student_edition.py, in its own folder: installed into .venv
	# it would add its lab and server extensions to the JupyterLab students use.
	rm -rf $(NBGRADER)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --target $(NBGRADER) \
		"nbgrader>=0.9" mako rapidfuzz sqlalchemy alembic
	touch $@

## make test: lint, unit tests and every notebook under nbval (quick mode for training)
test: $(STAMP)
	$(BIN)/python -m ruff check course_utils tests notebooks benchmarks tools
	COURSE_QUICK=$${COURSE_QUICK:-1} $(BIN)/python -m pytest --durations=15

## make test-colab: the same tests in Colab's runtime (Python 3.13, Colab's package versions from
## tools/colab/constraints.txt, a stand-in google.colab) in .venv-colab; see tools/colab/lane.sh
test-colab:
	tools/colab/lane.sh $(ARGS)

## make assignment: the lecture's programming task (3 optimizers x 10 epochs), results in results/
assignment: $(STAMP)
	$(BIN)/python -m course_utils.assignment $(ARGS)

## make bench: training speed of the reference loop vs course_utils' engine, side by side
bench: $(STAMP)
	$(BIN)/python benchmarks/train_speed.py $(ARGS)

## make student: the student edition in student/ (exercises open, no outputs) from notebooks/
student: $(STAMP)
	$(BIN)/python tools/make_student_edition.py

## make grade SUBMISSIONS=submitted/ OUT=graded/: grade a class's notebooks in sandboxes
## (more options in ARGS="--workers 4 --timeout 300"; docs/grading.md)
grade: $(STAMP)
	$(BIN)/python -m course_utils.grade "$(SUBMISSIONS)" --out "$(OUT)" $(ARGS)

## make autograder [CONFIG=grading.toml]: dist/autograder.zip for Gradescope (setup.sh and
## run_autograder at its root, the package's source inside; tools/build_autograder.py)
autograder: $(STAMP)
	$(BIN)/python tools/build_autograder.py --out dist/autograder.zip \
		$(if $(CONFIG),--config "$(CONFIG)") $(ARGS)

## make lab: JupyterLab on the notebooks
lab: $(STAMP)
	$(BIN)/python -m jupyter lab notebooks/

lint: $(STAMP)
	$(BIN)/python -m ruff check course_utils tests notebooks benchmarks tools

## make format: ruff's formatter, then its fixable lint rules (import order, unused imports)
format: $(STAMP)
	$(BIN)/python -m ruff format course_utils tests benchmarks tools
	$(BIN)/python -m ruff check --fix course_utils tests notebooks benchmarks tools

clean:
	rm -rf $(VENV) .venv-colab .pytest_cache .ruff_cache .hypothesis
