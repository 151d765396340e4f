using Gateway.Config.Nginx;

namespace Gateway.Tests.NginxCompat;

/// <summary>What an upstream block's <c>keepalive</c> reads as (the cap on idle connections), and nginx's error for a bad one.</summary>
public sealed class NginxUpstreamReadTests
{
    private static NginxUpstream Read(string body) =>
        NginxUpstream.Read(NginxParser.ParseText($"upstream u {{\n{body}\n}}\n", "/t/nginx.conf", "/t")[0], _ => true);

    [Fact]
    public void Read_Keepalive_IsTheIdleCap()
    {
        var upstream = Read("server 127.0.0.1:1;\nkeepalive 32;");

        Assert.True(upstream.Keepalive);
        Assert.Equal(32, upstream.KeepaliveConnections);
    }

    [Fact]
    public void Read_NoKeepalive_NoneKept()
    {
        var upstream = Read("server 127.0.0.1:1;");

        Assert.False(upstream.Keepalive);
        Assert.Equal(0, upstream.KeepaliveConnections);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("x")]
    [InlineData("-1")]
    public void Read_BadKeepalive_NginxInvalidValueAtItsLine(string value)
    {
        var error = Assert.Throws<NginxConfigException>(() => Read($"server 127.0.0.1:1;\nkeepalive {value};"));

        Assert.Equal($"invalid value \"{value}\" in \"keepalive\" directive in /t/nginx.conf:3", error.Message); // as nginx -t says it
    }
}
