"""One module per benchmark family; each registers its tasks in ``rtlgen.evals.registry.TASKS``."""
