"""Build hook: a wheel carries the packaged knowledge snapshot.

Everything else about the package is in ``pyproject.toml``. When setuptools builds the
package (``pip install .``, ``python -m build``), this runs ``scripts/build_snapshot.py``
against the copy in the build directory, so the installed package ships
``detente/data/compiled/knowledge.pickle`` with a digest of exactly the files and modules
it installs: the first run of a fresh install loads it instead of compiling the YAML/CSV
knowledge (which is still read and validated here, at build time). A knowledge file that
does not validate fails the build with its ``file -> key: problem`` message.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithSnapshot(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install runs from src/: `make snapshot`
            return
        lib = Path(self.build_lib).resolve()
        out = lib / "detente" / "data" / "compiled" / "knowledge.pickle"
        script = Path(__file__).resolve().parent / "scripts" / "build_snapshot.py"
        env = dict(os.environ, PYTHONPATH=str(lib), DETENTE_SNAPSHOT="off")
        code = ("import runpy, sys, detente; "
                f"assert detente.__file__.startswith({str(lib)!r}), detente.__file__; "
                f"sys.argv = ['build_snapshot.py', '--out', {str(out)!r}]; "
                f"runpy.run_path({str(script)!r}, run_name='__main__')")
        subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=str(lib))


setup(cmdclass={"build_py": BuildWithSnapshot})
