using Benchmarks.Local;
using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.Resilience;

/// <summary>
/// Faults that are about processes, with three real ModelWorker processes under 200 requests/s of open-loop
/// load for at least 10 s: kill -9, a hang (SIGSTOP: the kernel still accepts, nothing answers), every worker
/// gone, and a restart that comes back through the active check and slow start.
/// </summary>
[Collection(FaultScenarios.Name)]
public sealed class WorkerFaultTests(ITestOutputHelper output)
{
    private static IEnumerable<(string, string)> Named(ModelWorkerProcess[] workers) =>
        workers.Select((w, i) => (((char)('a' + i)).ToString(), w.Url!.ToString().TrimEnd('/')));

    [Fact]
    public async Task KillNine_OneWorkerMidRun_NoClientErrorsAndNoTriesASecondAfterFirstFailure()
    {
        var workers = await ModelWorkerProcess.StartManyAsync(3);
        try
        {
            await using var run = await FaultRun.StartAsync(ResilienceConfig.Build(LoadBalancingPolicyNames.RoundRobin, Named(workers)), output);
            var start = run.Now;
            var load = run.LoadAsync(TimeSpan.FromSeconds(10));
            await run.At(start + 3000);
            var killMs = run.Now;
            await workers[2].KillAsync();
            var result = await load;
            var end = run.Now;

            var firstFailure = run.Sampler.FirstFailureMs("c", killMs);
            var ejected = run.Sampler.First("c", killMs, s => !s.Available)?.Ms;
            var lastTry = run.Sampler.LastTryMs("c");
            var late = firstFailure is { } f ? run.Sampler.TriesBetween("c", f + 1000, end) : -1;
            run.Report($"kill -9: {result.Summary()}");
            run.Report($"tries a/b/c: {string.Join("/", new[] { "a", "b", "c" }.Select(d => run.Sampler.TriesBetween(d, start, end)))}; "
                + $"c killed at {FaultRun.Ms(killMs - start)}, first failure +{FaultRun.Ms(firstFailure - killMs)}, "
                + $"out of rotation +{FaultRun.Ms(ejected - killMs)}, last try +{FaultRun.Ms(lastTry - killMs)}, tries > 1 s after first failure: {late}");

            run.Report(run.Counts());
            run.Report($"sampler max gap {run.Sampler.MaxGapMs:F0} ms at {run.Sampler.MaxGapAtMs - start:F0} ms ({run.Sampler.Threads})");
            run.Timeline(start, end);
            Assert.True(result.Rate >= 195, $"driver rate {result.Rate:F0}/s");
            Assert.Equal(0, result.Errors);
            Assert.NotNull(firstFailure);
            Assert.Equal(0, late);
            Assert.True(ejected - firstFailure < 1000, "out of rotation within 1 s of the first failure");
            Assert.True(run.Sampler.TriesBetween("c", start, killMs) > 150, "c served its share before the kill");
        }
        finally
        {
            foreach (var w in workers)
            {
                w.Dispose();
            }
        }
    }

    [Fact]
    public async Task Hang_OneWorkerStopsAnswering_TriesTimeOutAndRetryElsewhereWithNoClientErrors()
    {
        var workers = await ModelWorkerProcess.StartManyAsync(3);
        try
        {
            await using var run = await FaultRun.StartAsync(ResilienceConfig.Build(LoadBalancingPolicyNames.RoundRobin, Named(workers)), output);
            var start = run.Now;
            var load = run.LoadAsync(TimeSpan.FromSeconds(10));
            await run.At(start + 3000);
            var hangMs = run.Now;
            workers[2].Pause();
            await run.At(start + 7000);
            var resumeMs = run.Now;
            workers[2].Resume();
            var result = await load;
            var end = run.Now;

            var ejected = run.Sampler.First("c", hangMs, s => !s.Available)?.Ms;
            var back = run.Sampler.First("c", resumeMs, s => s.Available)?.Ms;
            var firstTryBack = run.Sampler.Of("c").FirstOrDefault(s => s.Ms > resumeMs
                && s.Requests > run.Sampler.Of("c").Last(x => x.Ms <= (back ?? end)).Requests)?.Ms;
            var retried = result.Outcomes.Count(o => o.LatencyMs >= 450);
            run.Report($"hang (SIGSTOP): {result.Summary()}");
            run.Report($"requests that waited out a try timeout (>= 450 ms): {retried}; {run.Counts()}");
            run.Report($"c stopped at {FaultRun.Ms(hangMs - start)}: out of rotation +{FaultRun.Ms(ejected - hangMs)}; "
                + $"resumed at {FaultRun.Ms(resumeMs - start)}: back in rotation +{FaultRun.Ms(back - resumeMs)}, first try +{FaultRun.Ms(firstTryBack - resumeMs)}");
            run.Timeline(start, end);

            Assert.True(result.Rate >= 195, $"driver rate {result.Rate:F0}/s");
            Assert.Equal(0, result.Errors);
            Assert.True(retried > 0, "some requests met the hang and were retried after the try timeout");
            // Try timeout 500 ms, then one quick retry: nobody waits for the hang itself.
            Assert.True(result.LatencyPercentileMs(100) < 1000, $"max latency {result.LatencyPercentileMs(100):F0} ms");
            Assert.True(ejected - hangMs < 1500, "out of rotation within 1.5 s of the hang");
            Assert.True(run.Sampler.TriesBetween("c", end - 2000, end) > 50, "c serves again after it resumes");
        }
        finally
        {
            foreach (var w in workers)
            {
                w.Dispose();
            }
        }
    }

    [Fact]
    public async Task AllDown_EveryWorkerKilled_EveryRequestGets503ProblemWithin100Ms()
    {
        var workers = await ModelWorkerProcess.StartManyAsync(3);
        try
        {
            await using var run = await FaultRun.StartAsync(ResilienceConfig.Build(LoadBalancingPolicyNames.RoundRobin, Named(workers)), output);
            var start = run.Now;
            var load = run.LoadAsync(TimeSpan.FromSeconds(10));
            await run.At(start + 3000);
            var killMs = run.Now;
            await Task.WhenAll(workers.Select(w => w.KillAsync()));
            var deadMs = run.Now;
            var result = await load;

            var before = result.Outcomes.Where(o => o.DoneMs < killMs).ToList();
            var after = result.Outcomes.Where(o => o.SentMs > deadMs).ToList();
            var slow = after.Where(o => o.LatencyMs >= 100).ToList();
            run.Report($"all down: {result.Summary()}");
            run.Report($"killed all at {FaultRun.Ms(killMs - start)} (exited +{FaultRun.Ms(deadMs - killMs)}); before: {before.Count} sent, "
                + $"{before.Count(o => !o.Ok)} errors; after: {after.Count} sent, {after.Count(o => o.Status == 503)} got 503, "
                + $"slowest {after.Max(o => o.LatencyMs):F1} ms, {slow.Count} took >= 100 ms; during the kill: {result.Sent - before.Count - after.Count}; {run.Counts()}");

            foreach (var second in after.GroupBy(o => (int)((o.SentMs - start) / 1000)))
            {
                run.Report($"  {second.Key}s: {second.Count()} sent, max {second.Max(o => o.LatencyMs):F1} ms, >= 100 ms: {second.Count(o => o.LatencyMs >= 100)}, max send lag {second.Max(o => o.SentMs - o.ScheduledMs):F1} ms");
            }

            Assert.True(result.Rate >= 195, $"driver rate {result.Rate:F0}/s");
            Assert.True(after.Count > 1200, "at least 6 s of load with every worker down");
            Assert.All(before, o => Assert.Equal(200, o.Status));
            Assert.All(after, o => Assert.Equal(503, o.Status));
            Assert.All(after, o => Assert.Equal("application/problem+json", o.ContentType));
            Assert.Empty(slow);
        }
        finally
        {
            foreach (var w in workers)
            {
                w.Dispose();
            }
        }
    }

    [Fact]
    public async Task Restart_KilledWorkerStartsAgain_ReturnsThroughActiveCheckAndRampsItsShare()
    {
        var workers = await ModelWorkerProcess.StartManyAsync(3);
        ModelWorkerProcess? restarted = null;
        try
        {
            const double window = 3;
            await using var run = await FaultRun.StartAsync(ResilienceConfig.Build(LoadBalancingPolicyNames.Weighted, Named(workers),
                ResilienceConfig.FastResilience(slowStartSeconds: window)), output);
            var start = run.Now;
            var load = run.LoadAsync(TimeSpan.FromSeconds(11));
            await run.At(start + 2000);
            var killMs = run.Now;
            await workers[2].KillAsync();
            // Its port stays held (refusing connections, as a closed port does) until the restart, so no other test
            // can take it meanwhile; the restart binds it again after the hold is released.
            using (ReservedDeadPort.Hold(workers[2].Url!.Port))
            {
                await run.At(start + 3500);
            }

            var restartMs = run.Now;
            restarted = ModelWorkerProcess.Start(workers[2].Url!.Port); // the same address the gateway probes
            await restarted.WaitUntilReadyAsync();
            var readyMs = run.Now;
            var result = await load;
            var end = run.Now;

            var join = run.Sampler.First("c", readyMs, s => s.Available);
            Assert.NotNull(join);
            var firstSecond = Share(run, "c", join.Ms, join.Ms + 1000);
            var settled = Share(run, "c", join.Ms + (window * 1000) + 200, end);
            var minRamp = run.Sampler.Of("c").Where(s => s.Ms >= join.Ms && s.Ms < join.Ms + 500).Min(s => s.RampFactor);
            run.Report($"restart: {result.Summary()}; {run.Counts()}");
            run.Report($"c killed at {FaultRun.Ms(killMs - start)}, restarted at {FaultRun.Ms(restartMs - start)}, ready +{FaultRun.Ms(readyMs - restartMs)}, "
                + $"back in rotation +{FaultRun.Ms(join.Ms - readyMs)} after ready; share of c: first second {firstSecond:P1}, "
                + $"after the {window} s ramp {settled:P1}; lowest ramp factor seen {minRamp:F2}");
            run.Timeline(start, end);

            Assert.True(result.Rate >= 195, $"driver rate {result.Rate:F0}/s");
            Assert.Equal(0, result.Errors);
            // Rise 2 probes at 250 ms: back within about half a second of being ready, a second with margin.
            Assert.True(join.Ms - readyMs < 1500, $"back {join.Ms - readyMs:F0} ms after ready");
            Assert.True(minRamp < 0.5, "c started its slow start well below full weight");
            Assert.True(firstSecond < 0.2, $"first-second share {firstSecond:P1} (full share 33%)");
            Assert.True(settled > 0.25, $"share after the ramp {settled:P1}");
        }
        finally
        {
            restarted?.Dispose();
            foreach (var w in workers)
            {
                w.Dispose();
            }
        }
    }

    private static double Share(FaultRun run, string id, double from, double to)
    {
        var all = new[] { "a", "b", "c" }.Sum(d => run.Sampler.TriesBetween(d, from, to));
        return all == 0 ? 0 : (double)run.Sampler.TriesBetween(id, from, to) / all;
    }
}
