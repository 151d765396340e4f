using System.Text.Json;

namespace ModelWorker.KServe;

/// <summary>
/// Reads the Open Inference Protocol's JSON infer body: <c>{"id"?, "inputs": [{"name", "shape", "datatype", "data"}],
/// "outputs"?: [{"name"}]}</c>. <c>data</c> may be flat (row-major) or nested as the shape; FP32 data is read into
/// floats here, any other datatype is left for the model check to name. The binary data extension is not supported.
/// </summary>
public static class KServeJsonReader
{
    public static InferRequestData? Read(JsonElement root, string modelName, string? modelVersion, out string? error)
    {
        error = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "the body must be a JSON object like {\"inputs\": [{\"name\": ..., \"shape\": [1, N], \"datatype\": \"FP32\", \"data\": [...]}]}";
            return null;
        }

        if (!root.TryGetProperty("inputs", out var inputsJson) || inputsJson.ValueKind != JsonValueKind.Array || inputsJson.GetArrayLength() == 0)
        {
            error = "'inputs' must be a non-empty array of tensors ({\"name\", \"shape\", \"datatype\", \"data\"})";
            return null;
        }

        string? id = null;
        if (root.TryGetProperty("id", out var idJson))
        {
            if (idJson.ValueKind != JsonValueKind.String)
            {
                error = "'id' must be a string";
                return null;
            }

            id = idJson.GetString();
        }

        var inputs = new List<InferTensor>();
        var index = 0;
        foreach (var input in inputsJson.EnumerateArray())
        {
            var tensor = ReadInput(input, $"inputs[{index++}]", out error);
            if (tensor is null)
            {
                return null;
            }

            inputs.Add(tensor);
        }

        var outputs = new List<string>();
        if (root.TryGetProperty("outputs", out var outputsJson))
        {
            if (outputsJson.ValueKind != JsonValueKind.Array)
            {
                error = "'outputs' must be an array of {\"name\": ...}";
                return null;
            }

            foreach (var output in outputsJson.EnumerateArray())
            {
                if (output.ValueKind != JsonValueKind.Object || !output.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
                {
                    error = "each of 'outputs' must be an object with a string 'name'";
                    return null;
                }

                if (UsesBinaryData(output))
                {
                    error = "the binary tensor data extension is not supported; ask for outputs as JSON (drop 'binary_data')";
                    return null;
                }

                outputs.Add(name.GetString()!);
            }
        }

        return new InferRequestData(modelName, modelVersion, id, inputs, outputs);
    }

    private static InferTensor? ReadInput(JsonElement input, string path, out string? error)
    {
        error = null;
        if (input.ValueKind != JsonValueKind.Object)
        {
            error = $"{path} must be an object with name, shape, datatype and data";
            return null;
        }

        if (!TryString(input, "name", out var name) || !TryString(input, "datatype", out var datatype))
        {
            error = $"{path} needs a string 'name' and a string 'datatype'";
            return null;
        }

        if (!input.TryGetProperty("shape", out var shapeJson) || shapeJson.ValueKind != JsonValueKind.Array
            || shapeJson.EnumerateArray().Any(d => d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var n) || n < 0))
        {
            error = $"{path}.shape must be an array of non-negative integers";
            return null;
        }

        if (UsesBinaryData(input))
        {
            error = $"{path} uses the binary tensor data extension, which is not supported; send 'data' as JSON";
            return null;
        }

        if (!input.TryGetProperty("data", out var dataJson) || dataJson.ValueKind != JsonValueKind.Array)
        {
            error = $"{path}.data must be an array (flat, row-major, or nested as the shape)";
            return null;
        }

        var shape = shapeJson.EnumerateArray().Select(d => d.GetInt64()).ToArray();
        if (datatype != KServeInference.DatatypeFp32)
        {
            return new InferTensor(name, datatype, shape, null); // the model check names the datatype it needs
        }

        var data = new List<float>();
        return Flatten(dataJson, data, path + ".data", out error) ? new InferTensor(name, datatype, shape, [.. data]) : null;
    }

    private static bool Flatten(JsonElement array, List<float> data, string path, out string? error)
    {
        error = null;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Array)
            {
                if (!Flatten(item, data, path, out error))
                {
                    return false;
                }
            }
            else if (item.ValueKind != JsonValueKind.Number || !item.TryGetDouble(out var value) || !double.IsFinite(value) || Math.Abs(value) > float.MaxValue)
            {
                error = $"{path}[{data.Count}] must be a finite FP32 number, got {(item.ValueKind == JsonValueKind.Number ? item.GetRawText() : item.ValueKind.ToString().ToLowerInvariant())}";
                return false;
            }
            else
            {
                data.Add((float)value);
            }
        }

        return true;
    }

    private static bool TryString(JsonElement element, string name, out string value)
    {
        value = "";
        if (element.TryGetProperty(name, out var json) && json.ValueKind == JsonValueKind.String)
        {
            value = json.GetString()!;
            return true;
        }

        return false;
    }

    private static bool UsesBinaryData(JsonElement tensor) =>
        tensor.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object
        && (parameters.TryGetProperty("binary_data_size", out _) || (parameters.TryGetProperty("binary_data", out var binary) && binary.ValueKind == JsonValueKind.True));
}
