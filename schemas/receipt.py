"""A till receipt, as `docpipe run --schema schemas/receipt.py:Receipt` fills it (one per document).

Amounts are numbers as printed; `date` is ISO 8601 (YYYY-MM-DD) and `time`
24-hour HH:MM. Fields the receipt does not show stay null.
"""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, Field


class ReceiptItem(BaseModel):
    name: str
    quantity: Optional[float] = None
    price: Optional[float] = Field(None, description="line total")


class Receipt(BaseModel):
    merchant: Optional[str] = None
    merchant_address: Optional[str] = None
    date: Optional[str] = Field(None, description="YYYY-MM-DD")
    time: Optional[str] = Field(None, description="HH:MM, 24-hour")
    items: list[ReceiptItem] = []
    subtotal: Optional[float] = None
    tax: Optional[float] = None
    tip: Optional[float] = None
    total: Optional[float] = None
    payment_method: Optional[str] = Field(None, description="cash, card, ...")
    currency: Optional[str] = Field(None, description="ISO 4217 code")
