/* empty.c — an empty preload object: the baseline cost of any LD_PRELOAD. */
int llmtap_bench_empty;
