using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ModelWorker.Batching;
using ModelWorker.Cache;
using ModelWorker.Inference;
using ModelWorker.Models;

namespace Gateway.Tests.Worker.Cache;

/// <summary>
/// The cache in front of a real model's batcher: a hit never reaches the batcher (the model's Run count does not
/// move), an expired or evicted row is inferred again; and through a real worker's /predict.
/// </summary>
public sealed class CachedInferenceTests : IAsyncDisposable
{
    private static readonly float[] RowA = [5.1f, 3.5f, 1.4f, 0.2f];
    private static readonly float[] RowB = [1f, 2f, 3f, 4f];
    private static readonly float[] RowC = [0f, 0f, 0f, 1f];
    private readonly FakeTimeProvider _time = new();
    private readonly OnnxBatchModel _onnx;
    private readonly CountingBatchModel _model;
    private readonly Batcher _batcher;
    private readonly Task _loop;
    private readonly ServedModel _served;

    public CachedInferenceTests()
    {
        _onnx = OnnxModelLoader.Load(InProcessWorker.SmallModel, DeviceOption.Cpu, 1, NullLogger.Instance);
        _model = new CountingBatchModel(_onnx);
        _batcher = new Batcher(_model, new BatcherOptions(), _time, NullLogger.Instance);
        _loop = Task.Run(_batcher.RunAsync);
        _served = new ServedModel(new ModelEntry(new ModelKey("classifier-small", "1"), InProcessWorker.SmallModel, 0), _onnx, _batcher, pinned: false);
    }

    [Fact]
    public async Task PredictAsync_RepeatedRow_HitSkipsInferenceUntilTheTimeToLivePasses()
    {
        var inference = Inference(capacity: 8, ttl: TimeSpan.FromSeconds(10));

        var (first, firstAnswer) = await PredictAsync(inference, RowA);
        var runsAfterFirst = _model.Runs;
        var (hit, hitAnswer) = await PredictAsync(inference, RowA);
        var runsAfterHit = _model.Runs;
        _time.Advance(TimeSpan.FromSeconds(10));
        var (expired, _) = await PredictAsync(inference, RowA);

        Assert.Equal(BatchStatus.Succeeded, first.Status);
        Assert.Equal(1, first.BatchSize);
        Assert.Equal(1, runsAfterFirst);
        Assert.Equal(BatchStatus.Succeeded, hit.Status);
        Assert.Equal(0, hit.BatchSize); // answered from the cache, in no batch
        Assert.Equal(runsAfterFirst, runsAfterHit);
        Assert.Equal(firstAnswer, hitAnswer);
        Assert.Equal(1, expired.BatchSize);
        Assert.Equal(2, _model.Runs);
    }

    [Fact]
    public async Task PredictAsync_CapacityTwo_TheEvictedRowIsInferredAgain()
    {
        var inference = Inference(capacity: 2, ttl: TimeSpan.Zero);
        await PredictAsync(inference, RowA);
        await PredictAsync(inference, RowB);
        await PredictAsync(inference, RowC); // evicts A, the least recently used
        var rows = _model.Rows;

        var (b, _) = await PredictAsync(inference, RowB);
        var (a, _) = await PredictAsync(inference, RowA);

        Assert.Equal(0, b.BatchSize);
        Assert.Equal(1, a.BatchSize);
        Assert.Equal(rows + 1, _model.Rows);
    }

    [Fact]
    public async Task Predict_WorkerWithCache_SecondIdenticalRowIsAHitWithTheSameAnswer()
    {
        await using var worker = await InProcessWorker.StartAsync("--cache-capacity", "16");

        var (firstCache, first) = await PostAsync(worker, RowA);
        var (secondCache, second) = await PostAsync(worker, RowA);
        var (otherCache, _) = await PostAsync(worker, RowB);
        var metrics = await worker.Client.GetStringAsync("/metrics");

        Assert.Equal("miss", firstCache);
        Assert.Equal("hit", secondCache);
        Assert.Equal("miss", otherCache);
        Assert.Equal(0, second.GetProperty("batch_size").GetInt32());
        Assert.Equal(first.GetProperty("probabilities").GetRawText(), second.GetProperty("probabilities").GetRawText());
        Assert.Contains("ml_cache_hits_total", metrics, StringComparison.Ordinal);
        Assert.Contains("ml_cache_misses_total", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_WorkerWithoutCacheOptions_CacheIsOff()
    {
        await using var worker = await InProcessWorker.StartAsync();

        using var response = await worker.Client.PostAsJsonAsync("/predict", new { features = RowA });
        using var again = await worker.Client.PostAsJsonAsync("/predict", new { features = RowA });
        using var json = JsonDocument.Parse(await again.Content.ReadAsStringAsync());

        Assert.False(response.Headers.Contains("X-Cache"));
        Assert.True(json.RootElement.GetProperty("batch_size").GetInt32() >= 1);
    }

    public async ValueTask DisposeAsync()
    {
        _batcher.Complete();
        await _loop;
        _onnx.Dispose();
    }

    private CachedInference Inference(int capacity, TimeSpan ttl) =>
        new(new PredictionCache(new PredictionCacheOptions { Capacity = capacity, TimeToLive = ttl }, _time));

    private async Task<(BatchResult Result, float[] Answer)> PredictAsync(CachedInference inference, float[] row)
    {
        var answer = new float[_onnx.ClassCount];
        var result = await inference.PredictAsync(_served, row, answer, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        return (result, answer);
    }

    private static async Task<(string? Cache, JsonElement Body)> PostAsync(InProcessWorker worker, float[] row)
    {
        using var response = await worker.Client.PostAsJsonAsync("/predict", new { features = row });
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.Headers.TryGetValues("X-Cache", out var values) ? values.Single() : null, json.RootElement.Clone());
    }
}
