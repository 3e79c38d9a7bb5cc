"""Report: a compliance report of a ledger or an outcome table: the figures as data
(``ReportData``, ``--format json``) and as one self-contained HTML page (``render_html``).

``svcrules report`` (``svcrules.cli.report``) reads the input; charts need the ``report`` extra
(matplotlib). See docs/report.md.
"""

from svcrules.report.build import from_ledger
from svcrules.report.html import render_html
from svcrules.report.model import ReportData, ReportError
from svcrules.report.sources import read_table
from svcrules.report.table import from_table

__all__ = ["ReportData", "ReportError", "from_ledger", "from_table", "read_table", "render_html"]
