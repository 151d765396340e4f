using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Benchmarks.ProxyCost;

/// <summary>
/// Stock YARP (AddReverseProxy + MapReverseProxy, YARP's own policies) with the gateway's logging settings and
/// nothing else: proxy-cost's measure of what LbProxy's own work (policies, admission, breakers, retries,
/// metrics) costs on top of the YARP it is built on. Once bound it prints "<see cref="ListeningPrefix"/>URL" (with
/// --urls http://127.0.0.1:0, the port the OS gave it).
/// </summary>
internal static class PlainYarp
{
    public const string ListeningPrefix = "yarp-plain listening: ";

    public const string Usage = "yarp-plain --config FILE --urls URL   stock YARP on a gateway config's ReverseProxy section (proxy-cost's baseline)";

    public static async Task<int> RunAsync(string[] args)
    {
        string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        if (Arg("--config") is not { } config || Arg("--urls") is not { } urls)
        {
            Console.Error.WriteLine("usage: " + Usage);
            return 2;
        }

        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddJsonFile(Path.GetFullPath(config), optional: false);
        builder.WebHost.UseUrls(urls);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));
        var app = builder.Build();
        app.MapReverseProxy();
        await app.StartAsync();
        Console.WriteLine(ListeningPrefix + app.Urls.First());
        await app.WaitForShutdownAsync();
        return 0;
    }
}
