using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Benchmarks.PolicyLoad;

/// <summary>
/// A backend process whose latency follows a profile, standing in for a model pod: `servers` requests are served
/// at once (the rest wait in FIFO order, and the number waiting is reported as X-Queue-Depth, as ModelWorker
/// does), each for a lognormal service time around `median-ms`, multiplied by `slow-factor` between
/// `slow-from-ms` and `slow-until-ms` after the shared epoch. GET /stats answers how many it served. Once bound it
/// prints "<see cref="ListeningPrefix"/>URL" (with `--port 0`, the port the OS gave it).
/// </summary>
internal static class ProfileBackend
{
    public const string ListeningPrefix = "backend listening: ";

    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string name, string fallback)
        {
            var i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        double Num(string name, double fallback) => double.Parse(Arg(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

        var port = (int)Num("port", 0);
        var servers = (int)Num("servers", 4);
        var median = Num("median-ms", 20);
        var sigma = Num("sigma", 0.3);
        var epoch = DateTimeOffset.FromUnixTimeMilliseconds((long)Num("epoch-unix-ms", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        var slowFrom = TimeSpan.FromMilliseconds(Num("slow-from-ms", -1));
        var slowUntil = TimeSpan.FromMilliseconds(Num("slow-until-ms", -1));
        var slowFactor = Num("slow-factor", 1);
        var name = Arg("name", $"backend-{port}");
        var random = new Random((int)Num("seed", port));
        var slots = new SemaphoreSlim(servers);
        var waiting = 0;
        long served = 0;

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.MapGet("/stats", () => Interlocked.Read(ref served).ToString(CultureInfo.InvariantCulture));
        app.MapFallback(async context =>
        {
            Interlocked.Increment(ref waiting);
            await slots.WaitAsync(context.RequestAborted);
            Interlocked.Decrement(ref waiting);
            try
            {
                double normal;
                lock (random)
                {
                    // Box-Muller: a standard normal for the lognormal service time.
                    normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                }

                var since = DateTimeOffset.UtcNow - epoch;
                var factor = since >= slowFrom && since < slowUntil ? slowFactor : 1;
                await Task.Delay(TimeSpan.FromMilliseconds(median * Math.Exp(sigma * normal) * factor), context.RequestAborted);
            }
            finally
            {
                slots.Release();
            }

            Interlocked.Increment(ref served);
            context.Response.Headers["X-Queue-Depth"] = Volatile.Read(ref waiting).ToString(CultureInfo.InvariantCulture);
            await context.Response.WriteAsync(name);
        });
        await app.StartAsync();
        Console.WriteLine(ListeningPrefix + app.Urls.First());
        await app.WaitForShutdownAsync();
        return 0;
    }
}
