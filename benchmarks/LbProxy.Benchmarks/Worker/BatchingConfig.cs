namespace Benchmarks.Worker;

/// <summary>One worker configuration the batching benchmark compares; <paramref name="Mode"/> is the worker's --batching.</summary>
public sealed record BatchingConfig(string Name, string Mode, int MaxBatchSize, int MaxWaitMs, int IntraOpThreads);
