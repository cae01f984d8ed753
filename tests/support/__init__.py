"""Helpers the tests share: generated inputs, fake servers, local Ray clusters, test engines."""
