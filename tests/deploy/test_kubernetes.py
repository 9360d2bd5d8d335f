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

"""deploy/kubernetes/: valid, strict, and in step with compose and greeter.

Nothing here needs a cluster: every manifest is validated offline against
the Kubernetes OpenAPI schemas that the kubernetes-validate package ships
(strict: an unknown or misspelt field fails), and the settings that must
agree with docker-compose.yml, haproxy and greeter's own options are
compared. The ConfigMap and Secret are also loaded by greeter itself.
"""

from __future__ import annotations

import configparser
import pathlib
import re

import kubernetes_validate
import pytest
import webob
import yaml
from oslo_config import cfg

from greeter.common import config
from tests.fixtures.shipped import ETC
from tests.fixtures.shipped import REPO

MANIFESTS = REPO / "deploy" / "kubernetes"
# The oldest and newest Kubernetes this directory is checked against.
KUBERNETES_VERSIONS = ("1.30.0", "1.34.0")
HEALTHCHECK = "/healthcheck"


def documents() -> list[tuple[str, dict]]:
    return [(path.name, document)
            for path in sorted(MANIFESTS.glob("*.yaml"))
            for document in yaml.safe_load_all(path.read_text())
            if document]


def manifest(kind: str) -> dict:
    (found,) = [document for _, document in documents()
                if document["kind"] == kind]
    return found


def api_container() -> dict:
    (container,) = manifest("Deployment")["spec"]["template"]["spec"][
        "containers"]
    return container


def configmap_conf() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(manifest("ConfigMap")["data"]["greeter.conf"])
    return parser


def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def seconds(duration: str) -> int:
    """A compose duration such as ``40s`` or ``1m30s``."""
    units = {"h": 3600, "m": 60, "s": 1}
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert parts and duration, duration
    return sum(int(value) * units[unit]
               for value, unit in zip(parts.groups(), "hms", strict=True)
               if value)


def graceful_timeout() -> int:
    """[api] graceful_timeout as the ConfigMap sets it, else greeter's."""
    conf = configmap_conf()
    if conf.has_option("api", "graceful_timeout"):
        return conf.getint("api", "graceful_timeout")
    (opt,) = [opt for group, opts in config.list_opts() if group == "api"
              for opt in opts if opt.name == "graceful_timeout"]
    return opt.default


def prestop_sleep() -> int:
    command = " ".join(api_container()["lifecycle"]["preStop"]["exec"][
        "command"])
    match = re.search(r"sleep (\d+)", command)
    return int(match.group(1)) if match else 0


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("name, document", documents(),
                         ids=lambda value: value if isinstance(value, str)
                         else value["kind"])
def test_manifest_is_valid_strict(name, document, version):
    kubernetes_validate.validate(document, version, strict=True)


def test_every_kind_is_there():
    assert sorted(document["kind"] for _, document in documents()) == [
        "ConfigMap", "Deployment", "HorizontalPodAutoscaler",
        "PodDisruptionBudget", "Secret", "Service"]


def test_probes_ask_the_healthcheck_compose_and_haproxy_ask():
    container = api_container()
    port = container["ports"][0]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        check = container[probe]["httpGet"]
        assert check["path"] == HEALTHCHECK, probe
        assert check["port"] in (port["name"], port["containerPort"])
    assert HEALTHCHECK in " ".join(compose()["services"]["api"][
        "healthcheck"]["test"])
    haproxy_cfg = (REPO / "docker" / "haproxy" / "haproxy.cfg").read_text()
    assert f"uri {HEALTHCHECK}\n" in haproxy_cfg


def test_one_port_everywhere():
    port = api_container()["ports"][0]["containerPort"]
    assert configmap_conf().getint("api", "bind_port") == port
    assert manifest("Service")["spec"]["ports"][0]["targetPort"] in (
        "http", port)
    # compose publishes haproxy's port only; haproxy passes requests on
    # to the replicas' port.
    assert compose()["services"]["haproxy"]["ports"][0].endswith(
        f":{port}")
    haproxy_cfg = (REPO / "docker" / "haproxy" / "haproxy.cfg").read_text()
    assert f'-1:{port}" check\n' in haproxy_cfg


def test_clients_reach_greeter_through_a_buffering_proxy_only():
    """compose publishes haproxy alone, and the Service stays inside the
    cluster, for an ingress controller to buffer requests in front."""
    services = compose()["services"]
    assert "ports" not in services["api"]
    haproxy_cfg = (REPO / "docker" / "haproxy" / "haproxy.cfg").read_text()
    assert "option http-buffer-request\n" in haproxy_cfg
    assert "timeout http-request " in haproxy_cfg
    assert manifest("Service")["spec"]["type"] == "ClusterIP"


def test_grace_periods_outlast_graceful_timeout():
    timeout = graceful_timeout()
    pod = manifest("Deployment")["spec"]["template"]["spec"]
    # The kubelet's clock starts before preStop: drain, then SIGTERM.
    assert pod["terminationGracePeriodSeconds"] > prestop_sleep() + timeout
    services = compose()["services"]
    assert seconds(services["api"]["stop_grace_period"]) > timeout
    assert seconds(services["haproxy"]["stop_grace_period"]) > timeout


def test_liveness_outlasts_a_drain_and_stop():
    """A draining replica answers 503: liveness must not restart it."""
    probe = api_container()["livenessProbe"]
    patience = probe["periodSeconds"] * probe["failureThreshold"]
    assert patience > prestop_sleep() + graceful_timeout()


def test_prestop_creates_the_drain_file_greeter_watches():
    drain = configmap_conf().get("healthcheck", "disable_by_file_path")
    command = api_container()["lifecycle"]["preStop"]["exec"]["command"]
    assert f"touch {drain}" in " ".join(command)
    shipped = configparser.ConfigParser(interpolation=None)
    shipped.read(ETC / "greeter.conf")
    # compose drains with the same file (doc/source/admin/draining.rst:
    # docker compose exec).
    assert shipped.get("healthcheck", "disable_by_file_path") == drain
    # The file must be on a writable mount of the read-only root.
    mounts = {mount["mountPath"] for mount in api_container()[
        "volumeMounts"] if not mount.get("readOnly")}
    assert str(pathlib.PurePosixPath(drain).parent) in mounts


def test_workers_follow_the_cpu_limit():
    (workers,) = [env for env in api_container()["env"]
                  if env["name"] == "OS_API__WORKERS"]
    source = workers["valueFrom"]["resourceFieldRef"]
    assert source["resource"] == "limits.cpu"
    assert source["containerName"] == api_container()["name"]
    assert str(source["divisor"]) == "1"
    assert "cpu" in api_container()["resources"]["limits"]


def test_locked_down_like_compose():
    pod = manifest("Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 42424  # the image's user
    assert pod["securityContext"]["seccompProfile"]["type"] == \
        "RuntimeDefault"
    security = api_container()["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    api = compose()["services"]["api"]
    assert api["read_only"] is True and api["cap_drop"] == ["ALL"]


def test_paste_file_is_the_shipped_one():
    assert manifest("ConfigMap")["data"]["api-paste.ini"] == \
        (ETC / "api-paste.ini").read_text()


def test_budget_and_autoscaler_match_the_deployment():
    deployment = manifest("Deployment")
    labels = deployment["spec"]["selector"]["matchLabels"]
    assert manifest("Service")["spec"]["selector"] == labels
    assert manifest("PodDisruptionBudget")["spec"]["selector"][
        "matchLabels"] == labels
    autoscaler = manifest("HorizontalPodAutoscaler")["spec"]
    assert autoscaler["scaleTargetRef"]["name"] == \
        deployment["metadata"]["name"]
    assert autoscaler["minReplicas"] == deployment["spec"]["replicas"] == 3


@pytest.fixture
def pod_files(tmp_path):
    """The ConfigMap and Secret written out as the pod sees them."""
    data = manifest("ConfigMap")["data"]
    for name, text in data.items():
        (tmp_path / name).write_text(text)
    token = tmp_path / "api_token"
    token.write_text(manifest("Secret")["stringData"]["api_token"])
    return tmp_path, token


def test_greeter_serves_with_the_configmap_and_secret(pod_files):
    directory, token_file = pod_files
    conf = cfg.CONF
    try:
        config.parse_args(conf, ["--config-file",
                                 str(directory / "greeter.conf")])
        assert conf.auth.token_file == "/run/secrets/greeter/api_token"
        secret = api_container()["volumeMounts"]
        assert {"name": "api-token", "mountPath": "/run/secrets/greeter",
                "readOnly": True} in secret
        # Here the Secret's file is not at its pod path.
        conf.set_override("token_file", str(token_file), group="auth")
        conf.set_override("disable_by_file_path",
                          str(directory / "drain"), group="healthcheck")
        app = config.load_paste_app(conf)
        request = webob.Request.blank("/greeting/hello")
        request.headers["X-Auth-Token"] = token_file.read_text()
        response = request.get_response(app)
        assert response.status_int == 200
        assert response.text == "Hello, Wilkommen, Phred !!\n"
        assert webob.Request.blank(HEALTHCHECK).get_response(
            app).status_int == 200
    finally:
        conf.reset()
        conf.clear()
