using Microsoft.ML.OnnxRuntime;
using ModelWorker.Batching;

namespace ModelWorker.Inference;

/// <summary>
/// An ONNX Runtime session behind <see cref="IBatchModel"/>. Run wraps the batcher's reused buffers as tensors
/// (no copy: OrtValue pins the memory) and has ONNX Runtime write the output in place. Only the batch loop
/// calls Run, so the session is never used concurrently.
/// </summary>
public sealed class OnnxBatchModel : IBatchModel, IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly OrtValue[] _inputs = new OrtValue[1];
    private readonly OrtValue[] _outputs = new OrtValue[1];

    public OnnxBatchModel(InferenceSession session, ModelSignature signature, string device)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(signature);
        _session = session;
        Signature = signature;
        Device = device;
        _inputNames = [signature.InputName];
        _outputNames = [signature.OutputName];
        OutputIsLogits = !ProbeOutputIsProbabilities();
    }

    public ModelSignature Signature { get; }

    public int FeatureCount => Signature.FeatureCount;

    public int ClassCount => Signature.ClassCount;

    public string Device { get; }

    /// <summary>True when the model outputs logits and the worker applies softmax itself.</summary>
    public bool OutputIsLogits { get; }

    public void Run(Memory<float> input, Memory<float> output, int batchSize)
    {
        RunRaw(input, output, batchSize);
        if (OutputIsLogits)
        {
            for (var i = 0; i < batchSize; i++)
            {
                Softmax.InPlace(output.Span.Slice(i * ClassCount, ClassCount));
            }
        }
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }

    private void RunRaw(Memory<float> input, Memory<float> output, int batchSize)
    {
        using var inputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input[..(batchSize * FeatureCount)], [batchSize, FeatureCount]);
        using var outputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, output[..(batchSize * ClassCount)], [batchSize, ClassCount]);
        _inputs[0] = inputValue;
        _outputs[0] = outputValue;
        _session.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputs);
    }

    // The file does not say whether the output is probabilities or logits, so run a few fixed rows once at
    // load (this also warms the session up) and look: only a softmax output sums to 1 on every row.
    private bool ProbeOutputIsProbabilities()
    {
        const int rows = 4;
        var input = new float[rows * FeatureCount];
        var random = new Random(12345);
        for (var i = FeatureCount; i < input.Length; i++)
        {
            input[i] = (float)(random.NextDouble() * 4 - 2) * (i / FeatureCount);
        }

        var output = new float[rows * ClassCount];
        RunRaw(input, output, rows);
        for (var r = 0; r < rows; r++)
        {
            if (!Softmax.LooksLikeProbabilities(output.AsSpan(r * ClassCount, ClassCount)))
            {
                return false;
            }
        }

        return true;
    }
}
