using System.Buffers;
using System.Text;
using System.Text.Json;

namespace ModelWorker.Api;

/// <summary>
/// Reads a /predict body with Utf8JsonReader so that every rejection can say exactly what to fix (which
/// feature is not a number, how many were expected) instead of a serializer's generic message. Unknown
/// fields are ignored, as pydantic does for the seeds' FastAPI service.
/// </summary>
public static class PredictRequestParser
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 16 };

    /// <summary>Returns the request, or null with <paramref name="error"/> set to a message for the client.</summary>
    public static PredictRequest? Parse(ReadOnlySequence<byte> body, int featureCount, out string? error)
    {
        var reader = new Utf8JsonReader(body, ReaderOptions);
        long consumed = 0;
        try
        {
            return ParseObject(ref reader, ref consumed, featureCount, out error);
        }
        catch (JsonException ex)
        {
            error = NonFiniteLiteral(body, consumed)
                ? "features must be finite numbers: NaN and Infinity are not valid JSON and are not accepted"
                : $"the body is not valid JSON ({ex.Message}); send {{\"features\": [{featureCount} numbers]}}";
            return null;
        }
    }

    private static PredictRequest? ParseObject(ref Utf8JsonReader reader, ref long consumed, int featureCount, out string? error)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            error = $"the body must be a JSON object like {{\"features\": [{featureCount} numbers], \"request_id\": \"optional\"}}";
            return null;
        }

        float[]? features = null;
        string? requestId = null;
        while (true)
        {
            consumed = reader.BytesConsumed;
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            var name = reader.GetString();
            consumed = reader.BytesConsumed;
            reader.Read();
            switch (name)
            {
                case "features":
                    features = ReadFeatures(ref reader, ref consumed, featureCount, out error);
                    if (features is null)
                    {
                        return null;
                    }

                    break;
                case "request_id":
                    if (!TryReadRequestId(ref reader, out requestId, out error))
                    {
                        return null;
                    }

                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        consumed = reader.BytesConsumed;
        if (reader.Read())
        {
            error = "the body has content after its JSON object; send exactly one object";
            return null;
        }

        if (features is null)
        {
            error = $"missing required field 'features': send {{\"features\": [{featureCount} numbers]}}";
            return null;
        }

        error = null;
        return new PredictRequest(features, requestId);
    }

    private static float[]? ReadFeatures(ref Utf8JsonReader reader, ref long consumed, int featureCount, out string? error)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            error = $"'features' must be an array of {featureCount} numbers, got {Describe(reader.TokenType)}";
            return null;
        }

        var features = new float[featureCount];
        var count = 0;
        while (true)
        {
            consumed = reader.BytesConsumed;
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                break;
            }

            if (reader.TokenType != JsonTokenType.Number)
            {
                error = $"features[{count}] must be a number, got {Describe(reader.TokenType)}" +
                    (reader.TokenType == JsonTokenType.String ? " (NaN and Infinity are not accepted either)" : "");
                return null;
            }

            // Parse as double: a float overflow (1e39) must be an error, not a silent Infinity.
            if (!reader.TryGetDouble(out var value) || !double.IsFinite(value) || Math.Abs(value) > float.MaxValue)
            {
                error = $"features[{count}] is out of the float range; send finite numbers within ±3.4e38";
                return null;
            }

            if (count < featureCount)
            {
                features[count] = (float)value;
            }

            count++;
        }

        if (count != featureCount)
        {
            error = $"expected {featureCount} features, got {count}";
            return null;
        }

        error = null;
        return features;
    }

    private static bool TryReadRequestId(ref Utf8JsonReader reader, out string? requestId, out string? error)
    {
        requestId = null;
        error = null;
        if (reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            error = $"'request_id' must be a string, got {Describe(reader.TokenType)}";
            return false;
        }

        requestId = reader.GetString();
        if (requestId!.Length > Limits.MaxRequestIdLength)
        {
            error = $"'request_id' is {requestId.Length} characters long; at most {Limits.MaxRequestIdLength} are allowed";
            requestId = null;
            return false;
        }

        return true;
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => token.ToString(),
    };

    // Python's json.dumps writes NaN/Infinity as bare literals; name them rather than "invalid JSON".
    private static bool NonFiniteLiteral(ReadOnlySequence<byte> body, long consumed)
    {
        var rest = body.Slice(Math.Min(consumed, body.Length));
        var head = Encoding.UTF8.GetString(rest.Slice(0, Math.Min(rest.Length, 32)).ToArray()).TrimStart(' ', '\t', '\r', '\n', ',', ':', '[');
        return head.StartsWith("NaN", StringComparison.Ordinal) || head.StartsWith("Infinity", StringComparison.Ordinal)
            || head.StartsWith("-Infinity", StringComparison.Ordinal);
    }
}
