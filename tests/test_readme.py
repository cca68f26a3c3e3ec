"""README.md: the "Train your own model" block runs as written and trains a model that is not the
task's network with the course's engine."""

import os
import re
import subprocess
import sys
from pathlib import Path

from _mnist import needs_mnist

ROOT = Path(__file__).resolve().parents[1]


def own_model_block() -> str:
    text = (ROOT / "README.md").read_text()
    section = re.search(r"^## [^\n]*your own model[^\n]*\n(.*?)(?=^## )", text, re.M | re.S | re.I)
    assert section, "README has a section whose heading contains 'your own model'"
    blocks = re.findall(r"```python\n(.*?)```", section.group(1), re.S)
    assert len(blocks) == 1, "one runnable python block"
    return blocks[0]


def test_the_block_defines_its_own_model_and_uses_the_engine():
    block = own_model_block()
    assert "class SmallNet(nn.Module)" in block and "model=SmallNet" in block
    assert "engine.train_all" in block and "build_model" not in block




@needs_mnist
def test_the_block_runs_in_quick_mode_and_prints_both_optimizers(tmp_path):
    script = tmp_path / "own_model.py"
    script.write_text(own_model_block())
    env = {**os.environ, "COURSE_QUICK": "1"}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["Adam (lr 1e-3)", "SGD (lr 0.01)"]
    for line in lines:
        parameters = int(re.search(r"([\d,]+) parameters", line).group(1).replace(",", ""))
        assert parameters == 8 * 9 + 8 + 8 * 13 * 13 * 10 + 10  # SmallNet, not the task's CNN
        accuracy = float(re.search(r"test accuracy ([\d.]+)%", line).group(1))
        assert 10 < accuracy <= 100
