using System.Diagnostics;
using Gateway.Config;
using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.EndToEnd;

public class ReloadEndToEndTests
{
    [Fact]
    public async Task Reload_ValidFile_AppliesNewPolicyDestinationsAndWeightsWithin2sWithoutFailingInFlight()
    {
        await using var backends = await Backends.StartAsync(3);
        await using var gateway = await GatewayUnderTest.StartAsync(ConfigFiles.Cluster(LoadBalancingPolicyNames.RoundRobin, backends.All.Take(2)));
        Assert.Equal(["a", "b", "a", "b"], await gateway.GetSequentialAsync(4));

        // A request in flight across the reload must complete normally.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        backends["a"].Gate = gate;
        var held = gateway.Proxy.GetAsync("/");
        while (backends["a"].Hits < 3)
        {
            await Task.Delay(10);
        }

        var (generation, took) = await gateway.RewriteConfigAsync(ConfigFiles.Cluster(LoadBalancingPolicyNames.Weighted, backends.All,
            new Dictionary<string, int> { ["a"] = 1, ["b"] = 1, ["c"] = 5 }));
        Assert.Equal(2, generation);
        Assert.True(took < TimeSpan.FromSeconds(2), $"reload took {took}");

        backends["a"].Gate = null;
        gate.SetResult();
        using (var response = await held)
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        // Smooth weighted 1,1,5 (a, b, c), as nginx computes it: c c a c b c c.
        Assert.Equal("ccacbcc", string.Concat(await gateway.GetSequentialAsync(7)));
    }

    [Fact]
    public async Task Reload_WeightOnlyChange_TakesEffect()
    {
        await using var backends = await Backends.StartAsync(2);
        await using var gateway = await GatewayUnderTest.StartAsync(ConfigFiles.Cluster(LoadBalancingPolicyNames.Weighted, backends.All));
        Assert.Equal("abab", string.Concat(await gateway.GetSequentialAsync(4)));
        await gateway.RewriteConfigAsync(ConfigFiles.Cluster(LoadBalancingPolicyNames.Weighted, backends.All, new Dictionary<string, int> { ["b"] = 3 }));
        var names = await gateway.GetSequentialAsync(8);
        Assert.Equal(6, names.Count(n => n == "b"));
    }

    [Fact]
    public async Task Reload_InvalidFile_KeepsRunningConfigAndStatusShowsError()
    {
        await using var backends = await Backends.StartAsync(2);
        await using var gateway = await GatewayUnderTest.StartAsync(ConfigFiles.Cluster(LoadBalancingPolicyNames.RoundRobin, backends.All));

        var bad = ConfigFiles.Cluster("Fastest", backends.All, new Dictionary<string, int> { ["a"] = 0 });
        await gateway.RewriteConfigAsync(bad, expectApplied: false);

        var config = (await gateway.StatusAsync()).GetProperty("config");
        Assert.Equal(1, config.GetProperty("generation").GetInt64());
        var errors = config.GetProperty("lastReloadError").GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.StartsWith($"{gateway.ConfigPath}:", StringComparison.Ordinal) && e.Contains("'Fastest'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Metadata.Weight '0'", StringComparison.Ordinal) && e.Contains("Fix:", StringComparison.Ordinal));

        Assert.Equal(["a", "b", "a", "b"], await gateway.GetSequentialAsync(4));

        await gateway.RewriteConfigAsync("{ \"ReverseProxy\": { ", expectApplied: false);
        Assert.Equal(["a", "b"], await gateway.GetSequentialAsync(2));
    }

    [Fact]
    public async Task Start_InvalidFile_ThrowsWithEveryProblem()
    {
        var folder = Directory.CreateTempSubdirectory("lbproxy-test-").FullName;
        try
        {
            var path = Path.Combine(folder, "gateway.json");
            await File.WriteAllTextAsync(path, ConfigFiles.Cluster("ConsistentHash", [], clusterMetadata: new Dictionary<string, string> { ["HashKey"] = "body" }));
            var ex = await Assert.ThrowsAsync<ConfigException>(() => GatewayHost.StartAsync(new GatewayHostOptions
            {
                ConfigPath = path,
                Urls = ["http://127.0.0.1:0"],
                AdminUrls = ["http://127.0.0.1:0"],
            }));
            Assert.Equal(2, ex.Errors.Count);
            Assert.Contains(ex.Errors, e => e.Problem.Contains("HashKey 'body'", StringComparison.Ordinal));
            Assert.Contains(ex.Errors, e => e.Problem.Contains("no destinations", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Process_InvalidFile_ExitsNonZeroWithFileLineAndFix()
    {
        var folder = Directory.CreateTempSubdirectory("lbproxy-test-").FullName;
        try
        {
            var path = Path.Combine(folder, "bad.json");
            await File.WriteAllTextAsync(path, "{\n  \"ReverseProxy\": {\n    \"Clusters\": { \"c\": { \"LoadBalancingPolicy\": \"Nope\", \"Destinations\": { \"d\": { \"Address\": \"http://127.0.0.1:1\" } } } }\n  }\n}\n");
            foreach (var args in new[] { $"--config {path} --urls http://127.0.0.1:0 --admin-urls http://127.0.0.1:0", $"-t --config {path}" })
            {
                var (code, output) = await RunGatewayAsync(args);
                Assert.Equal(1, code);
                Assert.Contains($"{path}:3:", output);
                Assert.Contains("'Nope', which is not a policy. Fix: use one of RoundRobin", output);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<(int Code, string Output)> RunGatewayAsync(string args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Gateway.dll");
        using var process = Process.Start(new ProcessStartInfo("dotnet", $"\"{dll}\" {args}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
            return (process.ExitCode, await stdout + await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
