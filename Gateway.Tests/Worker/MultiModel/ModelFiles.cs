using Microsoft.ML.OnnxRuntime;

namespace Gateway.Tests.Worker.MultiModel;

/// <summary>
/// The bundled models (ModelWorker/models, made by generate_models.py) laid out as Triton model repositories in a temp
/// folder, and each model run alone through its own ONNX Runtime session to know what the worker must answer.
/// </summary>
internal static class ModelFiles
{
    public static string Small => Path.Combine(AppContext.BaseDirectory, "models", "classifier-small.onnx");

    /// <summary>8 features -> 5 classes, softmax in the graph.</summary>
    public static string Tiny => Path.Combine(AppContext.BaseDirectory, "models", "scorer-tiny.onnx");

    public static string Heavy => Path.Combine(AppContext.BaseDirectory, "models", "classifier-heavy.onnx");

    /// <summary>A repository folder: each (name, version, file) copied to name/version/model.onnx. Delete it when done.</summary>
    public static string Repository(params (string Name, int Version, string File)[] models)
    {
        var root = Directory.CreateTempSubdirectory("lbproxy-models-").FullName;
        foreach (var (name, version, file) in models)
        {
            var dir = Path.Combine(root, name, version.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Directory.CreateDirectory(dir);
            File.Copy(file, Path.Combine(dir, "model.onnx"));
        }

        return root;
    }

    /// <summary>The model's answer for one row, softmax applied when the model gives logits (as the worker does).</summary>
    public static float[] RunAlone(string file, float[] row)
    {
        using var session = new InferenceSession(file);
        var input = session.InputMetadata.Keys.Single();
        using var value = OrtValue.CreateTensorValueFromMemory(row, [1, row.Length]);
        using var results = session.Run(new RunOptions(), [input], [value], session.OutputNames);
        var output = results[0].GetTensorDataAsSpan<float>().ToArray();
        if (Math.Abs(output.Sum() - 1f) > 1e-3f || output.Any(p => p < 0))
        {
            var max = output.Max();
            var exp = output.Select(v => MathF.Exp(v - max)).ToArray();
            var sum = exp.Sum();
            output = [.. exp.Select(e => e / sum)];
        }

        return output;
    }

    public static void AssertClose(float[] expected, IEnumerable<float> actual)
    {
        var got = actual.ToArray();
        Assert.Equal(expected.Length, got.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.InRange(got[i], expected[i] - 1e-5f, expected[i] + 1e-5f);
        }
    }
}
