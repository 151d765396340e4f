namespace Gateway.Tests.NginxCompat;

/// <summary>
/// Failing servers: backup, down, max_fails marking (per server), proxy_next_upstream, what the client gets when they
/// fail, and max_conns, under real nginx and lbproxy-nginx.
/// </summary>
[Collection(NginxDifferential.Name)]
public sealed partial class FailureExampleTests
{
    [Fact]
    public async Task ServerParams_BackupDownAndMarking_SameAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("server-params.conf");

        await run.AssertSameAsync([
            .. Enumerable.Range(0, 4).Select(i => new ProbeRequest($"/backup/{i}")),
            .. Enumerable.Range(0, 6).Select(i => new ProbeRequest($"/never/{i}")),
            .. Enumerable.Range(0, 8).Select(i => new ProbeRequest($"/marked/{i}"))]);
    }

    [Fact]
    public async Task Retries_On503TriesAndOff_SameAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("retries.conf");

        var (nginx, gateway) = await run.CompareAsync(async send =>
        {
            foreach (var location in new[] { "/off/", "/default/", "/on-503/", "/two-tries/" })
            {
                for (var i = 0; i < 5; i++)
                {
                    await send(new ProbeRequest($"{location}{i}"));
                }
            }
        }, reset: () => run.Backend("b0").Status = 503);

        DifferentialRun.AssertSame(nginx, gateway);
    }

    [Fact]
    public async Task Failures_LastAnswerPassesThroughAndNoLiveUpstreams_SameAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("failures.conf", responseHeaders: ["X-Upstream-Addr", "X-Upstream-Status"]);

        var (nginx, gateway) = await run.CompareAsync(async send =>
        {
            foreach (var location in new[] { "/all-503/", "/dead/", "/down/", "/dead-then-503/" })
            {
                for (var i = 0; i < 4; i++)
                {
                    await send(new ProbeRequest($"{location}{i}"));
                }
            }

            for (var i = 0; i < 8; i++)
            {
                await send(new ProbeRequest($"/per-server/{i}"));
            }
        }, reset: () =>
        {
            foreach (var b in run.Backends)
            {
                b.Status = b.Name is "b0" or "b1" or "b2" or "b8" ? 503 : 200; // the app-503-* servers
            }
        });

        DifferentialRun.AssertSame(nginx, gateway);
    }

    [Fact]
    public async Task MaxConns_PerServerAndAllAtCap_SameAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("max-conns.conf", responseHeaders: ["X-Upstream-Addr"]);
        foreach (var b in run.Backends)
        {
            b.Delay = TimeSpan.FromSeconds(2); // every request holds its place while the next ones arrive
        }

        // Concurrent requests finish in any order: compared as sorted lists. Each starts 300 ms after the one before, so
        // they reach the proxy in order while the earlier ones are still held; one request first to each location warms
        // both proxies up (the same request under both, so the rotation stays the same).
        var (nginx, gateway) = await run.CompareAsync(async send =>
        {
            foreach (var location in new[] { "/capped/", "/one-capped/" })
            {
                await send(new ProbeRequest($"{location}warm-up"));
                await Task.WhenAll(Enumerable.Range(0, location == "/capped/" ? 3 : 4).Select(async i =>
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(300 * i));
                    await send(new ProbeRequest($"{location}{i}"));
                }));
            }
        });

        DifferentialRun.AssertSame([.. nginx.Order(StringComparer.Ordinal)], [.. gateway.Order(StringComparer.Ordinal)]);
        Assert.Contains(nginx, o => o.StartsWith("502 ", StringComparison.Ordinal)); // the third /capped/ request found both at their cap
    }

    [Fact]
    public async Task InvalidHeader_RetriedOnlyWhereListed_SameAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("invalid-header.conf", responseHeaders: ["X-Upstream-Addr", "X-Upstream-Status"]);

        await run.AssertSameAsync([
            .. Enumerable.Range(0, 3).Select(i => new ProbeRequest($"/default/{i}")),
            .. Enumerable.Range(0, 3).Select(i => new ProbeRequest($"/listed/{i}"))]);
    }

    [Fact]
    public async Task ErrorLog_FailedTriesAndNoLiveUpstreams_SameLinesAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("failures.conf");

        // The [error] lines of each proxy's error_log, with what differs by nature masked: time, pid#tid, *N, the listen port.
        var (nginx, gateway) = await run.CompareAsync(async send =>
        {
            foreach (var location in new[] { "/dead/", "/dead-then-503/" })
            {
                for (var i = 0; i < 3; i++)
                {
                    await send(new ProbeRequest($"{location}{i}"));
                }
            }
        }, reset: () =>
        {
            foreach (var b in run.Backends)
            {
                b.Status = b.Name is "b0" or "b1" or "b2" or "b8" ? 503 : 200;
            }
        }, after: proxy =>
        {
            var lines = File.ReadAllLines(Path.Combine(proxy.Prefix, "logs", "error.log"))
                .Where(l => l.Contains(" [error] ", StringComparison.Ordinal))
                .Select(l => ErrorLinePrefix().Replace(l, "TIME [error] PID#TID: *N ").Replace($":{proxy.Ports[0]}", ":LISTEN", StringComparison.Ordinal));
            return Task.FromResult(lines);
        });

        DifferentialRun.AssertSame(nginx, gateway);
        Assert.Contains(nginx, l => l.Contains("no live upstreams while connecting to upstream", StringComparison.Ordinal));
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[error\] \d+#\d+: \*\d+ ")]
    private static partial System.Text.RegularExpressions.Regex ErrorLinePrefix();
}
