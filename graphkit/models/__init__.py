"""One module per paper, the shared baselines, and the method table (:mod:`graphkit.models.registry`)."""
