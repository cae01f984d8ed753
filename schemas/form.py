"""Any form as key-value pairs: `docpipe run --schema schemas/form.py:Form` (one per document).

For forms without a schema of their own: each label printed on the form and
the value filled in beside or under it, in reading order. `checked` is set
for checkboxes and radio buttons, `value` for everything else.
"""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, Field


class FormField(BaseModel):
    key: str = Field(description="the label as printed")
    value: Optional[str] = Field(None, description="what was filled in; null when left empty")
    checked: Optional[bool] = Field(None, description="for checkboxes and radio buttons")
    page: Optional[int] = Field(None, description="1-based page the field is on")


class Form(BaseModel):
    title: Optional[str] = Field(None, description="the form's title or name")
    fields: list[FormField] = []
