using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Gateway.Tests.NginxCompat;

/// <summary>
/// limit_req / limit_conn (rate-limits.conf) under real nginx and lbproxy-nginx: which requests pass and which get
/// nginx's status and page, in order where nginx is deterministic (rates of 1r/m: nothing drains by a whole request
/// during the test), as counts where requests run concurrently (delays, connections), when delayed requests finish
/// (generous windows around nginx's instants), and nginx's error-log lines with the excess to the whole request.
/// </summary>
[Collection(NginxDifferential.Name)]
public sealed partial class RateLimitExampleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task LimitReq_BurstNodelayKeysStatusAndErrorPage_SameAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("rate-limits.conf", responseHeaders: ["Content-Type"]);
        var statuses = new List<List<int>>();

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

            // One zone, two bursts: one count per key, each location's burst checked against it. Then two limit_req: what
            // the second refuses the first does not count (so /wide/ still has its burst).
            var mine = new List<int>();
            statuses.Add(mine);
            foreach (var path in new[] { "/small/1", "/small/2", "/small/3", "/large/4", "/large/5", "/large/6", "/small/7", "/two/1", "/two/2", "/two/3", "/wide/4", "/wide/5" })
            {
                mine.Add((await send(new ProbeRequest(path))).Status);
            }

            // A limit_conn key over 255 bytes is not counted (nginx logs it and lets the request through).
            await send(new ProbeRequest("/longkey/1", Headers: [("X-Api-Key", new string('k', 256))]));
        }, after: proxy => Task.FromResult(ErrorLogLines(proxy)));

        DifferentialRun.AssertSame(nginx, gateway);
        Assert.Equal(3, nginx.Take(5).Count(o => o.StartsWith("200 b0 GET ", StringComparison.Ordinal))); // burst=2 nodelay: the first three
        Assert.Contains(nginx, o => o.StartsWith("429 \"Too Many Requests\" ", StringComparison.Ordinal) && o.Contains("title\\u003E429 Too Many Requests", StringComparison.Ordinal));
        Assert.Contains(nginx, o => o.Contains("limiting requests, excess: 3 by zone \"perip\"", StringComparison.Ordinal));
        // nginx itself: /small/ 0, 1000, 2000 > 1000; /large/ 2000, 3000, 4000 > 3000; /small/ 4000; /two/ refused by narrow twice
        // without counting on wide; /wide/ 1000, then 2000 > 1000.
        Assert.Equal([200, 200, 503, 200, 200, 503, 503, 200, 503, 503, 200, 503], statuses[0]);
        Assert.Contains(nginx, o => o.Contains("limiting requests, excess: 1 by zone \"narrow\"", StringComparison.Ordinal));
        Assert.Contains(nginx, o => o.StartsWith("[error] the value of the \"$http_x_api_key\" key is more than 255 bytes", StringComparison.Ordinal));
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
            await Task.WhenAll(Enumerable.Range(0, 5).Select(i => send(new ProbeRequest($"/delay/{i}"))));
            elapsed.Add(clock.Elapsed);
            // limit_conn addr 1 with a backend that answers after 1.5 s: one of three concurrent requests passes, two get 429.
            await Task.WhenAll(Enumerable.Range(0, 3).Select(i => send(new ProbeRequest($"/conn/{i}"))));
            // One limit_conn zone, two numbers: two requests in progress at /conn2/ (limit 2) count at /conn/ (limit 1) too.
            var held = Enumerable.Range(0, 2).Select(i => send(new ProbeRequest($"/conn2/{i}"))).ToList();
            await Task.Delay(TimeSpan.FromSeconds(0.5)); // both are at the backend for 1.5 s
            await Task.WhenAll(send(new ProbeRequest("/conn/9")), send(new ProbeRequest("/conn2/9")));
            await Task.WhenAll(held);
        }, reset: () => run.Backend("b1").Delay = TimeSpan.FromSeconds(1.5),
        after: proxy => Task.FromResult(ErrorLogLines(proxy)));

        DifferentialRun.AssertSame([.. Counted(nginx)], [.. Counted(gateway)]);
        Assert.Equal(3, nginx.Count(o => o.StartsWith("200 b0 GET /delay/", StringComparison.Ordinal)));
        Assert.Equal(3, nginx.Count(o => o.StartsWith("429 ", StringComparison.Ordinal))); // two of /conn/0-2, and /conn/9
        Assert.Equal(2, nginx.Count(o => o.StartsWith("200 b1 GET /conn2/", StringComparison.Ordinal)));
        Assert.Contains(Counted(nginx), o => o.StartsWith("1 x [notice] delaying request, excess: 2, by zone \"slow\"", StringComparison.Ordinal));
        Assert.Contains(Counted(nginx), o => o.StartsWith("2 x [warn] limiting requests, excess: 3 by zone \"slow\"", StringComparison.Ordinal));
        // The delayed requests waited for their turn under both (timing-tolerant: at least most of the 2 s).
        Assert.All(elapsed, e => Assert.True(e >= TimeSpan.FromSeconds(1.5), $"the burst went through in {e}"));
    }

    [Fact]
    public async Task LimitReqDelays_ConcurrentBurst_FinishAtNginxsInstants()
    {
        await using var run = await DifferentialRun.StartAsync("rate-limits.conf");
        var finishes = new List<Dictionary<string, List<(int Status, TimeSpan At)>>>();

        var (nginx, gateway) = await run.CompareAsync(async send =>
        {
            // 2r/s burst=3: five at once, four pass at 0, 0.5, 1.0 and 1.5 s and one is refused; with delay=1 two go at once, then 0.5, 1.0 s.
            var seen = new Dictionary<string, List<(int, TimeSpan)>> { ["paced"] = [], ["partly"] = [] };
            finishes.Add(seen);
            // Warm the path first (a proxied location whose key is empty: not counted), so the first of the burst is not
            // slowed by a cold start while the timers of the others run.
            await Task.WhenAll(Enumerable.Range(0, 4).Select(i => send(new ProbeRequest($"/key/warm{i}"))));
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(new[] { "paced", "partly" }.SelectMany(zone => Enumerable.Range(0, 5).Select(async i =>
            {
                var status = (await send(new ProbeRequest($"/{zone}/{i}"))).Status;
                lock (seen)
                {
                    seen[zone].Add((status, clock.Elapsed));
                }
            })));
        }, after: proxy => Task.FromResult(ErrorLogLines(proxy)));

        DifferentialRun.AssertSame([.. Counted(nginx)], [.. Counted(gateway)]);
        Assert.Contains(Counted(nginx), o => o.StartsWith("1 x [notice] delaying request, excess: 3, by zone \"paced\"", StringComparison.Ordinal));
        Assert.Contains(Counted(nginx), o => o.StartsWith("1 x [notice] delaying request, excess: 3, by zone \"partly\"", StringComparison.Ordinal));
        foreach (var (proxy, seen) in new[] { ("nginx", finishes[0]), ("lbproxy-nginx", finishes[1]) })
        {
            foreach (var (zone, immediate) in new[] { ("paced", 1), ("partly", 2) })
            {
                var passed = seen[zone].Where(f => f.Status == 200).Select(f => f.At).Order().ToList();
                output.WriteLine($"{proxy} {zone}: passed at {string.Join(", ", passed.Select(p => p.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture)))} s");
                Assert.Equal(4, passed.Count);
                Assert.Single(seen[zone], f => f.Status == 503);
                // Each delayed one finishes about 0.5 s after the one before it (generous: at least 0.25 s); the whole burst within 3 s.
                for (var i = immediate; i < passed.Count; i++)
                {
                    Assert.True(passed[i] - passed[i - 1] >= TimeSpan.FromSeconds(0.25), $"{proxy} {zone}: request {i} finished {passed[i] - passed[i - 1]} after the one before: {string.Join(", ", passed)}");
                }

                Assert.True(passed[^1] < TimeSpan.FromSeconds(3), $"{proxy} {zone}: the burst took {passed[^1]}");
            }
        }
    }

    /// <summary>Concurrent requests finish in any order: what passed and what was turned away, as counts.</summary>
    private static IEnumerable<string> Counted(IEnumerable<string> seen) => seen
        .Select(o => PathNumber().Replace(o, "/$1/N"))
        .GroupBy(o => o).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} x {g.Key}");

    /// <summary>
    /// The error log's limit lines without time, pid#tid, *N and the listen port, the excess to the whole request above:
    /// it is the zone's excess less what drained (in ms) since the key's last request, e.g. 2.999, which depends on when
    /// the requests of a run arrived (exact values are in Gateway.Tests/RateLimits/RateAdmissionTests).
    /// </summary>
    private static IEnumerable<string> ErrorLogLines(ProxyProcess proxy)
    {
        var path = Path.Combine(proxy.Prefix, "logs", "error.log");
        return File.Exists(path)
            ? File.ReadAllLines(path).Where(l => l.Contains(" limiting ", StringComparison.Ordinal) || l.Contains(" delaying request", StringComparison.Ordinal)
                || l.Contains(" key is more than ", StringComparison.Ordinal)).Select(l => Excess().Replace(LogPrefix().Replace(l, "[$1] ").Trim(),
                m => "excess: " + Math.Ceiling(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToString(CultureInfo.InvariantCulture))
                .Replace($":{proxy.Ports[0]}\"", ":LISTEN0\"", StringComparison.Ordinal))
            : [];
    }

    [GeneratedRegex(@"^\S+ \S+ \[(\w+)\] \d+#\d+: \*\d+ ")]
    private static partial Regex LogPrefix();

    [GeneratedRegex(@"excess: ([0-9]+\.[0-9]{3})")]
    private static partial Regex Excess();

    [GeneratedRegex(@"/(delay|conn2?|paced|partly)/\d")]
    private static partial Regex PathNumber();
}
