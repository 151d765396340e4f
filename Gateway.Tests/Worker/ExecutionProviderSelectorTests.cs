using ModelWorker.Inference;

namespace Gateway.Tests.Worker;

public sealed class ExecutionProviderSelectorTests
{
    private static readonly string[] CpuOnly = ["CPUExecutionProvider"];
    private static readonly string[] WithCuda = ["CUDAExecutionProvider", "CPUExecutionProvider"];

    [Fact]
    public void Select_AutoWithCuda_UsesCuda()
    {
        var choice = ExecutionProviderSelector.Select(DeviceOption.Auto, WithCuda);

        Assert.True(choice.UseCuda);
        Assert.Equal("cuda", choice.Device);
        Assert.Null(choice.Error);
    }

    [Fact]
    public void Select_AutoWithoutCuda_FallsBackToCpuWithANote()
    {
        var choice = ExecutionProviderSelector.Select(DeviceOption.Auto, CpuOnly);

        Assert.False(choice.UseCuda);
        Assert.Equal("cpu", choice.Device);
        Assert.Contains("CUDA is not available", choice.Note, StringComparison.Ordinal);
        Assert.Null(choice.Error);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Select_Cpu_NeverUsesCuda(bool cudaListed)
    {
        var choice = ExecutionProviderSelector.Select(DeviceOption.Cpu, cudaListed ? WithCuda : CpuOnly);

        Assert.False(choice.UseCuda);
        Assert.Null(choice.Note);
        Assert.Null(choice.Error);
    }

    [Fact]
    public void Select_CudaWithCuda_UsesCuda()
    {
        var choice = ExecutionProviderSelector.Select(DeviceOption.Cuda, WithCuda);

        Assert.True(choice.UseCuda);
        Assert.Null(choice.Error);
    }

    [Fact]
    public void Select_CudaWithoutCuda_FailsWithWhatToDo()
    {
        var choice = ExecutionProviderSelector.Select(DeviceOption.Cuda, CpuOnly);

        Assert.Contains("-p:OnnxRuntimeFlavor=Gpu", choice.Error, StringComparison.Ordinal);
        Assert.Contains("CPUExecutionProvider", choice.Error, StringComparison.Ordinal);
    }
}
