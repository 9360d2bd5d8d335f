"""Reliability tests reuse the functional tests' real greeter-api fixtures."""

from tests.functional.conftest import greeter  # noqa: F401
from tests.functional.conftest import greeter_logs  # noqa: F401
from tests.functional.conftest import start_greeter  # noqa: F401
