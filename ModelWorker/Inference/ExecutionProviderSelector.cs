namespace ModelWorker.Inference;

/// <summary>
/// The pure half of the execution-provider choice: from --device and the providers this ONNX Runtime build
/// reports (OrtEnv.GetAvailableProviders), decide CUDA or CPU. The CPU package lists only
/// CPUExecutionProvider, and calling AppendExecutionProvider_CUDA on it throws EntryPointNotFoundException,
/// so the list is checked first.
/// </summary>
public static class ExecutionProviderSelector
{
    public const string CudaProvider = "CUDAExecutionProvider";

    public static ProviderChoice Select(DeviceOption device, IReadOnlyCollection<string> availableProviders)
    {
        ArgumentNullException.ThrowIfNull(availableProviders);
        var hasCuda = availableProviders.Contains(CudaProvider, StringComparer.Ordinal);
        var listed = string.Join(", ", availableProviders);
        return device switch
        {
            DeviceOption.Cpu => new ProviderChoice(false, null, null),
            DeviceOption.Cuda when hasCuda => new ProviderChoice(true, null, null),
            DeviceOption.Cuda => new ProviderChoice(false, null, CudaMissing(listed)),
            _ when hasCuda => new ProviderChoice(true, null, null),
            _ => new ProviderChoice(false, $"--device auto: CUDA is not available (ONNX Runtime providers: {listed}); running on CPU", null),
        };
    }

    public static string CudaMissing(string reason) =>
        $"--device cuda: the CUDA execution provider is not available ({reason}). Build the worker with " +
        "-p:OnnxRuntimeFlavor=Gpu (Microsoft.ML.OnnxRuntime.Gpu) on a host with CUDA 12 and cuDNN 9, " +
        "or start it with --device auto or --device cpu.";
}
