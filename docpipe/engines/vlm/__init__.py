"""The VLM engine: Nemotron Nano 12B V2 VL (or any vision model) through vLLM, in process or behind a server."""
