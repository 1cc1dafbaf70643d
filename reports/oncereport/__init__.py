"""oncecheck's comparison report: reads build/results, writes build/report."""
