using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Config.Nginx;

/// <summary>
/// <c>--nginx-conf FILE</c>: test it the way <c>nginx -t</c> does (same messages, exit 0/1), or run it: listeners from
/// its listen directives, the pid file written once they are bound and removed at exit.
/// </summary>
public static class NginxProgram
{
    public static async Task<int> RunAsync(CommandLine commandLine)
    {
        var path = Path.GetFullPath(commandLine.NginxConfPath!);
        var (config, error) = await LoadAsync(commandLine, path);
        if (commandLine.TestOnly || config is null)
        {
            if (config is null)
            {
                await Console.Error.WriteLineAsync(Emerg(error!));
                if (commandLine.TestOnly)
                {
                    await Console.Error.WriteLineAsync($"nginx: configuration file {path} test failed");
                }

                return 1;
            }

            await Console.Error.WriteLineAsync($"nginx: the configuration file {path} syntax is ok");
            await Console.Error.WriteLineAsync($"nginx: configuration file {path} test is successful");
            if (commandLine.NginxDump)
            {
                await DumpAsync(path);
            }

            return 0;
        }

        var site = config.Options.Nginx!;
        var pidFile = site.PidFile ?? Path.GetFullPath(Path.Combine(commandLine.NginxPrefix ?? Path.GetDirectoryName(path)!, "logs", "nginx.pid"));
        if (commandLine.PrintPidPath)
        {
            Console.WriteLine(pidFile);
            return 0;
        }

        GatewayHost host;
        try
        {
            host = await GatewayHost.StartAsync(new GatewayHostOptions
            {
                Config = config,
                NginxConfPath = path,
                NginxPrefix = commandLine.NginxPrefix,
                NginxGlobals = commandLine.NginxGlobals,
                Urls = commandLine.UrlsGiven ? commandLine.Urls : site.ListenUrls,
                AdminUrls = commandLine.AdminUrls,
            });
        }
        catch (IOException ex)
        {
            await Console.Error.WriteLineAsync(Emerg($"bind() failed ({ex.Message})"));
            return 1;
        }
        catch (Admin.Guard.AdminExposureException ex)
        {
            // --admin-urls off loopback without LBPROXY_ADMIN_TOKEN: refused before anything listens, as Program does.
            await Console.Error.WriteLineAsync(Emerg(ex.Message));
            return 1;
        }

        await using (host)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(pidFile)!);
            await File.WriteAllTextAsync(pidFile, Environment.ProcessId + "\n");
            // A fast stop (SIGTERM) exits without unwinding: remove the pid file on the way out too.
            AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(pidFile);
            try
            {
                Console.WriteLine($"lbproxy-nginx: {path} running, listening on {string.Join(' ', host.ProxyUrls)}, admin {string.Join(' ', host.AdminUrls)}, pid {Environment.ProcessId}");
                await host.WaitForShutdownAsync();
            }
            finally
            {
                File.Delete(pidFile);
            }
        }

        return 0;
    }

    /// <summary>An [emerg] line as Debian's nginx prints it on stderr (its error log): time, level, pid#tid, message.</summary>
    public static string Emerg(string message) =>
        $"{DateTime.Now:yyyy/MM/dd HH:mm:ss} [emerg] {Environment.ProcessId}#{Environment.ProcessId}: {message}";

    private static async Task<(GatewayConfig? Config, string? Error)> LoadAsync(CommandLine commandLine, string path)
    {
        await using var services = new ServiceCollection().AddLogging().AddMetrics()
            .AddLbProxyGateway(new GatewayHostOptions()).BuildServiceProvider();
        return await NginxConfigLoader.LoadAsync(path, commandLine.NginxPrefix, commandLine.NginxGlobals,
            services.GetRequiredService<IConfigValidator>());
    }

    /// <summary>nginx -T: every configuration file, the main one first, each under a "# configuration file" line.</summary>
    private static async Task DumpAsync(string path)
    {
        var files = new List<string> { path };
        void Walk(IEnumerable<NginxDirective> block)
        {
            foreach (var d in block)
            {
                if (!files.Contains(d.File))
                {
                    files.Add(d.File);
                }

                if (d.Block is not null)
                {
                    Walk(d.Block);
                }
            }
        }

        Walk(NginxParser.ParseFile(path));
        foreach (var file in files)
        {
            Console.WriteLine($"# configuration file {file}:");
            Console.WriteLine(await File.ReadAllTextAsync(file));
        }
    }
}
