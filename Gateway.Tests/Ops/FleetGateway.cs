using System.Diagnostics;
using System.Net.Http.Json;
using Gateway.Fleet;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Ops;

/// <summary>
/// The embedded default as a user runs it (a local fleet of real ModelWorker processes), on OS-chosen ports, with
/// a steady trickle of predictions on demand so the page, Prometheus and the dashboard have something to show.
/// </summary>
public sealed class FleetGateway : IAsyncDisposable
{
    private static readonly object s_row = new { features = new[] { 5.1, 3.5, 1.4, 0.2 } };
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _traffic = [];
    private int _sent;
    private int _failed;

    private FleetGateway(GatewayHost host)
    {
        Host = host;
        Proxy = new HttpClient { BaseAddress = new Uri(host.ProxyUrls[0]), Timeout = TimeSpan.FromSeconds(30) };
        Admin = new HttpClient { BaseAddress = new Uri(host.AdminUrls[0]), Timeout = TimeSpan.FromSeconds(30) };
    }

    public GatewayHost Host { get; }

    public HttpClient Proxy { get; }

    public HttpClient Admin { get; }

    public FleetSupervisorView Fleet => Host.Fleet!;

    public int Sent => Volatile.Read(ref _sent);

    public int Failed => Volatile.Read(ref _failed);

    /// <summary>Starts the gateway and waits until its <paramref name="workers"/> workers are in rotation.</summary>
    public static async Task<FleetGateway> StartAsync(int workers = 3, AutoscaleOptions? autoscale = null)
    {
        var host = await GatewayHost.StartAsync(new GatewayHostOptions
        {
            Config = EmbeddedConfig.Create(new FleetOptions { Workers = workers, Autoscale = autoscale ?? new AutoscaleOptions { Enabled = false } }),
            Urls = ["http://127.0.0.1:0"],
            AdminUrls = ["http://127.0.0.1:0"],
            MeterName = $"LbProxy.Gateway.Test.{Guid.NewGuid():N}",
        }, logging => logging.SetMinimumLevel(LogLevel.Warning));
        var gateway = new FleetGateway(host);
        try
        {
            await host.Fleet!.InitialReady.WaitAsync(TimeSpan.FromSeconds(90));
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }

        return gateway;
    }

    /// <summary>Starts <paramref name="clients"/> closed-loop clients, each pausing <paramref name="pause"/> between predictions.</summary>
    public void StartTraffic(int clients, TimeSpan pause)
    {
        for (var i = 0; i < clients; i++)
        {
            _traffic.Add(Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    try
                    {
                        using var response = await Proxy.PostAsJsonAsync("/predict", s_row, _stop.Token);
                        Interlocked.Increment(ref _sent);
                        if (!response.IsSuccessStatusCode)
                        {
                            Interlocked.Increment(ref _failed);
                        }

                        await Task.Delay(pause, _stop.Token);
                    }
                    catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                    {
                        return;
                    }
                }
            }));
        }
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan limit, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < limit, $"timed out after {limit.TotalSeconds} s waiting for {what}");
            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_traffic);
        Proxy.Dispose();
        Admin.Dispose();
        await Host.DisposeAsync();
        _stop.Dispose();
    }
}
