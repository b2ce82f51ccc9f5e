"""The documentation runs: the README's code blocks, its one-API table, and every docstring example."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import graphkit
from graphkit import datasets
from graphkit.models.registry import METHODS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)


def table_rows() -> dict[str, list[str]]:
    """The one-API table: method name -> [config, build, fit, predict] code cells."""
    section = README[README.index("## One API for every method"):README.index("## Methods")]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0] in METHODS:
            rows[cells[0]] = [c.strip("`") for c in cells[1:]]
    return rows


def test_table_covers_every_method():
    assert set(table_rows()) == set(METHODS)


def table_namespace(name: str) -> dict:
    """What a table row's cells run in: graphkit's public names and ``data`` of the kind method ``name`` needs
    (tests/test_checkpoint.py runs the same rows)."""
    namespace = {k: getattr(graphkit, k) for k in graphkit.__all__ if k not in ("datasets", "metrics")}
    hetero = "hetero" in METHODS[name].datasets and "node" not in METHODS[name].datasets
    namespace["data"] = datasets.load("hetero-csbm" if hetero else "csbm", num_nodes=600, seed=0)
    return namespace


@pytest.mark.parametrize("name", sorted(METHODS))
def test_table_lines_run(name):
    config_cell, build, fit, predict = table_rows()[name]
    namespace = table_namespace(name)
    exec("config = " + config_cell, namespace)
    if "epochs" in namespace["config"].keys():
        namespace["config"] = namespace["config"].replace(epochs=2)  # the line as written, on a short budget
    for line in (build, fit, predict):
        exec(line, namespace)
    assert namespace["result"].model is namespace["model"]


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_code_blocks_run(index):
    try:
        exec(compile(BLOCKS[index], f"README block {index}", "exec"), {})
    except FileNotFoundError as exc:
        pytest.skip(f"needs real data: {str(exc).splitlines()[0]}")


def _docstring_tests():
    finder = doctest.DocTestFinder()
    for info in pkgutil.walk_packages(graphkit.__path__, "graphkit."):
        module = importlib.import_module(info.name)
        found = finder.find(module, info.name)
        # procedures are wrapped by @procedure: the finder skips them as "defined elsewhere"; add them here
        for attr, obj in vars(module).items():
            if inspect.isfunction(obj) and hasattr(obj, "__wrapped__") and obj.__module__ == info.name:
                found += finder.find(obj, f"{info.name}.{attr}", globs=vars(module))
        for test in found:
            if test.examples:
                yield test


DOCTESTS = {t.name: t for t in _docstring_tests()}


def test_public_classes_and_procedures_have_examples():
    public = [k for k in graphkit.__all__ if k not in ("__version__", "datasets", "metrics", "methods", "Config")]
    missing = [k for k in public if not any(n.split(".")[-1] == k for n in DOCTESTS)]
    assert not missing, f"no docstring example: {missing}"


@pytest.mark.parametrize("name", sorted(DOCTESTS))
def test_docstring_examples(name):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(DOCTESTS[name])
    assert runner.failures == 0, f"{runner.failures} failing example(s) in {name}"


def test_no_message_tells_users_to_install_pypis_graphkit():
    """The distribution is graphkit-pyg; 'pip install graphkit' or 'graphkit[extra]' installs an unrelated project."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    pattern = r"pip install ['\"]?graphkit($|[^-_a-zA-Z])|graphkit\[[a-z]"
    found = subprocess.run(["git", "grep", "-lE", pattern, "--", "*.py", "*.md", "*.toml", "*.txt", "*.cfg"],
                           cwd=root, capture_output=True, text=True)
    if found.returncode not in (0, 1):
        pytest.skip("not a git checkout")
    offenders = set(found.stdout.split()) - {"tests/test_docs.py"}
    assert not offenders, (
        f"{sorted(offenders)} tell users to install 'graphkit' from PyPI; the distribution is graphkit-pyg "
        f"(pip install 'graphkit-pyg[extra]', or pip install <the package> directly)")
