using System.Globalization;
using System.Text;
using System.Text.Json;
using CsCheck;
using ModelWorker.Api;

namespace Gateway.Tests.Fuzzing;

/// <summary>
/// The worker's /predict body parsers: the general one never throws (false with a message instead); the fast path
/// accepts only what means the same through System.Text.Json; printed rows parse back to the same floats.
/// </summary>
public class PredictParserFuzzTests
{
    private const int Width = 4;

    private static readonly string[] s_seeds =
    [
        """{"features":[5.1,3.5,1.4,0.2]}""",
        """{"features": [5.1, 3.5, 1.4, 0.2], "request_id": "abc-1"}""",
        """{"request_id":null,"features":[-1e3,0,1E-2,7]}""",
        """{ "features" : [ 1 , 2 , 3 , 4 ] , "extra": {"nested": [1, {"a": "b"}]} }""",
        """{"features":[[1,2,3,4]]}""",
        """{"instances":[[1,2,3,4]]}""",
    ];

    [Fact]
    public void TryParse_MutatedBodies_NeverThrowsAndExplainsEveryRejection()
    {
        Mutations.Of(s_seeds).Sample(text =>
        {
            Span<float> features = stackalloc float[Width];
            var ok = PredictRequestParser.TryParse(Encoding.UTF8.GetBytes(text), features, out _, out var error);
            Assert.True(ok || !string.IsNullOrWhiteSpace(error), "rejected without a message");
        }, iter: FuzzBudget.Iterations, time: FuzzBudget.Seconds, threads: 1);
    }

    [Fact]
    public void FastPath_WhatItAccepts_MeansTheSameThroughSystemTextJson()
    {
        Mutations.Of(s_seeds).Sample(text =>
        {
            var body = Encoding.UTF8.GetBytes(text);
            var fast = new float[Width];
            if (!PredictBodyFastPath.TryRead(body, fast, out var requestId))
            {
                return;
            }

            using var doc = JsonDocument.Parse(body);
            var expected = doc.RootElement.GetProperty("features").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.Equal(expected, fast);
            var id = doc.RootElement.TryGetProperty("request_id", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            Assert.Equal(id, requestId);
        }, iter: FuzzBudget.Iterations, time: FuzzBudget.Seconds, threads: 1);
    }

    [Fact]
    public void TryParse_PrintedRow_RoundTrips()
    {
        Gen.Select(Gen.Float[-1e6f, 1e6f].Array[Width], Gen.Int[0, 3], Gen.String[Gen.Char["abcXYZ-_09"], 0, 12]).Sample((row, style, id) =>
        {
            var numbers = string.Join(style == 1 ? " , " : ",", row.Select(f => f.ToString(style == 2 ? "E9" : "R", CultureInfo.InvariantCulture)));
            var text = style == 3
                ? $"{{ \"request_id\" : \"{id}\" , \"features\" : [ {numbers} ] }}"
                : $"{{\"features\":[{numbers}],\"request_id\":\"{id}\"}}";
            var features = new float[Width];
            Assert.True(PredictRequestParser.TryParse(Encoding.UTF8.GetBytes(text), features, out var requestId, out var error), error);
            Assert.Equal(row.Select(f => float.Parse(f.ToString(style == 2 ? "E9" : "R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)), features);
            Assert.Equal(id, requestId);
        }, iter: FuzzBudget.Iterations, time: FuzzBudget.Seconds, threads: 1);
    }
}
