"""The statistics and the verdict rules: intervals, power, paired verdicts, the family of claims."""
