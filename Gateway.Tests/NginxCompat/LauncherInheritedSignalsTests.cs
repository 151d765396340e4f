using System.Diagnostics;
using System.Globalization;
using Benchmarks.Local;

namespace Gateway.Tests.NginxCompat;

/// <summary>
/// A script's <c>lbproxy-nginx &amp;</c> (a shell without job control) starts it with SIGINT and SIGQUIT ignored. nginx
/// installs its handlers whatever it inherited, so <c>-s quit</c> still stops it; the launcher must too (.NET on its own
/// leaves an inherited ignored SIGQUIT alone).
/// </summary>
[Collection(NginxDifferential.Name)]
public sealed class LauncherInheritedSignalsTests
{
    [Fact]
    public async Task Quit_SigquitIgnoredOnEntry_StillStopsGracefully()
    {
        var prefix = Directory.CreateTempSubdirectory("nginx-launch-ignored-").FullName;
        Directory.CreateDirectory(Path.Combine(prefix, "logs"));
        var conf = Path.Combine(prefix, "nginx.conf");
        var pidFile = Path.Combine(prefix, "nginx.pid");
        await File.WriteAllTextAsync(conf,
            $"pid {pidFile};\nevents {{}}\nhttp {{\n  server {{\n    listen 127.0.0.1:{LocalProcesses.FreePort()};\n    return 200 up;\n  }}\n}}\n");
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        // trap '' sets both to ignored, and an ignored signal stays ignored across exec, as for a background job.
        foreach (var arg in new[] { "-c", "trap '' QUIT INT; exec \"$0\" -p \"$1\" -c \"$2\"", ProxyProcess.Launcher, prefix, conf })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["LBPROXY_ADMIN_URLS"] = "http://127.0.0.1:0";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (!File.Exists(pidFile) && !process.HasExited && DateTime.UtcNow < deadline)
            {
                await Task.Delay(25);
            }

            Assert.True(File.Exists(pidFile), $"no pid file: {(process.HasExited ? await output + await errors : "not ready in 20 s")}");
            Assert.Equal(process.Id, int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), CultureInfo.InvariantCulture)); // one PID through the execs

            using var quit = Process.Start(new ProcessStartInfo(ProxyProcess.Launcher, ["-s", "quit", "-p", prefix, "-c", conf]))!;
            await quit.WaitForExitAsync();
            Assert.Equal(0, quit.ExitCode);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await process.WaitForExitAsync(wait.Token);
            Assert.Contains("SIGQUIT received, stopping gracefully", await output + await errors, StringComparison.Ordinal);
            Assert.False(File.Exists(pidFile));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }

            Directory.Delete(prefix, recursive: true);
        }
    }
}
