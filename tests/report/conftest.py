from __future__ import annotations

import pytest

from chainwatch.models import Report
from tests.report.samples import clean_report, trojanized_installer_report


@pytest.fixture()
def malicious() -> Report:
    return trojanized_installer_report()


@pytest.fixture()
def clean() -> Report:
    return clean_report()
