"""One rule across the nbval run of the student edition: with every exercise still open, no check
and no line of notebook 05's requirements check may say ✓ (a check that passes an open exercise
would grant what the student has not done)."""

import pytest

PASSED = "✓"


def _printed(output: dict) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    return output.get("data", {}).get("text/plain", "")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    outputs = getattr(item, "test_outputs", None) or []  # nbval's cell outputs of this run
    if item.path.relative_to(item.config.rootpath).parts[:1] == ("student",):
        passed = [line for output in outputs for line in _printed(output).splitlines()
                  if line.lstrip().startswith(PASSED)]
        if passed:
            raise AssertionError(f"the student edition, exercises open, says: {passed[0]}")
    return result
