using System.Diagnostics;
using Benchmarks.Local;
using Gateway.Tests.Tls;
using Xunit.Abstractions;

namespace Gateway.Tests.NginxCompat;

/// <summary>nginx-compat/lbproxy-nginx as scripts drive nginx: pid file, -s reload/quit, SIGHUP keeping the last good config, SIGTERM.</summary>
[Collection(NginxDifferential.Name)]
public sealed class LauncherSignalTests(ITestOutputHelper output)
{
    private static string Config(int port, string text, int? pid = null) =>
        $"events {{}}\nhttp {{\n  server {{\n    listen 127.0.0.1:{port};\n    location / {{ return 200 \"{text}\"; }}\n  }}\n}}\n";

    [Fact]
    public async Task Reload_GoodThenBadConfig_AppliesGoodKeepsItOnBad_QuitRemovesPidFile()
    {
        var prefix = Directory.CreateTempSubdirectory("nginx-launch-").FullName;
        var conf = Path.Combine(prefix, "nginx.conf");
        var clock = Stopwatch.StartNew();
        await using var launcher = await ProxyProcess.StartLauncherAsync(prefix, conf, 1, ports => $"pid {prefix}/nginx.pid;\n" + Config(ports[0], "one"));
        var port = launcher.Ports[0];
        output.WriteLine($"launcher ready (pid file written, port accepting) after {clock.ElapsedMilliseconds} ms");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        Assert.Equal("one", await client.GetStringAsync("/"));
        Assert.Equal(launcher.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            (await File.ReadAllTextAsync(Path.Combine(prefix, "nginx.pid"))).Trim()); // exec: the launcher's PID is the gateway's

        await File.WriteAllTextAsync(conf, $"pid {prefix}/nginx.pid;\n" + Config(port, "two"));
        Assert.Equal((0, ""), await RunAsync("-s", "reload", "-p", prefix, "-c", conf));
        await Eventually(async () => await client.GetStringAsync("/") == "two");

        await File.WriteAllTextAsync(conf, $"pid {prefix}/nginx.pid;\n" + Config(port, "three").Replace("return", "retrun", StringComparison.Ordinal));
        await launcher.SignalAsync("HUP");
        await Eventually(() => Task.FromResult(launcher.Output.Contains("unknown directive \"retrun\"", StringComparison.Ordinal)));
        // The error log line and the console logger's line are two writes; the logger's comes from its own queue, later.
        await Eventually(() => Task.FromResult(launcher.Output.Contains("keeping the running configuration", StringComparison.Ordinal)));
        Assert.Equal("two", await client.GetStringAsync("/"));

        // -s reads the config for its pid path, as nginx does (and fails on a bad one, as nginx does).
        Assert.Equal(1, (await RunAsync("-s", "quit", "-p", prefix, "-c", conf)).ExitCode);
        await File.WriteAllTextAsync(conf, $"pid {prefix}/nginx.pid;\n" + Config(port, "two"));
        Assert.Equal((0, ""), await RunAsync("-s", "quit", "-p", prefix, "-c", conf));
        Assert.True(await launcher.WaitForExitAsync(TimeSpan.FromSeconds(15)), "SIGQUIT did not stop it");
        Assert.False(File.Exists(Path.Combine(prefix, "nginx.pid")));
        Directory.Delete(prefix, recursive: true);
    }

    [Fact]
    public async Task Sigterm_StopsAtOnce()
    {
        var prefix = Directory.CreateTempSubdirectory("nginx-launch-").FullName;
        var conf = Path.Combine(prefix, "nginx.conf");
        await using var launcher = await ProxyProcess.StartLauncherAsync(prefix, conf, 1, ports => $"pid {prefix}/nginx.pid;\n" + Config(ports[0], "up"));

        await launcher.SignalAsync("TERM");

        Assert.True(await launcher.WaitForExitAsync(TimeSpan.FromSeconds(10)), "SIGTERM did not stop it");
        Assert.False(File.Exists(Path.Combine(prefix, "nginx.pid")));
    }

    [Fact]
    public async Task VersionFlag_NamesLbProxyAndTheNginxItFollows()
    {
        var info = new ProcessStartInfo(ProxyProcess.Launcher, "-v") { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(info)!;
        var text = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.Equal(0, process.ExitCode);
        Assert.Contains("lbproxy-nginx (LbProxy, follows nginx/1.22.1)", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminOffLoopbackWithoutToken_EmergLineAndExitOne()
    {
        var prefix = Directory.CreateTempSubdirectory("nginx-launch-").FullName;
        var conf = Path.Combine(prefix, "nginx.conf");
        // A held port: the refusal comes before anything listens, so the launcher must not get as far as binding it.
        using var held = new ReservedDeadPort();
        await File.WriteAllTextAsync(conf, $"pid {prefix}/nginx.pid;\n" + Config(held.Port, "up"));

        var (code, text) = await RunAsync(new Dictionary<string, string> { ["LBPROXY_ADMIN_URLS"] = "http://0.0.0.0:0" }, "-p", prefix, "-c", conf);

        Assert.Equal(1, code);
        Assert.Contains("[emerg]", text, StringComparison.Ordinal);
        Assert.Contains("not loopback", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", text, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(prefix, "nginx.pid")));
        Directory.Delete(prefix, recursive: true);
    }

    private static Task<(int ExitCode, string Output)> RunAsync(params string[] args) => ExternalTool.RunAsync(ProxyProcess.Launcher, args);

    private static Task<(int ExitCode, string Output)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        ExternalTool.RunAsync(environment, ProxyProcess.Launcher, args);

    /// <summary>Polls until true (a reload is asynchronous to the signal); fails after 15 s.</summary>
    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 15 s");
            await Task.Delay(50);
        }
    }
}
