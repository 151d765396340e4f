using System.Text;
using Gateway.Config;
using Gateway.Hardening;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.Tests.Hardening;

/// <summary><c>LbProxy.ServerLimits</c> in a config file: defaults, every bad value reported at its line, and what Kestrel gets.</summary>
public class ServerLimitsConfigTests
{
    [Fact]
    public async Task ParseAsync_NoServerLimits_NginxLikeDefaults()
    {
        var (config, errors) = await ConfigFileParser.ParseAsync("gw.json", Encoding.UTF8.GetBytes("""{ "ReverseProxy": {} }"""), null);
        Assert.Empty(errors);
        var limits = config!.Options.ServerLimits;
        Assert.Equal(60, limits.RequestHeadersTimeoutSeconds);
        Assert.Equal(75, limits.KeepAliveTimeoutSeconds);
        Assert.Equal(8192, limits.MaxRequestLineBytes);
        Assert.Equal(32 * 1024 * 1024, limits.MaxRequestBodyBytes);
        Assert.True(config.Options.TrustedProxies.IsEmpty);
    }

    [Fact]
    public async Task ParseAsync_BadValues_EachReportedAtItsLine()
    {
        var json = "{\n  \"ReverseProxy\": {},\n  \"LbProxy\": { \"ServerLimits\": {\n" +
            "    \"RequestHeadersTimeoutSeconds\": 0,\n" +
            "    \"MinDataRateGraceSeconds\": 0.5,\n" +
            "    \"MaxConcurrentConnections\": -1,\n" +
            "    \"MaxRequestLineBytes\": 10,\n" +
            "    \"MaxRequestBodyBytes\": -5\n" +
            "  } }\n}";
        var (config, errors) = await ConfigFileParser.ParseAsync("gw.json", Encoding.UTF8.GetBytes(json), null);
        Assert.Null(config);
        Assert.Equal([4, 5, 6, 7, 8], errors.Select(e => e.Line).Order());
        Assert.All(errors, e => Assert.StartsWith("LbProxy.ServerLimits.", e.Problem, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ParseAsync_UnknownLimit_IsAnErrorNotIgnored()
    {
        var (config, errors) = await ConfigFileParser.ParseAsync("gw.json",
            Encoding.UTF8.GetBytes("{ \"ReverseProxy\": {},\n \"LbProxy\": { \"ServerLimits\": { \"MaxConnections\": 5 } } }"), null);
        Assert.Null(config);
        Assert.Contains("MaxConnections", Assert.Single(errors).Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_Limits_ReachKestrel()
    {
        var kestrel = new KestrelServerOptions();
        KestrelLimits.Apply(kestrel, new ServerLimitsOptions { MaxConcurrentConnections = 0, MaxRequestBodyBytes = 0, MinRequestBodyBytesPerSecond = 0, MaxRequestHeadersBytes = 2 * 1024 * 1024 - 1 });
        Assert.Null(kestrel.Limits.MaxConcurrentConnections);
        Assert.Null(kestrel.Limits.MaxRequestBodySize);
        Assert.Null(kestrel.Limits.MinRequestBodyDataRate);
        Assert.Equal(TimeSpan.FromSeconds(60), kestrel.Limits.RequestHeadersTimeout);
        Assert.Equal(240, kestrel.Limits.MinResponseDataRate!.BytesPerSecond);
        Assert.True(kestrel.Limits.MaxRequestBufferSize >= 2 * 1024 * 1024 - 1);
    }
}
