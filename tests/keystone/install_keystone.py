#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

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
