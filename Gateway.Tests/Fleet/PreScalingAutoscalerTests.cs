using System.Diagnostics;
using Gateway.Config;
using Gateway.Fleet;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Fleet;

/// <summary>
/// The fleet's autoscaler on a fake clock (its sync period only moves when the test advances it) in front of a real
/// supervisor with fake workers (real Kestrel hosts): a profile's peak raises the fleet before it begins.
/// </summary>
public sealed class PreScalingAutoscalerTests : IAsyncDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 3, 8, 40, 0, TimeSpan.Zero));
    private ServiceProvider? _services;
    private FleetSupervisor? _supervisor;
    private FleetAutoscaler? _autoscaler;

    [Fact]
    public async Task Autoscaler_ProfilePeakAt0900WithLead15Min_RaisesWorkersBeforeThePeak()
    {
        var fleet = new FleetOptions
        {
            Workers = 2,
            DrainSeconds = 1,
            Autoscale = new AutoscaleOptions
            {
                MinReplicas = 2,
                MaxReplicas = 5,
                SyncPeriodSeconds = 15,
                PreScale = new PreScaleOptions { LeadSeconds = 900, Profile = [new PreScalePoint("09:00", 4), new PreScalePoint("17:00", 2)] },
            },
        };
        _services = new ServiceCollection().AddLogging().AddMetrics().AddLbProxyGateway(new GatewayHostOptions()).BuildServiceProvider();
        _services.GetRequiredService<ConfigState>().Apply(EmbeddedConfig.Create(fleet));
        // The supervisor keeps the real clock (its probes, its starts); only the autoscaler's sync ticks are fake.
        _supervisor = ActivatorUtilities.CreateInstance<FleetSupervisor>(_services, fleet, new FakeWorkerLauncher());
        await _supervisor.StartAsync(CancellationToken.None);
        _autoscaler = new FleetAutoscaler(_supervisor, _clock, NullLogger<FleetAutoscaler>.Instance);
        await _autoscaler.StartAsync(CancellationToken.None);
        await _supervisor.InitialReady.WaitAsync(Limit);

        // 08:40 -> 08:44:45: the peak is more than 15 minutes away; the idle fleet stays at 2.
        await TickAsync(19);
        Assert.Equal(2, _supervisor.Target);
        Assert.Contains("pre-scale floor 2", _autoscaler.LastDecision!.ToString(), StringComparison.Ordinal);

        // 08:45: 09:00 is within the lead: 4 workers, started and ready before 09:00.
        await TickAsync(1);
        Assert.Equal(4, _supervisor.Target);
        Assert.Contains("pre-scale floor 4: profile 09:00 in 15 min", _autoscaler.LastDecision!.ToString(), StringComparison.Ordinal);
        var clock = Stopwatch.StartNew();
        while (_supervisor.Workers.Count(w => w.State == "Ready") < 4)
        {
            Assert.True(clock.Elapsed < Limit, "four ready workers");
            await Task.Delay(50);
        }

        Assert.True(_clock.GetUtcNow().TimeOfDay < new TimeSpan(9, 0, 0));
    }

    /// <summary>Moves the fake clock <paramref name="ticks"/> sync periods, waiting for the autoscaler to take each.</summary>
    private async Task TickAsync(int ticks)
    {
        for (var i = 0; i < ticks; i++)
        {
            var before = _autoscaler!.LastDecision;
            _clock.Advance(TimeSpan.FromSeconds(15));
            var clock = Stopwatch.StartNew();
            while (ReferenceEquals(before, _autoscaler.LastDecision))
            {
                Assert.True(clock.Elapsed < Limit, "the autoscaler took no decision on its tick");
                await Task.Delay(10);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_autoscaler is not null)
        {
            await _autoscaler.StopAsync(CancellationToken.None);
            _autoscaler.Dispose();
        }

        if (_supervisor is not null)
        {
            await _supervisor.StopAsync(CancellationToken.None);
            _supervisor.Dispose();
        }

        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }
}
