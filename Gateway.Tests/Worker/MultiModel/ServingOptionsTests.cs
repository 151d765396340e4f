using Microsoft.Extensions.Configuration;
using ModelWorker;

namespace Gateway.Tests.Worker.MultiModel;

/// <summary>The worker options of several models, gRPC and the cache: defaults, both spellings, every error at once.</summary>
public sealed class ServingOptionsTests
{
    [Fact]
    public void Read_Nothing_NoRepositoryNoGrpcNoCache()
    {
        var options = WorkerOptionsReader.Read(Config());

        Assert.Equal(["classifier-small"], options.Repository!.Names);
        Assert.Equal(8, options.ModelLimits.MaxLoadedModels);
        Assert.Equal(0, options.ModelLimits.MaxMemoryBytes);
        Assert.Empty(options.GrpcUrls);
        Assert.Equal(0, options.Cache.Capacity);
        Assert.Equal(TimeSpan.FromSeconds(60), options.Cache.TimeToLive);
    }

    [Fact]
    public void Read_CommandLineAndEnvironmentNames_SetEachOption()
    {
        var root = ModelFiles.Repository(("scorer", 1, ModelFiles.Tiny));
        try
        {
            var options = WorkerOptionsReader.Read(Config(("model-repository", root), ("MAX_LOADED_MODELS", "3"), ("max-model-memory-mb", "64"),
                ("GRPC_URLS", "http://127.0.0.1:5002; http://[::1]:5002"), ("cache-capacity", "100"), ("CACHE_TTL_MS", "0")));

            Assert.Equal(["classifier-small", "scorer"], options.Repository!.Names);
            Assert.Equal(3, options.ModelLimits.MaxLoadedModels);
            Assert.Equal(64L * 1024 * 1024, options.ModelLimits.MaxMemoryBytes);
            Assert.Equal(["http://127.0.0.1:5002", "http://[::1]:5002"], options.GrpcUrls);
            Assert.Equal(100, options.Cache.Capacity);
            Assert.Equal(TimeSpan.Zero, options.Cache.TimeToLive);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Read_InvalidValues_ListsEveryProblem()
    {
        var error = Assert.Throws<WorkerOptionsException>(() => WorkerOptionsReader.Read(Config(
            ("model-repository", "/nonexistent/models"), ("max-loaded-models", "0"), ("grpc-urls", "https://127.0.0.1:5002"),
            ("cache-capacity", "-1"), ("cache-ttl-ms", "soon"))));

        Assert.Equal(5, error.Errors.Count);
        Assert.Contains(error.Errors, e => e.StartsWith("--model-repository /nonexistent/models is not a directory", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("--max-loaded-models must be an integer from 1", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("--grpc-urls takes http://HOST:PORT addresses", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("--cache-capacity must be an integer from 0", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("--cache-ttl-ms must be an integer from 0", StringComparison.Ordinal));
    }

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();
}
