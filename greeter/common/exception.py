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

"""Errors greeter raises, and the error codes clients can match on.

Codes follow the OpenStack API-SIG errors guideline: a stable dotted
string per kind of failure, carried in ``errors[].code``.
"""

AUTH_MISSING = "greeter.auth.missing"
AUTH_INVALID = "greeter.auth.invalid"
# Keystone could not be asked whether a token is valid.
AUTH_UNAVAILABLE = "greeter.auth.unavailable"
# Authenticated, but policy does not allow this action to this caller.
POLICY_NOT_AUTHORIZED = "greeter.policy.not_authorized"
NOT_FOUND = "greeter.not_found"
METHOD_NOT_ALLOWED = "greeter.method_not_allowed"
NOT_ACCEPTABLE = "greeter.not_acceptable"
REQUEST_TOO_LARGE = "greeter.request_too_large"
BAD_REQUEST = "greeter.bad_request"
INTERNAL_ERROR = "greeter.internal_error"
UNDEFINED = "greeter.undefined"

# Codes for errors that other layers (webob, oslo.middleware) produce.
CODE_BY_STATUS = {
    400: BAD_REQUEST,
    401: AUTH_MISSING,
    404: NOT_FOUND,
    405: METHOD_NOT_ALLOWED,
    406: NOT_ACCEPTABLE,
    413: REQUEST_TOO_LARGE,
    500: INTERNAL_ERROR,
}


class ConfigError(Exception):
    """The configuration cannot work; the service must not start."""


class PolicyNotAuthorizedError(Exception):
    """Policy does not allow the caller this action: a 403."""

    code = POLICY_NOT_AUTHORIZED

    def __init__(self, action: str) -> None:
        super().__init__(f"Policy does not allow {action}.")
        self.action = action
