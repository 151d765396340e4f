using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Gateway.Tests.NginxCompat;

/// <summary>
/// limit_req / limit_conn (rate-limits.conf) under real nginx and lbproxy-nginx: which requests pass and which get
/// nginx's status and page, in order where nginx is deterministic (rates of 1r/m: nothing drains during the test),
/// as counts where requests run concurrently (delays, connections), and nginx's error-log lines.
/// </summary>
[Collection(NginxDifferential.Name)]
public sealed partial class RateLimitExampleTests
{
    [Fact]
    public async Task LimitReq_BurstNodelayKeysStatusAndErrorPage_SameAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("rate-limits.conf", responseHeaders: ["Content-Type"]);

        var (nginx, gateway) = await run.CompareAsync(async send =>
        {
            // burst=2 nodelay: exactly three pass, the two locations sharing the zone count together.
            foreach (var path in new[] { "/nodelay/1", "/nodelay/2", "/shared/3", "/shared/4", "/nodelay/5" })
            {
                await send(new ProbeRequest(path));
            }

            // Another client address is another key.
            await send(new ProbeRequest("/nodelay/6", SourceIp: "127.0.0.2"));
            await send(new ProbeRequest("/status/1"));
            await send(new ProbeRequest("/status/2")); // limit_req_status 429
            foreach (var key in new[] { "a", "a", "a", "b", "b", "" })
            {
                await send(new ProbeRequest("/key/" + key, Headers: key.Length > 0 ? [("X-Api-Key", key)] : null)); // no key: not counted
            }

            await send(new ProbeRequest("/key/none"));
            await send(new ProbeRequest("/server/1"));
            await send(new ProbeRequest("/server/2", SourceIp: "127.0.0.3")); // the key is the server name, not the client
            await send(new ProbeRequest("/server/3", SourceIp: "127.0.0.4"));
            await send(new ProbeRequest("/returns/1"));
            await send(new ProbeRequest("/returns/2")); // return runs in the rewrite phase, before limit_req
            await send(new ProbeRequest("/page/1"));
            await send(new ProbeRequest("/page/2")); // error_page 503 = @limited
        }, after: proxy => Task.FromResult(ErrorLogLines(proxy)));

        DifferentialRun.AssertSame(nginx, gateway);
        Assert.Equal(3, nginx.Take(5).Count(o => o.StartsWith("200 b0 GET ", StringComparison.Ordinal))); // burst=2 nodelay: the first three
        Assert.Contains(nginx, o => o.StartsWith("429 \"Too Many Requests\" ", StringComparison.Ordinal) && o.Contains("title\\u003E429 Too Many Requests", StringComparison.Ordinal));
        Assert.Contains(nginx, o => o.Contains("limiting requests, excess: N by zone \"perip\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LimitReqWithoutNodelayAndLimitConn_ConcurrentRequests_SameCountsAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("rate-limits.conf");
        var elapsed = new List<TimeSpan>();

        var (nginx, gateway) = await run.CompareAsync(async send =>
        {
            // rate=1r/s burst=2 without nodelay: five at once, three pass (two of them delayed by 1 and 2 s), two get 503.
            var clock = Stopwatch.StartNew();
            var delayed = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => send(new ProbeRequest($"/delay/{i}"))));
            elapsed.Add(clock.Elapsed);
            // limit_conn addr 1 with a backend that answers after 1.5 s: one of three concurrent requests passes, two get 429.
            var concurrent = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => send(new ProbeRequest($"/conn/{i}"))));
            _ = delayed.Concat(concurrent).ToList();
        }, reset: () => run.Backend("b1").Delay = TimeSpan.FromSeconds(1.5),
        after: proxy => Task.FromResult(ErrorLogLines(proxy).Where(l => !l.Contains("limiting requests", StringComparison.Ordinal))));

        // Concurrent requests finish in any order: compare what passed and what was turned away, as counts.
        static IEnumerable<string> Counted(IEnumerable<string> seen) => seen
            .Select(o => Regex.Replace(o, @"/(delay|conn)/\d", "/$1/N"))
            .GroupBy(o => o).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} x {g.Key}");
        DifferentialRun.AssertSame([.. Counted(nginx)], [.. Counted(gateway)]);
        Assert.Equal(3, nginx.Count(o => o.StartsWith("200 b0 GET /delay/", StringComparison.Ordinal)));
        Assert.Equal(2, nginx.Count(o => o.StartsWith("429 ", StringComparison.Ordinal)));
        Assert.Contains(Counted(nginx), o => o.StartsWith("2 x [notice] delaying request, excess: N, by zone \"slow\"", StringComparison.Ordinal));
        // The delayed requests waited for their turn under both (timing-tolerant: at least most of the 2 s).
        Assert.All(elapsed, e => Assert.True(e >= TimeSpan.FromSeconds(1.5), $"the burst went through in {e}"));
    }

    /// <summary>
    /// The error log's limit lines without time, pid#tid, *N and the listen port; nginx's excess is the zone's excess
    /// less what drained (in ms) since the key's last request, which the gateway's token bucket does not keep.
    /// </summary>
    private static IEnumerable<string> ErrorLogLines(ProxyProcess proxy)
    {
        var path = Path.Combine(proxy.Prefix, "logs", "error.log");
        return File.Exists(path)
            ? File.ReadAllLines(path).Where(l => l.Contains(" limiting ", StringComparison.Ordinal) || l.Contains(" delaying request", StringComparison.Ordinal)).Select(l => Excess().Replace(LogPrefix().Replace(l, "[$1] ").Trim(), "excess: N")
                .Replace($":{proxy.Ports[0]}\"", ":LISTEN0\"", StringComparison.Ordinal))
            : [];
    }

    [GeneratedRegex(@"^\S+ \S+ \[(\w+)\] \d+#\d+: \*\d+ ")]
    private static partial Regex LogPrefix();

    [GeneratedRegex(@"excess: [0-9.]+")]
    private static partial Regex Excess();
}
