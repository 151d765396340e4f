namespace Benchmarks.Worker;

/// <summary>One worker configuration the batching benchmark compares.</summary>
public sealed record BatchingConfig(string Name, int MaxBatchSize, int MaxWaitMs, int IntraOpThreads);
