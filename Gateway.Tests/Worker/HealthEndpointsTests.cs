using System.Text.Json;
using Microsoft.AspNetCore.Http;
using ModelWorker;
using ModelWorker.Api;

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

    private static async Task<(int Status, JsonElement Body)> InvokeAsync(Func<HttpContext, Task> endpoint)
    {
        var context = new DefaultHttpContext();
        using var stream = new MemoryStream();
        context.Response.Body = stream;
        await endpoint(context);
        return (context.Response.StatusCode, JsonDocument.Parse(stream.ToArray()).RootElement.Clone());
    }
}
