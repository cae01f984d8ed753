"""A run on Ray Data: the driver, its stages and passes, and what a worker needs. The only folder that imports ray."""
