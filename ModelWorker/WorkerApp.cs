using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelWorker.Api;
using ModelWorker.Cache;
using ModelWorker.KServe;
using ModelWorker.Metrics;
using ModelWorker.Models;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace ModelWorker;

/// <summary>Builds the worker's web application; Program runs it, tests start it in-process on port 0.</summary>
public static class WorkerApp
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args });
        ConfigureSources(builder.Configuration, args);
        var options = WorkerOptionsReader.Read(builder.Configuration);

        // Per-request Information logs from Hosting/Routing cost throughput and say nothing new. Hosting also starts
        // an Activity and a log scope for every request while its logger is enabled at any level (Critical counts),
        // so its per-request category is switched off entirely; Kestrel's own warnings and errors still log.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.WebHost.UseSockets(socket => socket.UnsafePreferInlineScheduling = IoScheduling.Inline);
        var grpcListeners = new GrpcListeners();
        var httpUrls = (builder.Configuration["urls"] ?? "http://localhost:5000").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            if (options.GrpcUrls.Count > 0)
            {
                grpcListeners.Bind(kestrel, httpUrls, options.GrpcUrls);
            }
        });

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<WorkerState>();
        builder.Services.AddSingleton<WorkerMetrics>();
        builder.Services.AddSingleton(options.Repository ?? ModelRepository.Build(options.ModelPath, null, []));
        builder.Services.AddSingleton(options.ModelLimits);
        builder.Services.AddSingleton(options.Cache);
        builder.Services.AddSingleton<ModelManager>();
        builder.Services.AddSingleton<PredictionCache>();
        builder.Services.AddSingleton<CachedInference>();
        builder.Services.AddSingleton<KServeInference>();
        builder.Services.AddSingleton<KServeHttpEndpoints>();
        builder.Services.AddSingleton(grpcListeners);
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<PredictEndpoint>();
        builder.Services.AddSingleton<HealthEndpoints>();
        builder.Services.AddHostedService<WorkerService>();
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(MetricNames.MeterName))
            .WithMetrics(metrics => metrics
            .AddMeter(MetricNames.MeterName)
            .AddView(MetricNames.RequestLatency, new ExplicitBucketHistogramConfiguration { Boundaries = MetricNames.LatencyBuckets })
            .AddView(MetricNames.BatchSize, new ExplicitBucketHistogramConfiguration { Boundaries = MetricNames.BatchSizeBuckets })
            .AddView(MetricNames.InferenceTime, new ExplicitBucketHistogramConfiguration { Boundaries = MetricNames.InferenceBuckets })
            .AddPrometheusExporter());

        var app = builder.Build();
        var predict = app.Services.GetRequiredService<PredictEndpoint>();
        var health = app.Services.GetRequiredService<HealthEndpoints>();
        app.MapPost("/predict", predict.HandleAsync);
        app.MapPost("/models/{name}/predict", predict.HandleModelAsync);
        app.MapPost("/models/{name}/versions/{version}/predict", predict.HandleModelVersionAsync);
        app.Services.GetRequiredService<KServeHttpEndpoints>().Map(app);
        app.MapGrpcService<KServeGrpcService>();
        app.MapGet("/health", health.HealthAsync);
        app.MapGet("/ready", health.ReadyAsync);
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    // Only the worker's own sources: no appsettings.json from the working directory or the output folder,
    // where another app's (the Gateway's, in the test output) would otherwise configure this one.
    // Later sources win: --config FILE, then environment variables, then the command line.
    private static void ConfigureSources(ConfigurationManager configuration, string[] args)
    {
        var file = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args).Build()["config"];
        configuration.Sources.Clear();
        if (file is not null)
        {
            configuration.AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
        }

        configuration.AddEnvironmentVariables("ASPNETCORE_");
        configuration.AddEnvironmentVariables();
        configuration.AddCommandLine(args);
    }
}
