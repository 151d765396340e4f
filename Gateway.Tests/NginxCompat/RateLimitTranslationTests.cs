using Gateway.Config;
using Gateway.Config.Nginx;
using Gateway.RateLimits;

namespace Gateway.Tests.NginxCompat;

/// <summary>
/// limit_req_zone / limit_conn_zone as LbProxy.RateLimits rules: one rule per zone (so every location using a zone shares
/// a key's count), nginx's rate in thousandths and a capacity from the zone's size; each location's burst, delay and
/// connection number stay on its checks.
/// </summary>
public class RateLimitTranslationTests
{
    private static GatewayConfig Translate(string http) => NginxTranslator.Translate(
        NginxParser.ParseText($"events {{}}\nhttp {{\n{http}\n}}\n", "/t/nginx.conf", "/t"), "/t/nginx.conf", "/t", _ => true);

    [Fact]
    public void Translate_ZoneInTwoLocations_OneRulePerZone_BurstsOnTheChecks()
    {
        var config = Translate("""
            limit_req_zone $binary_remote_addr zone=z:1m rate=1r/m;
            limit_conn_zone $binary_remote_addr zone=c:64k;
            server {
                listen 127.0.0.1:1;
                location /a/ { limit_req zone=z burst=1 nodelay; limit_conn c 1; return 200; }
                location /b/ { limit_req zone=z burst=3 delay=2; limit_conn c 5; return 200; }
            }
            """);

        var rules = config.Options.RateLimits;
        Assert.Equal(["nginx limit_conn_zone c", "nginx limit_req_zone z"], rules.Keys.Order(StringComparer.Ordinal));
        var zone = rules["nginx limit_req_zone z"];
        Assert.Equal(RateLimitRule.FrontKey, zone.Key);
        Assert.Equal(8192, zone.MaxKeys); // 1m / 128 bytes a key
        Assert.Equal(16, new ClientLimit("z", zone).Zone!.MilliRate); // nginx: 1000 / 60
        Assert.Equal(5, rules["nginx limit_conn_zone c"].ConcurrentRequests); // the largest; each check has its own

        var locations = config.Options.Nginx!.Servers[0].Locations;
        var a = locations.Single(l => l.Name == "/a/").Limits;
        var b = locations.Single(l => l.Name == "/b/").Limits;
        Assert.Equal([(1, 1, 0), (0, 0, 1)], a.Select(c => (c.Burst, c.Delay, c.Connections)));
        Assert.Equal([(3, 2, 0), (0, 0, 5)], b.Select(c => (c.Burst, c.Delay, c.Connections)));
        Assert.Equal(a[0].RuleName, b[0].RuleName);
    }

    [Theory]
    [InlineData("rate=10r/s", 10_000)]
    [InlineData("rate=10", 10_000)] // a bare number is per second, as nginx reads it
    [InlineData("rate=7r/m", 116)]
    public void Translate_Rate_NginxThousandths(string rate, long milliRate)
    {
        var config = Translate($"limit_req_zone $binary_remote_addr zone=z:32k {rate};\nserver {{ listen 127.0.0.1:1; limit_req zone=z; }}");

        var rule = Assert.Single(config.Options.RateLimits).Value;
        Assert.Equal(milliRate, new ClientLimit("z", rule).Zone!.MilliRate);
        Assert.Equal(256, rule.MaxKeys);
    }
}
