using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.Resilience;

/// <summary>
/// Faults that are about HTTP answers, with three in-process test backends (so a test can turn a status or a
/// delay on and off mid-run) under 200 requests/s of open-loop load for 10 s: a backend that answers 503,
/// and one that becomes ten times slower.
/// </summary>
[Collection(FaultScenarios.Name)]
public sealed class BackendFaultTests(ITestOutputHelper output)
{
    private static IEnumerable<(string, string)> Named(Backends backends) => backends.All.Select(b => (b.Name, b.Url));

    [Fact]
    public async Task Status503_OneBackendStartsAnswering503_EjectedTrafficMovesAndItReturnsAfterRecovery()
    {
        await using var backends = await Backends.StartAsync(3);
        await using var run = await FaultRun.StartAsync(ResilienceConfig.Build(LoadBalancingPolicyNames.RoundRobin, Named(backends)), output);
        foreach (var b in backends.All)
        {
            b.Clock = run.Clock;
        }

        var c = backends["c"];
        var start = run.Now;
        var load = run.LoadAsync(TimeSpan.FromSeconds(10));
        await run.At(start + 2000);
        var failMs = run.Now;
        c.StatusCode = 503;
        await run.At(start + 6000);
        var recoverMs = run.Now;
        c.StatusCode = 200;
        var result = await load;
        var end = run.Now;

        var hits = c.HitTimesMs.ToArray();
        var lastHitFailing = hits.Where(t => t < recoverMs).DefaultIfEmpty(0).Max();
        var firstHitBack = hits.Where(t => t >= recoverMs).DefaultIfEmpty(double.NaN).Min();
        var ejected = run.Sampler.First("c", failMs, s => !s.Available)?.Ms;
        var back = run.Sampler.First("c", recoverMs, s => s.Available)?.Ms;
        var hitsWhileFailing = hits.Count(t => t >= failMs && t < recoverMs);
        var settled = (double)hits.Count(t => t >= end - 2000) / backends.All.Sum(b => b.HitTimesMs.Count(t => t >= end - 2000));
        run.Report($"503: {result.Summary()}; {run.Counts()}");
        run.Report($"c answers 503 from {FaultRun.Ms(failMs - start)}: out of rotation +{FaultRun.Ms(ejected - failMs)}, last request +{FaultRun.Ms(lastHitFailing - failMs)}, "
            + $"{hitsWhileFailing} requests reached it while failing; recovers at {FaultRun.Ms(recoverMs - start)}: back in rotation +{FaultRun.Ms(back - recoverMs)}, "
            + $"first request +{FaultRun.Ms(firstHitBack - recoverMs)}; share of c in the last 2 s {settled:P1}; hits a/b/c {string.Join("/", backends.All.Select(b => b.HitTimesMs.Count))}");
        run.Timeline(start, end);

        Assert.True(result.Rate >= 195, $"driver rate {result.Rate:F0}/s");
        Assert.Equal(0, result.Errors);
        Assert.True(lastHitFailing - failMs < 1000, "no request reaches the failing backend a second after it began to fail");
        Assert.True(firstHitBack - recoverMs < 1500, "traffic returns within 1.5 s of recovery");
        Assert.True(settled > 0.25, $"c's share after recovery {settled:P1}");
    }

    [Fact]
    public async Task Slow_OneBackendTenTimesSlower_AdaptiveMovesMostTrafficAwayWithoutErrors()
    {
        await using var backends = await Backends.StartAsync(3);
        foreach (var b in backends.All)
        {
            b.Delay = TimeSpan.FromMilliseconds(5);
        }

        await using var run = await FaultRun.StartAsync(ResilienceConfig.Build(LoadBalancingPolicyNames.Adaptive, Named(backends)), output);
        foreach (var b in backends.All)
        {
            b.Clock = run.Clock;
        }

        var start = run.Now;
        var load = run.LoadAsync(TimeSpan.FromSeconds(10));
        await run.At(start + 2000);
        var slowMs = run.Now;
        backends["c"].Delay = TimeSpan.FromMilliseconds(50);
        var result = await load;
        var end = run.Now;

        double Share(double from, double to) =>
            (double)backends["c"].HitTimesMs.Count(t => t >= from && t < to) / backends.All.Sum(b => b.HitTimesMs.Count(t => t >= from && t < to));
        var before = Share(start, slowMs);
        var after = Share(slowMs + 1000, end);
        run.Report($"10x slower: {result.Summary()}; {run.Counts()}");
        run.Report($"c 5 ms -> 50 ms at {FaultRun.Ms(slowMs - start)}: share of c before {before:P1}, from 1 s after {after:P1}; "
            + $"hits a/b/c {string.Join("/", backends.All.Select(b => b.HitTimesMs.Count))}");
        run.Timeline(start, end);

        Assert.True(result.Rate >= 195, $"driver rate {result.Rate:F0}/s");
        Assert.Equal(0, result.Errors);
        Assert.True(before > 0.2, $"c had its share while fast ({before:P1})");
        // "Most traffic away": more than half of c's share moves to the fast backends. Peak-EWMA keeps a
        // latency spike of a fast backend for its 10 s decay, so on a busy machine c keeps some traffic.
        Assert.True(after < before / 2, $"c's share once slow {after:P1}, before {before:P1}");
    }
}
