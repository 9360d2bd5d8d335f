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


"""greeter's own options, group by group: what each means, its default.

Only definitions: ``greeter.common.config`` registers them on the
``ConfigOpts`` a caller hands in, and lists them for
``oslo-config-generator``.
"""

from __future__ import annotations

from oslo_config import cfg

greeting_opts = [
    cfg.StrOpt("name", default="Johnny",
               help="Who is greeted."),
    cfg.StrOpt("greeting", default="Howdy",
               help="The word of welcome put before the name."),
]

auth_opts = [
    cfg.StrOpt("strategy", default="token", choices=[
        ("keystone", "Requests must carry a Keystone token in "
                     "X-Auth-Token, validated by keystonemiddleware's "
                     "auth_token (configure [keystone_authtoken])."),
        ("token", "Requests must carry one of the configured tokens in "
                  "X-Auth-Token."),
        ("noauth", "No authentication. For demos and tests only."),
    ], help="How requests to the API are authenticated. Each strategy "
            "has its own pipeline in api-paste.ini. Policy "
            "([oslo_policy]) applies to all of them."),
    cfg.ListOpt("token_roles", default=["reader", "member"],
                help="Roles of every caller the token and noauth "
                     "strategies let through (they have no Keystone "
                     "identity), for policy. The default allows both "
                     "greetings; 'reader' alone allows only hello. "
                     "Identity headers a client sends (X-Roles, "
                     "X-User-Id, X-Project-Id, ...) are always dropped."),
    cfg.ListOpt("tokens", default=[], secret=True,
                help="Tokens accepted in X-Auth-Token. Prefer token_file "
                     "outside of demos."),
    cfg.StrOpt("token_file",
               help="A file holding accepted tokens, one per line (for "
                    "container secrets). Blank lines and lines starting "
                    "with # are ignored."),
]

api_opts = [
    cfg.HostAddressOpt("bind_host", default="0.0.0.0",  # nosec B104
                       help="Address greeter-api listens on. Takes effect "
                            "on restart only: a reload (SIGHUP) keeps the "
                            "socket it has."),
    cfg.PortOpt("bind_port", default=8004,
                help="Port greeter-api listens on. Takes effect on "
                     "restart only: a reload (SIGHUP) keeps the socket "
                     "it has."),
    cfg.IntOpt("workers", default=2, min=1,
               help="Number of gunicorn worker processes."),
    cfg.StrOpt("worker_class", default="gthread",
               choices=["sync", "gthread"],
               help="gunicorn worker class. gthread keeps connections "
                    "alive and is not held up by one slow client."),
    cfg.IntOpt("threads", default=8, min=1,
               help="Threads per worker (gthread only). A client that "
                    "sends its request slowly holds one thread until it "
                    "is done, so keep this above the slow clients one "
                    "worker may have to carry."),
    cfg.IntOpt("timeout", default=30, min=1,
               help="Seconds a worker may be silent before it is "
                    "killed and replaced."),
    cfg.IntOpt("graceful_timeout", default=30, min=0,
               help="Seconds workers get to finish requests in flight "
                    "after SIGTERM."),
    cfg.IntOpt("keepalive", default=5, min=0,
               help="Seconds to wait for the next request on a kept-alive "
                    "connection."),
    cfg.IntOpt("max_requests", default=0, min=0,
               help="Restart a worker after this many requests (0: "
                    "never)."),
    cfg.IntOpt("max_requests_jitter", default=0, min=0,
               help="Random extra requests added to max_requests per "
                    "worker, so workers do not restart together."),
    cfg.URIOpt("public_endpoint", schemes=["http", "https"],
               help="The URL clients reach the API at (e.g. "
                    "https://greeter.example.com/), used in the links of "
                    "the versions document. Unset, links follow the "
                    "request's Host (and X-Forwarded-Host when "
                    "[oslo_middleware] enable_proxy_headers_parsing is "
                    "on), which a client chooses: set it wherever a "
                    "shared cache sits in front."),
]

paste_deploy_opts = [
    cfg.StrOpt("config_file", default="api-paste.ini",
               help="The PasteDeploy file that defines the pipeline; a "
                    "relative name is looked for beside the config "
                    "files."),
]

request_log_opts = [
    cfg.ListOpt("health_paths", default=["/healthcheck"],
                help="Paths of health traffic (load balancers' and "
                     "containers' probes): requests to these paths, or "
                     "below them, are logged at health_level instead of "
                     "INFO, so that probes do not bury the API's "
                     "requests."),
    cfg.StrOpt("health_level", default="DEBUG",
               choices=["DEBUG", "INFO"],
               help="Level of the request log's lines for health "
                    "traffic. DEBUG hides them unless debug is on (or "
                    "default_log_levels lowers the request log's level); "
                    "INFO logs them like every other request."),
]

# Each group with its options, in the order the sample config lists them.
GROUPS = (
    ("greeting", greeting_opts),
    ("auth", auth_opts),
    ("api", api_opts),
    ("paste_deploy", paste_deploy_opts),
    ("request_log", request_log_opts),
)
