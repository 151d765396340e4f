using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using OrtSessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace ModelWorker.Inference;

/// <summary>Opens a model file on the chosen execution provider and checks its signature.</summary>
public static class OnnxModelLoader
{
    public static OnnxBatchModel Load(string path, DeviceOption device, int intraOpThreads, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"model file {path} does not exist; pass --model PATH to an .onnx file", path);
        }

        var choice = ExecutionProviderSelector.Select(device, OrtEnv.Instance().GetAvailableProviders());
        if (choice.Error is not null)
        {
            throw new InvalidOperationException(choice.Error);
        }

        if (choice.Note is not null)
        {
            InferenceLog.FellBackToCpu(logger, choice.Note);
        }

        var options = CreateOptions(intraOpThreads);
        var useCuda = choice.UseCuda && TryAppendCuda(options, device, logger);
        if (choice.UseCuda && !useCuda)
        {
            options.Dispose();
            options = CreateOptions(intraOpThreads); // a failed append may leave the options half-configured
        }

        try
        {
            var session = new InferenceSession(path, options);
            var signature = ModelSignature.Read(session, path);
            return new OnnxBatchModel(session, signature, useCuda ? Devices.Cuda : Devices.Cpu);
        }
        finally
        {
            options.Dispose();
        }
    }

    private static OrtSessionOptions CreateOptions(int intraOpThreads)
    {
        var options = new OrtSessionOptions
        {
            // Explicit: ONNX Runtime's default thread count was slower on this 2-core machine.
            IntraOpNumThreads = intraOpThreads,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };

        // ORT's pool threads spin between Runs by default; in a server they would burn the cores Kestrel
        // needs to parse the next requests.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return options;
    }

    // The provider list can name CUDA while the host lacks libcudart or cuDNN; appending is where that shows.
    private static bool TryAppendCuda(OrtSessionOptions options, DeviceOption device, ILogger logger)
    {
        try
        {
            options.AppendExecutionProvider_CUDA(0);
            return true;
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or OnnxRuntimeException or DllNotFoundException)
        {
            if (device == DeviceOption.Cuda)
            {
                throw new InvalidOperationException(ExecutionProviderSelector.CudaMissing(ex.Message), ex);
            }

            InferenceLog.FellBackToCpu(logger, $"--device auto: appending CUDA failed ({ex.Message}); running on CPU");
            return false;
        }
    }
}
