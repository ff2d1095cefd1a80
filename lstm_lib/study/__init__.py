"""The study: the wave task, multi-seed experiments, statistics, verdicts and the PyTorch port."""
