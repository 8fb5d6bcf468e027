"""Reports: target checks on outcomes, ``report.md``, figures and comparisons."""
