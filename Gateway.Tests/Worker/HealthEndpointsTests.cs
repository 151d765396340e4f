using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ModelWorker;
using ModelWorker.Api;
using ModelWorker.Batching;

namespace Gateway.Tests.Worker;

public sealed class HealthEndpointsTests
{
    private readonly HealthEndpoints _endpoints = new(new WorkerState(), new WorkerOptions());

    [Fact]
    public async Task Health_ModelNotLoaded_Returns503()
    {
        var (status, body) = await InvokeAsync(_endpoints.HealthAsync);

        Assert.Equal(503, status);
        Assert.Equal("loading", body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ready_ModelNotLoaded_Returns503WithReason()
    {
        var (status, body) = await InvokeAsync(_endpoints.ReadyAsync);

        Assert.Equal(503, status);
        Assert.False(body.GetProperty("ready").GetBoolean());
        Assert.Equal("model not loaded", body.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Health_ModelRunLongerThanLimit_Returns503StalledUntilTheRunEnds()
    {
        using var model = new FakeBatchModel();
        var time = new FakeTimeProvider();
        var state = new WorkerState();
        var batcher = new Batcher(model, new BatcherOptions(), time, NullLogger.Instance);
        state.Publish(batcher, new LoadedModelInfo("fake.onnx", "fake.onnx", "cpu", model.FeatureCount, model.ClassCount, false));
        var endpoints = new HealthEndpoints(state, new WorkerOptions { BatchRunLimit = TimeSpan.FromSeconds(10) });
        var loop = Task.Run(batcher.RunAsync);
        model.Close(); // the model's Run hangs
        var hung = batcher.SubmitAsync([1f, 0f]);
        await model.WaitForRunAsync();

        time.Advance(TimeSpan.FromSeconds(10));
        var (atLimit, _) = await InvokeAsync(endpoints.HealthAsync);
        time.Advance(TimeSpan.FromSeconds(1));
        var (over, overBody) = await InvokeAsync(endpoints.HealthAsync);
        var (ready, readyBody) = await InvokeAsync(endpoints.ReadyAsync);
        model.Open();
        await hung.WaitAsync(TimeSpan.FromSeconds(10));
        var (after, _) = await InvokeAsync(endpoints.HealthAsync);
        batcher.Complete();
        await loop.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(200, atLimit);
        Assert.Equal(503, over);
        Assert.Equal("stalled", overBody.GetProperty("status").GetString());
        Assert.Contains("running for 11.0 s, over --batch-run-limit-ms 10000", overBody.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(503, ready);
        Assert.Contains("running for", readyBody.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(200, after);
    }

    private static async Task<(int Status, JsonElement Body)> InvokeAsync(Func<HttpContext, Task> endpoint)
    {
        var context = new DefaultHttpContext();
        using var stream = new MemoryStream();
        context.Response.Body = stream;
        await endpoint(context);
        return (context.Response.StatusCode, JsonDocument.Parse(stream.ToArray()).RootElement.Clone());
    }
}
