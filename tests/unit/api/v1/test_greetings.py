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

"""greeter.api.v1.greetings, through the shipped pipeline."""

from __future__ import annotations

import pytest
import webob
import webob.exc

from greeter.common import config
from tests.fixtures.responses import errors_of


@pytest.mark.parametrize("path, message", [
    ("/greeting/hello", "Hello, Wilkommen, Phred !!\n"),
    ("/greeting/goodbye", "Good Bye, Wilkommen, Phred !!\n"),
])
def test_greetings_as_text(call, path, message):
    response = call(path)
    assert response.status_int == 200
    assert response.content_type == "text/plain"
    assert response.text == message


def test_json_on_request(call):
    response = call("/greeting/hello",
                    headers={"Accept": "application/json"})
    assert response.status_int == 200
    assert response.json == {"message": "Hello, Wilkommen, Phred !!",
                             "name": "Phred", "greeting": "Wilkommen"}


def test_text_preferred_for_any(call):
    assert call("/greeting/hello", headers={"Accept": "*/*"}
                ).content_type == "text/plain"


def test_head_has_headers_but_no_body(call):
    response = call("/greeting/hello", method="HEAD")
    assert response.status_int == 200
    assert response.body == b""
    assert response.content_length == len("Hello, Wilkommen, Phred !!\n")


def test_unacceptable_type_is_406(call):
    response = call("/greeting/hello", headers={"Accept": "image/png"})
    assert response.status_int == 406
    assert errors_of(response)[0]["code"] == "greeter.not_acceptable"


def test_name_and_greeting_from_config(conf):
    conf.set_override("name", "Bob", group="greeting")
    conf.set_override("greeting", "Howdy", group="greeting")
    app = config.load_paste_app(conf)
    request = webob.Request.blank("/greeting/goodbye",
                                  headers={"X-Auth-Token": "open-sesame"})
    assert request.get_response(app).text == "Good Bye, Howdy, Bob !!\n"


def test_greeting_content_type_names_its_charset(call):
    assert call("/greeting/hello").headers["Content-Type"] == \
        "text/plain; charset=UTF-8"
    assert call("/greeting/hello", headers={
        "Accept": "application/json"}).headers["Content-Type"] == \
        "application/json; charset=UTF-8"


def test_unacceptable_detail_names_the_types(call):
    response = call("/greeting/hello", headers={"Accept": "image/png"})
    assert errors_of(response)[0]["detail"] == (
        "This resource can be served as text/plain or application/json.")
