"""Development scripts (the matrix, the lock, the demo) and the process helpers the suites and benchmarks share."""
