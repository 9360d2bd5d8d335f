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

"""greeter's urlmap answers every path as Paste's urlmap does."""

from __future__ import annotations

import pytest
from paste import urlmap as paste_urlmap

from greeter.api import urlmap
from greeter.common import config


def named_app(name):
    def app(environ, start_response):
        return [name, environ["SCRIPT_NAME"], environ["PATH_INFO"]]
    return app


ENTRIES = {"/": named_app("api"), "/healthcheck": named_app("health"),
           "/v1/admin": named_app("admin")}

PATHS = [
    "", "/", "/greeting/hello", "/healthcheck", "/healthcheck/",
    "/healthcheck/deep", "/healthcheckx", "/v1/admin", "/v1/admin/x",
    "/v1/adminx", "/v1", "//greeting//hello", "//healthcheck",
    "/healthcheck//", "http://host/healthcheck", "https://host/v1/admin/x",
    "http:/x", "greeting", "/greeting/hello%0A", "/\xe9t\xe9",
]


def answer(mapping, path, host="greeter.example:8004"):
    environ = {"PATH_INFO": path, "SCRIPT_NAME": "/mount",
               "HTTP_HOST": host, "SERVER_NAME": "greeter.example",
               "wsgi.url_scheme": "http"}
    return mapping(environ, lambda status, headers, exc_info=None: None)


def built(map_class, entries):
    mapping = map_class()
    for url, app in entries.items():
        mapping[url] = app
    return mapping


def paste_map(entries):
    return built(paste_urlmap.URLMap, entries)


def greeter_map(entries):
    return built(urlmap.URLMap, entries)


def outcome(mapping, path):
    """The answer, or the error raised (paste asserts a path is a URL)."""
    try:
        return answer(mapping, path)
    except AssertionError as exc:
        return type(exc), str(exc)


@pytest.mark.parametrize("path", PATHS)
def test_every_path_is_answered_as_paste_answers_it(path):
    assert outcome(greeter_map(ENTRIES), path) == outcome(
        paste_map(ENTRIES), path)


@pytest.mark.parametrize("path, expected", [
    ("/greeting/hello", ["api", "/mount", "/greeting/hello"]),
    ("/healthcheck", ["health", "/mount/healthcheck", ""]),
    ("/healthcheck/deep", ["health", "/mount/healthcheck", "/deep"]),
    ("/v1/admin/x", ["admin", "/mount/v1/admin", "/x"]),
    ("", ["api", "/mount", ""]),
])
def test_plain_paths_are_matched_without_paste_normalising_them(
        monkeypatch, path, expected):
    # The comparison above would pass as well if every path went paste's
    # way; with paste's normalising broken, plain paths must still be
    # answered, and the others not.
    mapping = greeter_map(ENTRIES)

    def broken(*args, **kwargs):
        raise RuntimeError("normalised")

    monkeypatch.setattr(paste_urlmap.URLMap, "normalize_url", broken)
    assert answer(mapping, path) == expected
    with pytest.raises(RuntimeError):
        answer(mapping, "//" + path.lstrip("/"))


@pytest.mark.parametrize("path", ["/elsewhere", "", "/x//y"])
def test_a_path_no_entry_takes_is_pastes_404(path):
    entries = {"/healthcheck": named_app("health")}
    ours = b"".join(answer(greeter_map(entries), path))
    assert b"404 Not Found" in ours
    assert ours == b"".join(answer(paste_map(entries), path))


@pytest.mark.parametrize("host", ["api.example", "API.example:80",
                                  "other.example:8004"])
@pytest.mark.parametrize("path", ["/healthcheck", "/greeting/hello", "/"])
def test_entries_with_a_domain_are_matched_by_host_as_paste_does(host,
                                                                 path):
    entries = {"http://api.example/healthcheck": named_app("api-health"),
               "/": named_app("api"), "/healthcheck": named_app("health")}
    assert answer(greeter_map(entries), path, host) == answer(
        paste_map(entries), path, host)


def test_removing_an_entry_stops_matching_it():
    mapping = greeter_map(ENTRIES)
    del mapping["/healthcheck"]
    assert answer(mapping, "/healthcheck")[0] == "api"
    del mapping["/"]
    assert b"404" in b"".join(answer(mapping, "/greeting/hello"))


def test_a_domain_entry_removed_restores_the_plain_way():
    mapping = greeter_map(ENTRIES)
    mapping["http://api.example/x"] = named_app("x")
    assert mapping._plain_entries is None
    del mapping["http://api.example/x"]
    assert mapping._plain_entries is not None
    assert answer(mapping, "/healthcheck/deep") == [
        "health", "/mount/healthcheck", "/deep"]


def test_the_shipped_pipeline_uses_greeters_urlmap(conf):
    app = config.load_paste_app(conf)
    found = []

    def walk(node, depth=0):
        if isinstance(node, paste_urlmap.URLMap):
            found.append(node)
            return
        for attribute in ("application", "app"):
            inner = getattr(node, attribute, None)
            if inner is not None and depth < 20:
                walk(inner, depth + 1)

    walk(app)
    assert [type(node) for node in found] == [urlmap.URLMap]
    assert [app_url for (_, app_url), _ in found[0].applications] == [
        "/healthcheck", ""]
