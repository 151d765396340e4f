using Gateway.Fleet;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Fleet;

/// <summary>
/// A stand-in for a ModelWorker process behind the supervisor's launcher seam: a real Kestrel on 127.0.0.1 (port from
/// the OS) whose /ready and /health answer what the test says, can hang /health, and can "exit" or make its process
/// state throw, as a Process whose state cannot be read does.
/// </summary>
internal sealed class FakeFleetWorker : IFleetWorker
{
    private readonly WebApplication _app;
    private readonly ProbeCounter _probes;
    private readonly TaskCompletionSource _neverListening = new();
    private volatile bool _exited;
    private int _throwOnHasExited;

    private FakeFleetWorker(string id, WebApplication app, ProbeCounter probes)
    {
        Id = id;
        _app = app;
        _probes = probes;
        Address = app.Urls.First().TrimEnd('/');
        Port = new Uri(Address).Port;
    }

    public string Id { get; }

    public int Pid => 1_000_000 + Port; // no process: a number no real process of this test has

    public int Port { get; }

    public string Address { get; }

    /// <summary>Completed unless the test said it never reports its address (<see cref="ReportsAddress"/>).</summary>
    public Task Listening => ReportsAddress ? Task.CompletedTask : _neverListening.Task;

    /// <summary>False: as a process that never says where it listens, though its /ready would answer.</summary>
    public bool ReportsAddress { get; set; } = true;

    public bool HasExited => Interlocked.Exchange(ref _throwOnHasExited, 0) == 0
        ? _exited
        : throw new InvalidOperationException("No process is associated with this object.");

    public int? ExitCode => _exited ? 137 : null;

    public string Device { get; set; } = "?";

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    public TimeSpan CpuTime => TimeSpan.Zero;

    /// <summary>Status /ready answers (200 = ready).</summary>
    public int ReadyStatus { get; set; } = 200;

    /// <summary>While true, /health answers nothing until the caller gives up.</summary>
    public bool HangHealth { get; set; }

    public static async Task<FakeFleetWorker> StartAsync(string id, ProbeCounter probes)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        FakeFleetWorker? worker = null;
        app.MapGet("/ready", () => Results.StatusCode(worker!.ReadyStatus));
        app.MapGet("/health", async (HttpContext context) =>
        {
            if (!worker!.HangHealth)
            {
                return Results.Json(new { status = "healthy", device = "fake" });
            }

            using (probes.Enter())
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            return Results.StatusCode(503);
        });
        await app.StartAsync();
        worker = new FakeFleetWorker(id, app, probes);
        return worker;
    }

    /// <summary>The next read of <see cref="HasExited"/> throws.</summary>
    public void ThrowOnNextStateRead() => Volatile.Write(ref _throwOnHasExited, 1);

    /// <summary>Dies as kill -9 would: no more answers, exited.</summary>
    public async Task ExitAsync()
    {
        _exited = true;
        await _app.StopAsync();
    }

    public async Task StopAsync(TimeSpan grace)
    {
        if (!_exited)
        {
            await ExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _exited = true;
        await _app.DisposeAsync();
    }
}
