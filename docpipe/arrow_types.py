"""Width markers for numbers, read by `docpipe.arrow` when it derives Arrow types.

Python has one int and one float; Parquet readers care about the width, and
boxes in float32 halve the size of the lines column.
"""

from typing import Annotated


class ArrowWidth:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"ArrowWidth({self.name})"


Float32 = Annotated[float, ArrowWidth("float32")]
Int32 = Annotated[int, ArrowWidth("int32")]
