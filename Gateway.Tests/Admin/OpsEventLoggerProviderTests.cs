using Gateway.Admin;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Admin;

public class OpsEventLoggerProviderTests
{
    [Fact]
    public void AddOpsEvents_ConsoleAtWarning_StillKeepsFleetAndReloadLinesOnly()
    {
        var events = new OpsEventLog(new FakeTimeProvider());
        using var services = new ServiceCollection().AddSingleton(events)
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning).AddOpsEvents())
            .BuildServiceProvider();
        var factory = services.GetRequiredService<ILoggerFactory>();

        var autoscaler = factory.CreateLogger("Gateway.Fleet.FleetAutoscaler");
        autoscaler.Log(LogLevel.Information, new EventId(330), Fields(("Direction", "down"), ("Decision", "current 4 -> desired 3")),
            null, (_, _) => "Autoscaler: scale down: current 4 -> desired 3");
        autoscaler.Log(LogLevel.Debug, new EventId(331), Fields(("Decision", "hold")), null, (_, _) => "Autoscaler: hold");
        factory.CreateLogger("Gateway.Fleet.FleetSupervisor").Log(LogLevel.Warning, new EventId(321), Fields(("Worker", "worker-2")), null,
            (_, _) => "Fleet: worker-2 (pid 1) exited with code 137; replacing it.");
        factory.CreateLogger("Gateway.Config.ConfigFileWatcher").Log(LogLevel.Information, new EventId(102), Fields(("Path", "/etc/gw.json")), null,
            (_, _) => "Config reloaded from /etc/gw.json: generation 2, 1 routes, 1 clusters.");
        factory.CreateLogger("Gateway.Proxy.ForwardingMiddleware").Log(LogLevel.Warning, new EventId(321), "unrelated");

        var kept = events.Snapshot();
        Assert.Equal([OpsEventKinds.ScaleDown, OpsEventKinds.WorkerExited, OpsEventKinds.Reload], kept.Select(e => e.Kind));
        Assert.Equal(["fleet", "worker-2", "/etc/gw.json"], kept.Select(e => e.Subject));
        Assert.Equal("Autoscaler: scale down: current 4 -> desired 3", kept[0].Message);
    }

    private static List<KeyValuePair<string, object?>> Fields(params (string Key, object? Value)[] fields) =>
        fields.Select(f => KeyValuePair.Create(f.Key, f.Value)).ToList();
}
