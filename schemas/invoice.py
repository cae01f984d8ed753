"""An invoice, as `docpipe run --schema schemas/invoice.py:Invoice` fills it (one per document).

Amounts are numbers in the invoice's currency, as printed (no conversion);
dates are ISO 8601 strings (YYYY-MM-DD) so that a model never has to guess a
date type and Arrow stores them as text. Anything the document does not show
stays null rather than being invented.
"""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, Field


class Party(BaseModel):
    name: Optional[str] = Field(None, description="company or person")
    address: Optional[str] = Field(None, description="postal address, lines joined by ', '")
    tax_id: Optional[str] = Field(None, description="VAT / tax identification number")


class LineItem(BaseModel):
    description: str
    quantity: Optional[float] = None
    unit_price: Optional[float] = None
    amount: Optional[float] = Field(None, description="line total")


class Invoice(BaseModel):
    invoice_number: Optional[str] = None
    invoice_date: Optional[str] = Field(None, description="YYYY-MM-DD")
    due_date: Optional[str] = Field(None, description="YYYY-MM-DD")
    currency: Optional[str] = Field(None, description="ISO 4217 code, e.g. EUR")
    seller: Optional[Party] = None
    buyer: Optional[Party] = None
    line_items: list[LineItem] = []
    subtotal: Optional[float] = None
    tax: Optional[float] = None
    total: Optional[float] = Field(None, description="amount due")
