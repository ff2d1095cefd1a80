"""Training: configurations, optimisers, the training loop, free-running evaluation and checkpoints."""
