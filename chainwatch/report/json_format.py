"""``--format json``: exactly ``Report.to_dict`` (the public JSON contract: extend, never break)."""

from __future__ import annotations

import json

from chainwatch.models import Report
from chainwatch.report._common import json_default
from chainwatch.report.interface import RenderOptions, ReportFormat


class JsonFormat(ReportFormat):
    name = "json"
    description = "the JSON contract (tool, version, target, verdict, score, findings, errors[, inventory])"

    def render(self, report: Report, options: RenderOptions) -> str:
        # json_default only touches values json cannot encode (bytes in evidence become hex), so a valid
        # report serialises exactly as to_dict() says. ASCII escapes keep lone surrogates from undecodable
        # member names writable to any file or pipe.
        document = report.to_dict(include_inventory=options.include_inventory)
        return json.dumps(document, indent=2, default=json_default) + "\n"


FORMATS = [JsonFormat()]
