"""Where runs are made and kept: the wave task, one trial and its row, the checksummed cache,
the parallel runner (local processes or Dask), the results files and the machine fingerprint."""
