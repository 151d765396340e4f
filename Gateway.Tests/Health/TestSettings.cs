using Gateway.Config;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Tests.Health;

/// <summary>A <see cref="ResilienceSettings"/> whose running config carries the given options for every cluster.</summary>
internal static class TestSettings
{
    public static ResilienceSettings With(ResilienceOptions options)
    {
        var state = new ConfigState(new InMemoryConfigProvider([], []), TimeProvider.System);
        state.Apply(new GatewayConfig([], [], new LbProxyOptions { Resilience = options }, "test"));
        return new ResilienceSettings(state);
    }
}
