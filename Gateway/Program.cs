using Gateway.Config;
using Gateway.Fleet;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;

namespace Gateway;

public static class Program
{
    /// <summary>LBPROXY_INLINE_SCHEDULING=0 turns inline scheduling off (see <see cref="GatewayHostOptions.InlineScheduling"/>).</summary>
    public const string InlineSchedulingVariable = "LBPROXY_INLINE_SCHEDULING";

    public static async Task<int> Main(string[] args)
    {
        var inline = Environment.GetEnvironmentVariable(InlineSchedulingVariable) != "0";
        if (inline && Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
        {
            await EnableInlineCompletionsAsync();
        }

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

        try
        {
            Transport.EpollLoops.CheckSetting(); // LBPROXY_EVENT_LOOPS, in either mode
        }
        catch (InvalidOperationException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return 2;
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
                H2cUrls = commandLine.H2cUrls,
                InlineScheduling = inline,
            });
        }
        catch (ConfigException ex)
        {
            await Console.Error.WriteLineAsync($"error: {commandLine.ConfigPath} has {ex.Errors.Count} problem(s); not starting.");
            return 1;
        }
        catch (Admin.Guard.AdminExposureException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
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

    private const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Socket completions on the epoll thread, where Kestrel's inline scheduling wants them. The runtime reads the
    /// variable once, at the first asynchronous socket operation, and there is no AppContext switch for it: so it is
    /// set, one loopback connection makes the runtime read it, and it is removed again so the local fleet's workers
    /// (child processes inherit the environment) keep their own default.
    /// </summary>
    private static async Task EnableInlineCompletionsAsync()
    {
        Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
        try
        {
            using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
            listener.Listen(1);
            var accepting = listener.AcceptAsync();
            using var client = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            await client.ConnectAsync(listener.LocalEndPoint!);
            using var accepted = await accepting;
        }
        finally
        {
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, null);
        }
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
