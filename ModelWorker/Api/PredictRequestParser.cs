using System.Buffers;
using System.Text;
using System.Text.Json;

namespace ModelWorker.Api;

/// <summary>
/// Reads a /predict body. Bodies of the usual shape take <see cref="PredictBodyFastPath"/>; everything else goes
/// through Utf8JsonReader so that every rejection can say exactly what to fix (which feature is not a number,
/// how many were expected) instead of a serializer's generic message. Unknown fields are ignored, as pydantic
/// does for the seeds' FastAPI service. The features go straight into a buffer the caller owns (the endpoint
/// rents it from a pool), so a valid body costs no allocation but its request_id.
/// </summary>
public static class PredictRequestParser
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 16 };

    /// <summary>
    /// Reads a body whose row must have exactly <c>features.Length</c> numbers into <paramref name="features"/>.
    /// False with <paramref name="error"/> set to a message for the client when the body is not valid.
    /// </summary>
    public static bool TryParse(ReadOnlySequence<byte> body, Span<float> features, out string? requestId, out string? error)
    {
        if (body.IsSingleSegment)
        {
            return TryParse(body.FirstSpan, features, out requestId, out error);
        }

        // A body that straddles the server's buffers is copied once: both readers then work on one span.
        var copy = ArrayPool<byte>.Shared.Rent(checked((int)body.Length));
        try
        {
            body.CopyTo(copy);
            return TryParse(copy.AsSpan(0, (int)body.Length), features, out requestId, out error);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <inheritdoc cref="TryParse(ReadOnlySequence{byte}, Span{float}, out string?, out string?)"/>
    public static bool TryParse(ReadOnlySpan<byte> body, Span<float> features, out string? requestId, out string? error)
    {
        error = null;
        if (PredictBodyFastPath.TryRead(body, features, out requestId))
        {
            return true;
        }

        var reader = new Utf8JsonReader(body, ReaderOptions);
        long consumed = 0;
        requestId = null;
        try
        {
            return ParseObject(ref reader, ref consumed, features, ref requestId, out error);
        }
        catch (JsonException ex)
        {
            requestId = null;
            error = NonFiniteLiteral(body, consumed)
                ? "features must be finite numbers: NaN and Infinity are not valid JSON and are not accepted"
                : $"the body is not valid JSON ({ex.Message}); send {{\"features\": [{features.Length} numbers]}}";
            return false;
        }
    }

    private static bool ParseObject(ref Utf8JsonReader reader, ref long consumed, Span<float> features, ref string? requestId, out string? error)
    {
        var featureCount = features.Length;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            error = $"the body must be a JSON object like {{\"features\": [{featureCount} numbers], \"request_id\": \"optional\"}}";
            return false;
        }

        var hasFeatures = false;
        while (true)
        {
            consumed = reader.BytesConsumed;
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            // ValueTextEquals compares the (unescaped) name without allocating it as a string.
            var isFeatures = reader.ValueTextEquals("features"u8);
            var isRequestId = !isFeatures && reader.ValueTextEquals("request_id"u8);
            consumed = reader.BytesConsumed;
            reader.Read();
            if (isFeatures)
            {
                if (!ReadFeatures(ref reader, ref consumed, features, out error))
                {
                    return false;
                }

                hasFeatures = true;
            }
            else if (isRequestId)
            {
                if (!TryReadRequestId(ref reader, out requestId, out error))
                {
                    return false;
                }
            }
            else
            {
                reader.Skip();
            }
        }

        consumed = reader.BytesConsumed;
        if (reader.Read())
        {
            error = "the body has content after its JSON object; send exactly one object";
            return false;
        }

        if (!hasFeatures)
        {
            error = $"missing required field 'features': send {{\"features\": [{featureCount} numbers]}}";
            return false;
        }

        error = null;
        return true;
    }

    private static bool ReadFeatures(ref Utf8JsonReader reader, ref long consumed, Span<float> features, out string? error)
    {
        var featureCount = features.Length;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            error = $"'features' must be an array of {featureCount} numbers, got {Describe(reader.TokenType)}";
            return false;
        }

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
                return false;
            }

            // Parse as double: a float overflow (1e39) must be an error, not a silent Infinity. Plain decimals
            // take an exact fast path that gives the same double.
            if (reader.HasValueSequence || !JsonNumber.TryParsePlainDecimal(reader.ValueSpan, out var value))
            {
                if (!reader.TryGetDouble(out value) || !double.IsFinite(value) || Math.Abs(value) > float.MaxValue)
                {
                    error = $"features[{count}] is out of the float range; send finite numbers within ±3.4e38";
                    return false;
                }
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
            return false;
        }

        error = null;
        return true;
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
    private static bool NonFiniteLiteral(ReadOnlySpan<byte> body, long consumed)
    {
        var rest = body[(int)Math.Min(consumed, body.Length)..];
        var head = Encoding.UTF8.GetString(rest[..Math.Min(rest.Length, 32)]).TrimStart(' ', '\t', '\r', '\n', ',', ':', '[');
        return head.StartsWith("NaN", StringComparison.Ordinal) || head.StartsWith("Infinity", StringComparison.Ordinal)
            || head.StartsWith("-Infinity", StringComparison.Ordinal);
    }
}
