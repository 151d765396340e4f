using ModelWorker.Batching;

namespace Gateway.Tests.Worker.Cache;

/// <summary>A real model that counts its Runs and rows: a cache hit must add neither.</summary>
internal sealed class CountingBatchModel(IBatchModel inner) : IBatchModel
{
    private int _runs;
    private int _rows;

    public int Runs => Volatile.Read(ref _runs);

    public int Rows => Volatile.Read(ref _rows);

    public int FeatureCount => inner.FeatureCount;

    public int ClassCount => inner.ClassCount;

    public string Device => inner.Device;

    public void Run(Memory<float> input, Memory<float> output, int batchSize)
    {
        Interlocked.Increment(ref _runs);
        Interlocked.Add(ref _rows, batchSize);
        inner.Run(input, output, batchSize);
    }
}
