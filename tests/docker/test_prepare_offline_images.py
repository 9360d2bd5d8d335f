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

"""docker/prepare-offline-images.sh says in one line what it lacks.

Each case takes one thing away (root, the CA bundle, debootstrap and
apt-get, the Docker engine) and runs the real step: it must stop before
any download, with one line on stderr that names what is missing and
nothing on stdout. Building the images themselves is left to CI, which
runs the step before the rest of this suite.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.fixtures.shipped import REPO

pytestmark = pytest.mark.docker

STEP = str(REPO / "docker" / "prepare-offline-images.sh")
# The host's CA bundle as the step would find it, if the test set it.
CA_VARIABLES = ("CA_BUNDLE", "SSL_CERT_FILE")


def prepare(*args: str, command_prefix: tuple[str, ...] = (),
            env: dict | None = None) -> str:
    """Run the step; assert it fails with one line; return the line."""
    environ = {name: value for name, value in os.environ.items()
               if name not in CA_VARIABLES}
    result = subprocess.run([*command_prefix, STEP, *args],
                            capture_output=True, text=True, timeout=60,
                            env={**environ, **(env or {})}, check=False)
    assert result.returncode != 0, result
    assert result.stdout == "", result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def needs_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("the step stops first at `not root`: run as root, "
                    "as CI does")


def test_not_root():
    prefix: tuple[str, ...] = ()
    env = {}
    if os.geteuid() == 0:
        # nobody, with the home its passwd entry gives (root's is closed
        # to it, and the Docker CLI reads its settings there).
        prefix = ("setpriv", "--reuid=nobody", "--regid=nogroup",
                  "--clear-groups")
        env = {"HOME": "/nonexistent"}
    assert prepare(command_prefix=prefix, env=env) == (
        "build-base-image.sh: debootstrap needs root: run this as root")


def test_given_ca_bundle_that_does_not_exist(tmp_path):
    needs_root()
    missing = tmp_path / "proxy-ca.pem"
    assert prepare(str(missing)) == (
        f"build-base-image.sh: CA bundle {missing}: no such file")


def test_no_ca_bundle_in_the_usual_places():
    needs_root()
    # The usual places, hidden by an empty tmpfs in a mount namespace of
    # the step's own.
    hide = "; ".join(f"mount -t tmpfs none {place}"
                     for place in ("/etc/ssl", "/etc/pki")
                     if os.path.isdir(place))
    probe = subprocess.run(["unshare", "-m", "sh", "-c", hide],
                           capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"no mount namespace here: {probe.stderr!r}")
    line = prepare(command_prefix=(
        "unshare", "-m", "sh", "-c", f'{hide}; exec "$0" "$@"'))
    assert line == ("build-base-image.sh: no CA bundle found in the usual "
                    "places: give its path as CA_BUNDLE (the second "
                    "argument)")


def path_with(tmp_path, *programs: str) -> str:
    """A PATH that holds only ``programs``, linked from the host's."""
    directory = tmp_path / "bin"
    directory.mkdir()
    for program in programs:
        (directory / program).symlink_to(shutil.which(program))
    return str(directory)


# What the step runs before it looks for debootstrap.
STEP_PROGRAMS = ("bash", "basename", "dirname", "docker", "id")


def test_no_debootstrap_and_no_apt(tmp_path):
    needs_root()
    path = path_with(tmp_path, *STEP_PROGRAMS)
    assert prepare(env={"PATH": path}) == (
        "build-base-image.sh: debootstrap is missing and there is no "
        "apt-get to install it: install debootstrap")


def test_no_debootstrap_and_apt_cannot_install_it(tmp_path):
    needs_root()
    path = path_with(tmp_path, *STEP_PROGRAMS)
    # An apt-get that fails as it does with no mirror in reach.
    apt_get = tmp_path / "bin" / "apt-get"
    apt_get.write_text("#!/bin/sh\necho 'E: Unable to locate package' >&2\n"
                       "exit 100\n")
    apt_get.chmod(0o755)
    assert prepare(env={"PATH": path}) == (
        "build-base-image.sh: debootstrap is missing and apt-get cannot "
        "install it: install debootstrap")


def test_no_docker_engine(tmp_path):
    needs_root()
    socket = tmp_path / "no-dockerd.sock"
    assert prepare(env={"DOCKER_HOST": f"unix://{socket}"}) == (
        "build-base-image.sh: cannot reach the Docker engine: start "
        "dockerd, or set DOCKER_HOST")
