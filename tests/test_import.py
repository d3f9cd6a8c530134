"""``import rnnlesson`` must stay light: no matplotlib, no ipywidgets, no torch."""

import subprocess
import sys


def test_import_does_not_pull_in_heavy_modules():
    code = (
        "import sys, rnnlesson\n"
        "heavy = [m for m in ('matplotlib', 'ipywidgets', 'torch', 'keras', 'tqdm', 'pooch', "
        "'IPython') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import rnnlesson imported {out.stdout.strip()}"


def test_viz_imports_matplotlib_on_its_own_import():
    code = "import sys, rnnlesson.viz\nprint('matplotlib' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
