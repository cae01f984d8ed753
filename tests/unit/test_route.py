"""Which pages the text layer can serve."""

from docpipe.engines.route import TextLayerVerdict, assess_text_layer


def test_verdicts():
    assert assess_text_layer(500, 0, 0.0) is TextLayerVerdict.USABLE
    assert assess_text_layer(500, 0, 1.0) is TextLayerVerdict.USABLE  # text over a background image
    assert assess_text_layer(0, 0, 0.0) is TextLayerVerdict.BLANK
    assert assess_text_layer(0, 0, 0.95) is TextLayerVerdict.IMAGE_ONLY
    assert assess_text_layer(5, 0, 0.95) is TextLayerVerdict.IMAGE_ONLY  # a stamp on a scan
    assert assess_text_layer(400, 200, 0.0) is TextLayerVerdict.GARBAGE  # unmapped glyphs
