using Microsoft.Extensions.Logging.Abstractions;
using ModelWorker.Inference;

namespace Gateway.Tests.Worker;

/// <summary>The CUDA path up to where ONNX Runtime takes over, on this machine's CPU-only package.</summary>
public sealed class OnnxModelLoaderTests
{
    private static string Model(string name) => Path.Combine(AppContext.BaseDirectory, "models", name);

    [Fact]
    public void Load_AutoOnCpuPackage_RunsOnCpu()
    {
        using var model = OnnxModelLoader.Load(Model("classifier-small.onnx"), DeviceOption.Auto, 1, NullLogger.Instance);

        Assert.Equal("cpu", model.Device);
        Assert.Equal(4, model.FeatureCount);
        Assert.Equal(3, model.ClassCount);
        Assert.True(model.OutputIsLogits);
    }

    [Fact]
    public void Load_CudaOnCpuPackage_FailsWithAClearMessage()
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => OnnxModelLoader.Load(Model("classifier-small.onnx"), DeviceOption.Cuda, 1, NullLogger.Instance));

        Assert.Contains("CUDA execution provider is not available", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_HeavyModel_ReadsSignatureAndSeesProbabilities()
    {
        using var model = OnnxModelLoader.Load(Model("classifier-heavy.onnx"), DeviceOption.Cpu, 1, NullLogger.Instance);

        Assert.Equal(256, model.FeatureCount);
        Assert.Equal(3, model.ClassCount);
        Assert.False(model.OutputIsLogits);
    }

    [Fact]
    public void Load_MissingFile_SaysWhichPath()
    {
        var error = Assert.Throws<FileNotFoundException>(
            () => OnnxModelLoader.Load("/nonexistent/model.onnx", DeviceOption.Cpu, 1, NullLogger.Instance));

        Assert.Contains("--model", error.Message, StringComparison.Ordinal);
    }
}
