using Microsoft.Extensions.Configuration;
using ModelWorker;
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
