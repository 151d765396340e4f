using Gateway.Config;
using Gateway.Fleet;
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

        if (commandLine.NginxConfPath is not null)
        {
            return await Config.Nginx.NginxProgram.RunAsync(commandLine);
        }

        if (commandLine.TestOnly)
        {
            return await TestConfigAsync(commandLine.ConfigPath!);
        }

        GatewayHost host;
        try
        {
            host = await GatewayHost.StartAsync(new GatewayHostOptions
            {
                ConfigPath = commandLine.ConfigPath,
                Config = commandLine.ConfigPath is null ? EmbeddedConfig.Create(commandLine.FleetOptions()) : null,
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
            var stopping = host.WaitForShutdownAsync();
            if (host.Fleet is { } fleet)
            {
                try
                {
                    await Task.WhenAny(fleet.InitialReady, stopping);
                    await (stopping.IsCompleted ? Task.CompletedTask : fleet.InitialReady);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    await Console.Error.WriteLineAsync($"error: the local fleet could not start: {ex.Message}");
                    return 1;
                }
            }

            if (!stopping.IsCompleted)
            {
                Console.WriteLine(Banner.Text(host, commandLine.ConfigPath));
            }

            await stopping;
        }

        return 0;
    }

    /// <summary>nginx -t: parse and validate, print every problem, exit 0 only when the file is usable.</summary>
    private static async Task<int> TestConfigAsync(string path)
    {
        var (config, errors) = await GatewayHost.CheckConfigFileAsync(path);
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
