"""Install Keystone and gunicorn from PyPI into a virtualenv of their own.

    python -m tests.keystone.install_keystone VENV

Keystone's dependencies (SQLAlchemy, oslo.db, ...) stay out of greeter's
test environment. Versions come from keystone-constraints.txt in
docker/keystone/ (the keystone compose profile's image uses the same);
an existing virtualenv is reused (pip skips what is installed).
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import venv

CONSTRAINTS = (pathlib.Path(__file__).resolve().parents[2] / "docker"
               / "keystone" / "keystone-constraints.txt")


def main(argv: list[str]) -> None:
    target = pathlib.Path(argv[0])
    python = target / "bin" / "python"
    if not python.exists():
        venv.create(target, with_pip=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                    "-c", str(CONSTRAINTS), "keystone", "gunicorn"],
                   check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
