using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using ModelWorker.Batching;

namespace Gateway.Tests.Worker;

/// <summary>
/// A model for batcher tests: records each batch's rows (by their first feature), can hold Run at a gate so a
/// test controls what is running, and can throw. Output row i is [feature0, batchSize].
/// </summary>
internal sealed class FakeBatchModel : IBatchModel, IDisposable
{
    private readonly ManualResetEventSlim _gate = new(initialState: true);
    private readonly Channel<int> _started = Channel.CreateUnbounded<int>();

    public int FeatureCount => 2;

    public int ClassCount => 2;

    public string Device => "cpu";

    /// <summary>First feature of every row, per batch, in run order.</summary>
    public ConcurrentQueue<float[]> Batches { get; } = new();

    /// <summary>The arrays behind each Run's input and output, per batch, to see whether buffers are reused.</summary>
    public ConcurrentQueue<(float[]? Input, float[]? Output)> Buffers { get; } = new();

    /// <summary>The next batch's Run throws this, once.</summary>
    public Exception? FailNext { get; set; }

    public void Close() => _gate.Reset();

    public void Open() => _gate.Set();

    /// <summary>Waits until a Run started; returns its batch size.</summary>
    public async Task<int> WaitForRunAsync() => await _started.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    public void Run(Memory<float> input, Memory<float> output, int batchSize)
    {
        var rows = new float[batchSize];
        for (var i = 0; i < batchSize; i++)
        {
            rows[i] = input.Span[i * FeatureCount];
        }

        Batches.Enqueue(rows);
        Buffers.Enqueue((MemoryMarshal.TryGetArray<float>(input, out var inArray) ? inArray.Array : null,
            MemoryMarshal.TryGetArray<float>(output, out var outArray) ? outArray.Array : null));
        _started.Writer.TryWrite(batchSize);
        if (!_gate.Wait(TimeSpan.FromSeconds(10)))
        {
            throw new TimeoutException("test gate never opened");
        }

        if (FailNext is { } error)
        {
            FailNext = null;
            throw error;
        }

        for (var i = 0; i < batchSize; i++)
        {
            output.Span[i * ClassCount] = rows[i];
            output.Span[(i * ClassCount) + 1] = batchSize;
        }
    }

    public void Dispose() => _gate.Dispose();
}
