using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using ModelWorker.Batching;

namespace Benchmarks.Worker;

/// <summary>
/// What one request costs the batcher, allocation first: <see cref="Requests"/> rows submitted at once (a burst of
/// full batches of 32) and awaited, through the real batch loop with a model whose Run does nothing, on the system
/// clock, in both batching modes (32 / 50 ms). Allocated bytes are per request (OperationsPerInvoke), the batch
/// loop's thread included.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class BatcherSubmitBenchmark
{
    private const int Requests = 256;
    private readonly float[] _features = new float[4];
    private readonly Task<BatchResult>[] _pending = new Task<BatchResult>[Requests];
    private Batcher _batcher = null!;
    private Task _loop = null!;
    private float[] _probabilities = null!;

    [Params(BatchingMode.WorkConserving, BatchingMode.FixedWindow)]
    public BatchingMode Mode { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _batcher = new Batcher(new NoOpModel(), new BatcherOptions { Mode = Mode, MaxBatchSize = 32, QueueCapacity = 4 * Requests }, TimeProvider.System, NullLogger.Instance);
        _loop = Task.Run(_batcher.RunAsync);
        _probabilities = new float[Requests * 3];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _batcher.Complete();
        _loop.GetAwaiter().GetResult();
    }

    [Benchmark(OperationsPerInvoke = Requests)]
    public async Task SubmitAndAwait()
    {
        for (var i = 0; i < Requests; i++)
        {
            _pending[i] = _batcher.SubmitAsync(_features, _probabilities.AsMemory(i * 3, 3));
        }

        for (var i = 0; i < Requests; i++)
        {
            await _pending[i].ConfigureAwait(false);
        }
    }

    private sealed class NoOpModel : IBatchModel
    {
        public int FeatureCount => 4;

        public int ClassCount => 3;

        public string Device => "cpu";

        public void Run(Memory<float> input, Memory<float> output, int batchSize)
        {
        }
    }
}
