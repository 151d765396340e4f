using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real Kestrel backend on 127.0.0.1 (port from the OS) that answers with its name. Tests turn its knobs:
/// a delay, a status code, a gate that holds requests, a reported X-Queue-Depth.
/// </summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _hits;
    private int _concurrent;
    private int _maxConcurrent;

    private TestBackend(string name, WebApplication app)
    {
        Name = name;
        _app = app;
    }

    public string Name { get; }

    public string Url => _app.Urls.First();

    public int Hits => Volatile.Read(ref _hits);

    /// <summary>The most requests (health probes included) this backend has held at once.</summary>
    public int MaxConcurrent => Volatile.Read(ref _maxConcurrent);

    public TimeSpan Delay { get; set; }

    public int StatusCode { get; set; } = 200;

    public int? QueueDepth { get; set; }

    /// <summary>When above 0, the answer is the name, then this many chunks ("." each) <see cref="ChunkInterval"/> apart.</summary>
    public int ChunkCount { get; set; }

    public TimeSpan ChunkInterval { get; set; }

    /// <summary>Answer with "name:body" (the request body as received) instead of the name alone.</summary>
    public bool EchoBody { get; set; }

    /// <summary>While set and not completed, requests wait on it.</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>Send the status, headers and a first chunk of body, wait, then drop the connection.</summary>
    public bool AbortAfterFirstByte { get; set; }

    /// <summary>When set, the arrival time (ms on this clock) of every request except health probes is kept in <see cref="HitTimesMs"/>.</summary>
    public System.Diagnostics.Stopwatch? Clock { get; set; }

    public System.Collections.Concurrent.ConcurrentQueue<double> HitTimesMs { get; } = new();

    /// <summary>The path health probes use; not counted in <see cref="HitTimesMs"/>.</summary>
    public string ProbePath { get; set; } = "/ready";

    public static async Task<TestBackend> StartAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var backend = new TestBackend(name, app);
        app.Run(backend.HandleAsync);
        await app.StartAsync();
        return backend;
    }

    public void ResetHits() => Interlocked.Exchange(ref _hits, 0);

    private async Task HandleAsync(HttpContext context)
    {
        var now = Interlocked.Increment(ref _concurrent);
        for (var max = Volatile.Read(ref _maxConcurrent); now > max; max = Volatile.Read(ref _maxConcurrent))
        {
            Interlocked.CompareExchange(ref _maxConcurrent, now, max);
        }

        try
        {
            await ServeAsync(context);
        }
        finally
        {
            Interlocked.Decrement(ref _concurrent);
        }
    }

    private async Task ServeAsync(HttpContext context)
    {
        Interlocked.Increment(ref _hits);
        if (Clock is { } clock && context.Request.Path != ProbePath)
        {
            HitTimesMs.Enqueue(clock.Elapsed.TotalMilliseconds);
        }
        if (Gate is { } gate)
        {
            await gate.Task.WaitAsync(context.RequestAborted);
        }

        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, context.RequestAborted);
        }

        context.Response.StatusCode = StatusCode;
        if (QueueDepth is { } depth)
        {
            context.Response.Headers["X-Queue-Depth"] = depth.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (AbortAfterFirstByte)
        {
            await context.Response.WriteAsync("partial-", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await Task.Delay(200, context.RequestAborted); // long enough for the proxy to pass it on to its client
            context.Abort();
            return;
        }

        if (ChunkCount > 0)
        {
            await context.Response.WriteAsync(Name, context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            for (var i = 0; i < ChunkCount; i++)
            {
                await Task.Delay(ChunkInterval, context.RequestAborted);
                await context.Response.WriteAsync(".", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }

            return;
        }

        if (EchoBody)
        {
            using var reader = new StreamReader(context.Request.Body);
            await context.Response.WriteAsync($"{Name}:{await reader.ReadToEndAsync(context.RequestAborted)}", context.RequestAborted);
            return;
        }

        await context.Response.WriteAsync(Name, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        Gate?.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
