using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelWorker.Inference;

/// <summary>
/// The model's one input and one output as read from the file. The worker serves any model with one float
/// input [batch, features] and one float output [batch, classes], the batch axis dynamic.
/// </summary>
public sealed record ModelSignature(string InputName, int FeatureCount, string OutputName, int ClassCount)
{
    public static ModelSignature Read(InferenceSession session, string path)
    {
        ArgumentNullException.ThrowIfNull(session);
        var (inputName, features) = Single(session.InputMetadata, "input", "features", path);
        var (outputName, classes) = Single(session.OutputMetadata, "output", "classes", path);
        return new ModelSignature(inputName, features, outputName, classes);
    }

    private static (string Name, int Width) Single(IReadOnlyDictionary<string, NodeMetadata> nodes, string kind, string width, string path)
    {
        if (nodes.Count != 1)
        {
            throw new InvalidDataException(
                $"model {path} has {nodes.Count} {kind}s ({string.Join(", ", nodes.Keys)}); the worker serves models with one float {kind} [batch, {width}]");
        }

        var (name, meta) = nodes.First();
        var dims = meta.Dimensions;
        if (!meta.IsTensor || meta.ElementDataType != TensorElementType.Float || dims.Length != 2 || dims[1] <= 0)
        {
            throw new InvalidDataException(
                $"model {path}: {kind} '{name}' is {meta.ElementDataType} [{string.Join(", ", dims)}]; the worker needs float [batch, {width}] with a fixed {width} count");
        }

        if (dims[0] > 0)
        {
            throw new InvalidDataException(
                $"model {path}: {kind} '{name}' has a fixed batch size {dims[0]}; export it with a dynamic batch axis (e.g. dynamic_axes={{'{name}': {{0: 'batch'}}}})");
        }

        return (name, dims[1]);
    }
}
