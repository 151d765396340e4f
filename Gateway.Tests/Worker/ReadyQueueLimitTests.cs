using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ModelWorker;
using ModelWorker.Api;
using ModelWorker.Batching;

namespace Gateway.Tests.Worker;

/// <summary>/ready against a real batcher whose model is held at a gate, so the queue depth is exact.</summary>
public sealed class ReadyQueueLimitTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly FakeBatchModel _model = new();
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task Ready_QueueDeeperThanLimit_Returns503WithReasonUntilItDrains()
    {
        var state = new WorkerState();
        var batcher = new Batcher(_model, new BatcherOptions { MaxBatchSize = 1, MaxWait = TimeSpan.Zero }, _time, NullLogger.Instance);
        state.Publish(batcher, new LoadedModelInfo("fake.onnx", "fake.onnx", "cpu", _model.FeatureCount, _model.ClassCount, false));
        var endpoints = new HealthEndpoints(state, new WorkerOptions { ReadyQueueLimit = 2 });
        var loop = Task.Run(batcher.RunAsync);
        _model.Close();
        var running = batcher.SubmitAsync([0f, 0f]); // claimed by the loop: no longer waiting
        await _model.WaitForRunAsync();
        var waiting = new List<Task<BatchResult>> { batcher.SubmitAsync([1f, 0f]), batcher.SubmitAsync([2f, 0f]) };

        var (atLimit, atLimitBody) = await InvokeAsync(endpoints.ReadyAsync);
        waiting.Add(batcher.SubmitAsync([3f, 0f]));
        var (above, aboveBody) = await InvokeAsync(endpoints.ReadyAsync);
        _model.Open();
        await Task.WhenAll(waiting.Prepend(running)).WaitAsync(Wait);
        var (drained, drainedBody) = await InvokeAsync(endpoints.ReadyAsync);

        Assert.Equal(200, atLimit);
        Assert.Equal(2, atLimitBody.GetProperty("queue_size").GetInt32());
        Assert.Equal(503, above);
        Assert.False(aboveBody.GetProperty("ready").GetBoolean());
        Assert.Equal(3, aboveBody.GetProperty("queue_size").GetInt32());
        Assert.Equal("queue size 3 is above the ready limit 2", aboveBody.GetProperty("reason").GetString());
        Assert.Equal(200, drained);
        Assert.True(drainedBody.GetProperty("ready").GetBoolean());
        Assert.Equal(0, drainedBody.GetProperty("queue_size").GetInt32());
        Assert.False(drainedBody.TryGetProperty("reason", out _));
        batcher.Complete();
        await loop.WaitAsync(Wait);
    }

    public void Dispose() => _model.Dispose();

    private static async Task<(int Status, JsonElement Body)> InvokeAsync(Func<HttpContext, Task> endpoint)
    {
        var context = new DefaultHttpContext();
        using var stream = new MemoryStream();
        context.Response.Body = stream;
        await endpoint(context);
        return (context.Response.StatusCode, JsonDocument.Parse(stream.ToArray()).RootElement.Clone());
    }
}
