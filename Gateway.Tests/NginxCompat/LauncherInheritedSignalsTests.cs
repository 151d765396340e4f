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
        try
        {
            await StartAndQuitAsync(prefix, conf, pidFile);
        }
        finally
        {
            Directory.Delete(prefix, recursive: true);
        }
    }

    private static async Task StartAndQuitAsync(string prefix, string conf, string pidFile)
    {
        // The listen port must be in the file before the start: fresh ones if a parallel test took it meanwhile.
        var (process, output, errors) = await LocalProcesses.OnFreshPortsAsync(1, async ports =>
        {
            await File.WriteAllTextAsync(conf,
                $"pid {pidFile};\nevents {{}}\nhttp {{\n  server {{\n    listen 127.0.0.1:{ports[0]};\n    return 200 up;\n  }}\n}}\n");
            var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
            // trap '' sets both to ignored, and an ignored signal stays ignored across exec, as for a background job.
            foreach (var arg in new[] { "-c", "trap '' QUIT INT; exec \"$0\" -p \"$1\" -c \"$2\"", ProxyProcess.Launcher, prefix, conf })
            {
                info.ArgumentList.Add(arg);
            }

            info.Environment["LBPROXY_ADMIN_URLS"] = "http://127.0.0.1:0";
            var started = Process.Start(info)!;
            var stdout = started.StandardOutput.ReadToEndAsync();
            var stderr = started.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (!File.Exists(pidFile) && !started.HasExited && DateTime.UtcNow < deadline)
            {
                await Task.Delay(25);
            }

            if (!File.Exists(pidFile))
            {
                var said = started.HasExited ? await stdout + await stderr : "not ready in 20 s";
                if (!started.HasExited)
                {
                    started.Kill();
                    await started.WaitForExitAsync();
                }

                started.Dispose();
                throw LocalProcesses.SaysAddressInUse(said) ? new PortInUseException(said) : new InvalidOperationException($"no pid file: {said}");
            }

            return (started, stdout, stderr);
        });
        using var owned = process;
        try
        {
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
        }
    }
}
