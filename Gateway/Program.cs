using Gateway.Config;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;

namespace Gateway;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var commandLine = CommandLine.Parse(args, out var error);
        if (commandLine is null || commandLine.Help)
        {
            if (error is not null)
            {
                await Console.Error.WriteLineAsync($"error: {error}");
            }

            await (error is null ? Console.Out : Console.Error).WriteLineAsync(CommandLine.Usage);
            return error is null ? 0 : 2;
        }

        if (commandLine.ConfigPath is null)
        {
            await Console.Error.WriteLineAsync("error: give a config file with --config FILE (see Gateway/examples/gateway.json).");
            await Console.Error.WriteLineAsync(CommandLine.Usage);
            return 2;
        }

        if (commandLine.TestOnly)
        {
            return await TestConfigAsync(commandLine.ConfigPath);
        }

        GatewayHost host;
        try
        {
            host = await GatewayHost.StartAsync(new GatewayHostOptions
            {
                ConfigPath = commandLine.ConfigPath,
                Urls = commandLine.Urls,
                AdminUrls = commandLine.AdminUrls,
            });
        }
        catch (ConfigException ex)
        {
            await Console.Error.WriteLineAsync($"error: {commandLine.ConfigPath} has {ex.Errors.Count} problem(s); not starting.");
            return 1;
        }
        catch (IOException ex)
        {
            // Kestrel's "address already in use" and friends.
            await Console.Error.WriteLineAsync($"error: cannot listen: {ex.Message}");
            return 1;
        }

        await using (host)
        {
            Console.WriteLine($"LbProxy gateway: proxy {string.Join(", ", host.ProxyUrls)}  admin {string.Join(", ", host.AdminUrls)} (/status, /metrics)");
            Console.WriteLine($"config {commandLine.ConfigPath} (hot reload on save); Ctrl-C to stop");
            await host.WaitForShutdownAsync();
        }

        return 0;
    }

    /// <summary>nginx -t: parse and validate, print every problem, exit 0 only when the file is usable.</summary>
    private static async Task<int> TestConfigAsync(string path)
    {
        await using var services = new ServiceCollection().AddLogging().AddMetrics()
            .AddLbProxyGateway(new GatewayHostOptions()).BuildServiceProvider();
        var (config, errors) = await ConfigFileParser.LoadAsync(path, services.GetRequiredService<IConfigValidator>());
        foreach (var problem in errors)
        {
            await Console.Error.WriteLineAsync(problem.ToString());
        }

        Console.WriteLine(config is null
            ? $"configuration file {path} test failed"
            : $"configuration file {path} test is successful: {config.Routes.Count} routes, {config.Clusters.Count} clusters");
        return config is null ? 1 : 0;
    }
}
