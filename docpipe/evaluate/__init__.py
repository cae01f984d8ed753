"""Quality metrics for docpipe outputs against ground truth."""
