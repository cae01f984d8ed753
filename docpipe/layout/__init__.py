"""Pure page geometry in upright points: glyphs, lines, blocks, their kinds, reading order, tables.

No PDF, OCR or Ray library is imported here (numpy is the one outside
library), so every engine shares this code and it is tested on plain tuples.
"""
