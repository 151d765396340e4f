using System.Globalization;
using System.Text;
using System.Text.Json;
using ModelWorker.Api;

namespace Gateway.Tests.Worker;

public sealed class PredictBodyFastPathTests
{
    [Theory]
    [InlineData("{\"features\":[1,-2.5,0.125,3]}", null)]
    [InlineData(" {\r\n \"features\" : [ 1 , -2.5 ,0.125, 3 ] ,\t\"request_id\" : \"r-1\" } \n", "r-1")]
    [InlineData("{\"request_id\":\"abc def\",\"features\":[1,-2.5,0.125,3]}", "abc def")]
    [InlineData("{\"features\":[1,-2.5,0.125,3],\"request_id\":null}", null)]
    public void TryRead_UsualShape_ReadsTheRowAndRequestId(string body, string? expectedId)
    {
        var features = new float[4];

        Assert.True(PredictBodyFastPath.TryRead(Encoding.UTF8.GetBytes(body), features, out var requestId));

        Assert.Equal([1f, -2.5f, 0.125f, 3f], features);
        Assert.Equal(expectedId, requestId);
    }

    [Theory]
    [InlineData("{\"features\":[1,2,3,4],\"extra\":1}")] // unknown field: ignored, by the general reader
    [InlineData("{\"features\":[1,2,3,4e0]}")] // exponent
    [InlineData("{\"features\":[1,2,3,4],\"request_id\":\"a\\u0062\"}")] // escape
    [InlineData("{\"features\":[1,2,3,4],\"request_id\":\"é\"}")] // non-ASCII
    [InlineData("{\"features\":[1,2,3],\"features\":[1,2,3,4]}")] // duplicate: the general reader's last-wins
    [InlineData("{\"features\":[1,2,3]}")]
    [InlineData("{\"features\":[1,2,3,4,5]}")]
    [InlineData("{\"features\":[1,2,3,04]}")]
    [InlineData("{\"features\":[1,2,3,4.]}")]
    [InlineData("{\"features\":[1,2,3,.4]}")]
    [InlineData("{\"features\":[1,2,3,-]}")]
    [InlineData("{\"features\":[1,2,3,4],}")]
    [InlineData("{\"features\":[1,2,3,4]} x")]
    [InlineData("{\"features\":[1,2,3,4]")]
    [InlineData("{\"request_id\":\"a\"}")]
    [InlineData("")]
    public void TryRead_AnythingElse_LeavesItToTheGeneralReader(string body)
    {
        Assert.False(PredictBodyFastPath.TryRead(Encoding.UTF8.GetBytes(body), new float[4], out _));
    }

    [Fact]
    public void TryRead_OverLongRequestId_LeavesItToTheGeneralReader()
    {
        var body = $"{{\"features\":[1,2,3,4],\"request_id\":\"{new string('x', Limits.MaxRequestIdLength + 1)}\"}}";

        Assert.False(PredictBodyFastPath.TryRead(Encoding.UTF8.GetBytes(body), new float[4], out _));
    }

    // Soundness: whatever the fast path accepts, including thousands of randomly damaged bodies, is valid JSON
    // that System.Text.Json reads to the same floats and request_id (bit for bit).
    [Fact]
    public void TryRead_RandomAndDamagedBodies_AcceptsOnlyWhatJsonReadsTheSame()
    {
        var random = new Random(11);
        var accepted = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var body = Damage(RandomBody(random, 8), random);
            var features = new float[8];
            if (!PredictBodyFastPath.TryRead(body, features, out var requestId))
            {
                continue;
            }

            accepted++;
            var text = Encoding.UTF8.GetString(body);
            using var json = JsonDocument.Parse(body);
            var expected = json.RootElement.GetProperty("features").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
            Assert.True(expected.SequenceEqual(features), text);
            var hasId = json.RootElement.TryGetProperty("request_id", out var id);
            Assert.True(hasId ? id.GetString() == requestId : requestId is null, text);
        }

        Assert.InRange(accepted, 1000, 19_000);
    }

    [Fact]
    public void TryParse_BodySplitAcrossSegments_ReadsLikeOneSpan()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"features\":[1,-2.5,0.125,3],\"request_id\":\"r\"}");
        var first = new Segment(bytes.AsMemory(0, 20));
        var last = first.Append(bytes.AsMemory(20));
        var features = new float[4];

        Assert.True(PredictRequestParser.TryParse(new System.Buffers.ReadOnlySequence<byte>(first, 0, last, last.Memory.Length), features, out var requestId, out _));

        Assert.Equal([1f, -2.5f, 0.125f, 3f], features);
        Assert.Equal("r", requestId);
    }

    private static byte[] RandomBody(Random random, int count)
    {
        var numbers = Enumerable.Range(0, count).Select(_ => random.Next(4) switch
        {
            0 => random.Next(-1000, 1000).ToString(CultureInfo.InvariantCulture),
            1 => ((random.NextDouble() - 0.5) * 100).ToString("0.####", CultureInfo.InvariantCulture),
            2 => ((random.NextDouble() - 0.5) * 1e-3).ToString("0.#################", CultureInfo.InvariantCulture),
            _ => (random.NextDouble() - 0.5).ToString("R", CultureInfo.InvariantCulture),
        });
        var ws = random.Next(3) == 0 ? " " : "";
        var features = $"\"features\"{ws}:{ws}[{string.Join("," + ws, numbers)}]";
        var id = random.Next(3) switch { 0 => "", 1 => $",{ws}\"request_id\":{ws}\"id-{random.Next()}\"", _ => ",\"request_id\":null" };
        return Encoding.UTF8.GetBytes(random.Next(2) == 0 ? $"{{{features}{id}}}" : $"{{{id.TrimStart(',')}{(id.Length > 0 ? "," : "")}{features}}}");
    }

    // Half the bodies get one byte replaced, inserted or removed.
    private static byte[] Damage(byte[] body, Random random)
    {
        if (random.Next(2) == 0)
        {
            return body;
        }

        var list = body.ToList();
        var at = random.Next(list.Count);
        var b = (byte)"0123456789-.,:[]{}\"eE nul\\x"[random.Next(27)];
        switch (random.Next(3))
        {
            case 0: list[at] = b; break;
            case 1: list.Insert(at, b); break;
            default: list.RemoveAt(at); break;
        }

        return [.. list];
    }

    private sealed class Segment : System.Buffers.ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
