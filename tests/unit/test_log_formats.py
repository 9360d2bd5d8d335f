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

"""greeter's formatter computes isotime exactly when a format uses it."""

from __future__ import annotations

import copy
import logging

from oslo_context import context
from oslo_log import formatters

from greeter.common import config
from greeter.common import log


def _formatter_kwargs(conf) -> dict:
    """What oslo.log's setup gives a text formatter, for both of them."""
    return {"project": config.PROJECT, "version": "1",
            "datefmt": conf.log_date_format, "config": conf}


def test_every_format_using_isotime(conf):
    # With isotime in every format (the debug suffix too), the line still
    # reads as oslo's: greeter's formatter must compute isotime for it.
    for name in log.FORMATS:
        conf.set_override(name, "%(isotime)s %(message)s")
    kwargs = _formatter_kwargs(conf)
    oslo = formatters.ContextFormatter(**kwargs)
    greeter = log.ContextFormatter(**kwargs)
    assert greeter.uses_isotime
    record = logging.getLogger("greeter.test").makeRecord(
        "greeter.test", logging.DEBUG, __file__, 1, "isotime everywhere",
        (), None, extra={"context": context.RequestContext(
            request_id="req-1", overwrite=False)})
    line = greeter.format(copy.copy(record))
    assert line == oslo.format(copy.copy(record))
    assert "isotime everywhere" in line


def test_no_format_using_isotime(conf):
    kwargs = _formatter_kwargs(conf)
    assert not log.ContextFormatter(**kwargs).uses_isotime


def test_every_optional_key_in_both_formats(conf):
    # oslo fills the keys a record may lack ("fancy" keys) with "", the
    # error summary with "-", and adds its project and version: with each
    # of them in the default format (no context) and in the context
    # format, the lines still read as oslo's.
    fancy = "|".join(f"%({key})s" for key in (
        "instance", "color", "user_identity", "resource", "user_name",
        "project_name", "global_request_id", "project", "version",
        "error_summary", "message"))
    conf.set_override("logging_default_format_string", f"default {fancy}")
    conf.set_override("logging_context_format_string", f"context {fancy}")
    kwargs = _formatter_kwargs(conf)
    oslo = formatters.ContextFormatter(**kwargs)
    greeter = log.ContextFormatter(**kwargs)
    for request_context in (None, context.RequestContext(
            request_id="req-1", user_id="u1", overwrite=False)):
        record = logging.getLogger("greeter.test").makeRecord(
            "greeter.test", logging.INFO, __file__, 1, "fancy keys", (),
            None, extra={"context": request_context})
        line = greeter.format(copy.copy(record))
        assert line == oslo.format(copy.copy(record))
        assert line.endswith("|fancy keys")


def test_context_format_without_request_id(conf):
    # The request id picks the context format even when no format shows
    # it.
    conf.set_override("logging_context_format_string", "context %(message)s")
    conf.set_override("logging_default_format_string", "default %(message)s")
    kwargs = _formatter_kwargs(conf)
    oslo = formatters.ContextFormatter(**kwargs)
    greeter = log.ContextFormatter(**kwargs)
    record = logging.getLogger("greeter.test").makeRecord(
        "greeter.test", logging.INFO, __file__, 1, "with a request id", (),
        None, extra={"context": context.RequestContext(
            request_id="req-1", overwrite=False)})
    line = greeter.format(copy.copy(record))
    assert line == oslo.format(copy.copy(record))
    assert line == "context with a request id"


def test_user_identity_of_each_caller_reads_as_oslos(conf):
    # The identity text is remembered per caller: lines of several callers,
    # one after another and again, each read as oslo's, and a format
    # showing a list (roles, which cannot be a cache key) works too.
    conf.set_override("logging_user_identity_format",
                      "%(user)s/%(project)s %(roles)s")
    conf.set_override("logging_context_format_string",
                      "[%(user_identity)s] %(message)s")
    kwargs = _formatter_kwargs(conf)
    oslo = formatters.ContextFormatter(**kwargs)
    greeter = log.ContextFormatter(**kwargs)
    callers = [context.RequestContext(request_id="req-1", overwrite=False,
                                      **ids)
               for ids in ({}, {"user_id": "u1"},
                           {"user_id": "u1", "project_id": "p1"},
                           {"user_id": "u2", "project_id": "p1",
                            "roles": ["reader", "member"]},
                           {"project_id": "p2"})]
    lines = []
    for request_context in callers + callers[::-1]:
        record = logging.getLogger("greeter.test").makeRecord(
            "greeter.test", logging.INFO, __file__, 1, "hi", (), None,
            extra={"context": request_context})
        line = greeter.format(copy.copy(record))
        assert line == oslo.format(copy.copy(record))
        lines.append(line)
    assert lines[:5] == [
        "[-/- -] hi", "[u1/- -] hi", "[u1/p1 -] hi",
        "[u2/p1 ['reader', 'member']] hi", "[-/p2 -] hi"]


def test_user_identities_remembered_are_bounded(conf):
    kwargs = _formatter_kwargs(conf)
    greeter = log.ContextFormatter(**kwargs)
    for number in range(log.MAX_IDENTITIES + 10):
        values = {"user": f"u{number}", "project": "p"}
        assert greeter.user_identity(values) == f"u{number} p - - - -"
        assert len(greeter._identities) <= log.MAX_IDENTITIES
    # The table was emptied when full, and filled again since.
    assert len(greeter._identities) == 10
    assert greeter.user_identity({"user": "u1"}) == "u1 - - - - -"


def test_a_callers_identity_text_is_made_once(conf):
    kwargs = _formatter_kwargs(conf)
    greeter = log.ContextFormatter(**kwargs)
    made = []
    make = greeter._identity_text

    def counting(shown):
        made.append(shown)
        return make(shown)

    greeter._identity_text = counting
    for _ in range(3):
        assert greeter.user_identity({"user": "u1", "project": "p1"}) == \
            "u1 p1 - - - -"
    assert len(made) == 1
    assert sorted(map(str, made[0])) == sorted(map(str, (
        "u1", "p1", None, None, None, None)))
