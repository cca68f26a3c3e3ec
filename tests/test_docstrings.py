"""Every public function and class of byhand/ and architectures/ names the slide or notebook it
reproduces (d2l style: "Notebook 03, section 1", "the VGG16 slide's table", "Lecture: ...")."""

import importlib
import inspect
import pkgutil
import re
import types

import course_utils.architectures
import course_utils.byhand

SOURCE = re.compile(r"[Nn]otebook 0\d|slide|[Ll]ecture")
PACKAGES = (course_utils.byhand, course_utils.architectures)


def modules() -> list[types.ModuleType]:
    return [importlib.import_module(f"{package.__name__}.{info.name}")
            for package in PACKAGES for info in pkgutil.iter_modules(package.__path__)]


def missing_sources(module: types.ModuleType) -> list[str]:
    """The public functions and classes defined in ``module`` whose docstring names no source."""
    offenders = []
    for name in getattr(module, "__all__", ()):
        obj = getattr(module, name)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue  # constants and type aliases
        if getattr(obj, "__module__", None) != module.__name__:
            continue  # re-exported from elsewhere: checked where it is defined
        if not SOURCE.search(obj.__doc__ or ""):
            offenders.append(f"{module.__name__}.{name}")
    return offenders


def test_modules_are_found():
    names = {module.__name__.rsplit(".", 1)[1] for module in modules()}
    assert {"geometry", "ops", "kernels", "layers", "network", "networks"} <= names


def test_every_public_docstring_names_its_slide_or_notebook():
    offenders = [name for module in modules() for name in missing_sources(module)]
    assert not offenders, ("docstrings that name no slide, lecture or notebook (add e.g. "
                           f"\"Notebook 03, section 1\"): {offenders}")


def test_the_check_reports_a_docstring_without_a_source():
    fake = types.ModuleType("fake_module")

    def no_source(x):
        """x: (H, W) array -> (H, W) array."""

    def with_source(x):
        """x: (H, W) array -> (H, W) array. Notebook 01, section 2."""

    def undocumented(x):
        pass

    for function in (no_source, with_source, undocumented):
        function.__module__ = fake.__name__
        setattr(fake, function.__name__, function)
    fake.CONSTANT = 3
    fake.__all__ = ["CONSTANT", "no_source", "undocumented", "with_source"]
    assert missing_sources(fake) == ["fake_module.no_source", "fake_module.undocumented"]
