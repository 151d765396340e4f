using System.Diagnostics;
using Gateway.Health;
using Gateway.LoadBalancing;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.Infrastructure;

/// <summary>One look at one destination during a run.</summary>
public sealed record DestinationSample(double Ms, string Id, long Requests, long Failures, bool Available, DestinationHealth Active,
    DestinationHealth Passive, string Circuit, double RampFactor);

/// <summary>
/// Reads the gateway's own per-destination record (tries sent, failures, health, circuit, slow-start share)
/// every few milliseconds during a fault run, so a test can say when a destination got its last try, when it
/// left the available set and when it came back, on the same clock as the load driver.
/// </summary>
public sealed class GatewaySampler : IAsyncDisposable
{
    private readonly List<DestinationSample> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private double _lastMs;

    public double MaxGapMs { get; private set; }

    public double MaxGapAtMs { get; private set; }

    public string Threads { get; private set; } = "";

    private GatewaySampler(IServiceProvider services, string clusterId, Stopwatch clock, TimeSpan every)
    {
        var lookup = services.GetRequiredService<IProxyStateLookup>();
        var registry = services.GetRequiredService<DestinationStatsRegistry>();
        var breakers = services.GetRequiredService<CircuitBreakers>();
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var gap = clock.Elapsed.TotalMilliseconds - _lastMs;
                if (gap > MaxGapMs)
                {
                    MaxGapMs = gap;
                    MaxGapAtMs = clock.Elapsed.TotalMilliseconds;
                    Threads = $"threads {ThreadPool.ThreadCount} pending {ThreadPool.PendingWorkItemCount}";
                }

                _lastMs = clock.Elapsed.TotalMilliseconds;
                if (lookup.TryGetCluster(clusterId, out var cluster))
                {
                    var available = cluster.DestinationsState.AvailableDestinations;
                    var ms = clock.Elapsed.TotalMilliseconds;
                    lock (_samples)
                    {
                        foreach (var d in cluster.DestinationsState.AllDestinations)
                        {
                            var stats = registry.Get(cluster, d);
                            _samples.Add(new DestinationSample(ms, d.DestinationId, stats.Requests, stats.Failures, available.Contains(d),
                                d.Health.Active, d.Health.Passive, breakers.Find(d)?.State.ToString() ?? "Closed", stats.RampFactor));
                        }
                    }
                }

                try
                {
                    await Task.Delay(every, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        });
    }

    public static GatewaySampler Start(GatewayUnderTest gateway, Stopwatch clock, string clusterId = "backends") =>
        new(gateway.Host.Services, clusterId, clock, TimeSpan.FromMilliseconds(10));

    public IReadOnlyList<DestinationSample> Of(string id)
    {
        lock (_samples)
        {
            return _samples.Where(s => s.Id == id).ToList();
        }
    }

    /// <summary>The first sample at or after <paramref name="afterMs"/> that matches, or null.</summary>
    public DestinationSample? First(string id, double afterMs, Func<DestinationSample, bool> match) =>
        Of(id).FirstOrDefault(s => s.Ms >= afterMs && match(s));

    /// <summary>When the destination's count of failed tries first grew after <paramref name="afterMs"/>.</summary>
    public double? FirstFailureMs(string id, double afterMs)
    {
        var samples = Of(id);
        var baseline = samples.LastOrDefault(s => s.Ms <= afterMs)?.Failures ?? 0;
        return samples.FirstOrDefault(s => s.Ms > afterMs && s.Failures > baseline)?.Ms;
    }

    /// <summary>When the destination's count of tries last grew (at or before <paramref name="untilMs"/>).</summary>
    public double LastTryMs(string id, double untilMs = double.MaxValue)
    {
        var samples = Of(id).Where(s => s.Ms <= untilMs).ToList();
        var last = samples.LastOrDefault();
        if (last is null)
        {
            return 0;
        }

        return samples.First(s => s.Requests == last.Requests).Ms;
    }

    /// <summary>Tries the gateway sent to the destination (completed) between two times on the run's clock.</summary>
    public long TriesBetween(string id, double fromMs, double toMs)
    {
        var samples = Of(id);
        var from = samples.LastOrDefault(s => s.Ms <= fromMs)?.Requests ?? 0;
        var to = samples.LastOrDefault(s => s.Ms <= toMs)?.Requests ?? from;
        return to - from;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
