"""Schema: ``CiteSpec``, where a rule or a KPI comes from (rules and KPIs share it)."""

from __future__ import annotations

from pydantic import Field

from svcrules.effects.base import Spec


class CiteSpec(Spec):
    """Where a rule comes from: the source document, article and line(s). Never the text itself."""

    doc: str = Field(
        description="Id of a document listed in the pack's `sources`",
        examples=["002_fac772938e6de494"],
    )
    article: str | None = Field(
        default=None, description="Article, clause or section of the document", examples=["3.1"]
    )
    line: int | str | None = Field(
        default=None, description="Line number(s) in the source, e.g. 117 or '34≡195'"
    )
    note: str | None = Field(
        default=None, description="A remark on how the rule reads the source (not its text)"
    )
