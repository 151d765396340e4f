using Microsoft.Extensions.Configuration;
using ModelWorker;
using ModelWorker.Batching;
using ModelWorker.Inference;

namespace Gateway.Tests.Worker;

public sealed class WorkerOptionsReaderTests
{
    [Fact]
    public void Read_Nothing_GivesTheDocumentedDefaults()
    {
        var options = WorkerOptionsReader.Read(Config());

        Assert.Equal(32, options.Batching.MaxBatchSize);
        Assert.Equal(TimeSpan.FromMilliseconds(50), options.Batching.MaxWait);
        Assert.Equal(1024, options.Batching.QueueCapacity);
        Assert.Equal(TimeSpan.FromMilliseconds(5000), options.Batching.RequestTimeout);
        Assert.Equal(100, options.ReadyQueueLimit);
        Assert.Equal(BatchingMode.WorkConserving, options.Batching.Mode);
        Assert.Equal(TimeSpan.FromSeconds(30), options.BatchRunLimit);
        Assert.Null(options.TestHangAfterBatches);
        Assert.Equal(DeviceOption.Auto, options.Device);
        Assert.EndsWith(Path.Combine("models", "classifier-small.onnx"), options.ModelPath, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_CommandLineAndEnvironmentNames_BothWork()
    {
        var options = WorkerOptionsReader.Read(Config(("max-batch-size", "8"), ("MAX_WAIT_MS", "0"), ("device", "CPU")));

        Assert.Equal(8, options.Batching.MaxBatchSize);
        Assert.Equal(TimeSpan.Zero, options.Batching.MaxWait);
        Assert.Equal(DeviceOption.Cpu, options.Device);
    }

    [Fact]
    public void Read_BatchingFromCommandLineOrEnvironment_SetsTheMode()
    {
        Assert.Equal(BatchingMode.FixedWindow, WorkerOptionsReader.Read(Config(("batching", "fixed-window"))).Batching.Mode);
        Assert.Equal(BatchingMode.FixedWindow, WorkerOptionsReader.Read(Config(("BATCHING", "Fixed-Window"))).Batching.Mode);
        Assert.Equal(BatchingMode.WorkConserving, WorkerOptionsReader.Read(Config(("batching", "work-conserving"))).Batching.Mode);
        Assert.Equal(TimeSpan.Zero, WorkerOptionsReader.Read(Config(("BATCH_RUN_LIMIT_MS", "0"))).BatchRunLimit);
    }

    [Fact]
    public void Read_UnknownBatchingMode_SaysWhichOnesExist()
    {
        var error = Assert.Throws<WorkerOptionsException>(() => WorkerOptionsReader.Read(Config(("batching", "adaptive"))));

        Assert.Equal("--batching must be work-conserving or fixed-window, got 'adaptive'", Assert.Single(error.Errors));
    }

    [Fact]
    public void Read_SeveralBadValues_ListsThemAll()
    {
        var error = Assert.Throws<WorkerOptionsException>(
            () => WorkerOptionsReader.Read(Config(("max-batch-size", "0"), ("device", "tpu"), ("max-wait-ms", "soon"))));

        Assert.Equal(3, error.Errors.Count);
        Assert.Contains(error.Errors, e => e.Contains("--device must be auto, cpu or cuda", StringComparison.Ordinal));
    }

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
}
