using System.Net.Http;
using System.Text;
using CsCheck;
using Gateway.Tests.Upstream;
using Gateway.Upstream;

namespace Gateway.Tests.Fuzzing;

/// <summary>
/// The lean upstream client's response parsing: <see cref="ResponseHeadParser"/> on mutated heads throws nothing but
/// HttpRequestException (InvalidResponse), and a chunked body (<c>ChunkedBodyStream</c>) read from a real socket either
/// comes out whole (printed chunks parse back to the same bytes) or fails with HttpRequestException or IOException.
/// </summary>
public class ResponseParserFuzzTests
{
    private static readonly string[] s_heads =
    [
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\nX-Queue-Depth: 3\r\n\r\n",
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.0 204 No Content\r\nKeep-Alive: timeout=5\r\nX-Folded: one\r\n two\r\n\r\n",
        "HTTP/1.1 100 Continue\n\n",
        "HTTP/1.1 302 Found\r\nLocation: /x\r\nSet-Cookie: a=b\r\nSet-Cookie: c=d\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
    ];

    [Fact]
    public void Parse_MutatedHeads_OnlyInvalidResponse()
    {
        Mutations.Of(s_heads).Sample(text =>
        {
            var bytes = Encoding.Latin1.GetBytes(text);
            var end = ResponseHeadParser.FindEnd(bytes);
            Assert.True(end is -1 or > 0 && end <= bytes.Length);
            if (end < 0)
            {
                bytes = [.. bytes, .. "\r\n\r\n"u8]; // the client parses only a complete head
                end = ResponseHeadParser.FindEnd(bytes);
            }

            using var response = new HttpResponseMessage();
            using var content = new ByteArrayContent([]);
            try
            {
                ResponseHeadParser.Parse(bytes.AsSpan(0, end), response, content, new HeaderValueCache());
            }
            catch (HttpRequestException ex)
            {
                Assert.Equal(HttpRequestError.InvalidResponse, ex.HttpRequestError);
            }
        }, iter: FuzzBudget.Iterations * 3, time: FuzzBudget.Seconds, threads: 1);
    }

    /// <summary>Found by the fuzzer: a bare CR or NUL in the reason phrase escaped as FormatException from HttpResponseMessage.</summary>
    [Theory]
    [InlineData("HTTP/1.1 200 OK\rHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 O\0K\r\n\r\n")]
    public void Regression_ReasonWithCrOrNul_IsInvalidResponse(string head)
    {
        using var response = new HttpResponseMessage();
        using var content = new ByteArrayContent([]);
        var error = Assert.Throws<HttpRequestException>(() =>
            ResponseHeadParser.Parse(Encoding.Latin1.GetBytes(head), response, content, new HeaderValueCache()));
        Assert.Equal(HttpRequestError.InvalidResponse, error.HttpRequestError);
    }

    private static volatile byte[] s_reply = [];

    private static readonly Gen<byte[][]> Chunks = Gen.Byte.Array[1, 40].Array[0, 5];

    /// <summary>A chunked body as a server writes it, then optionally broken by one mutation of its bytes.</summary>
    private static readonly Gen<(byte[][] Chunks, bool Mutated, string Wire)> ChunkedBodies =
        Gen.Select(Chunks, Gen.Int[0, 2], Gen.Int[0, 1], Gen.Int[0, 3]).SelectMany((chunks, ext, upper, mutate) =>
        {
            var wire = new StringBuilder();
            foreach (var chunk in chunks)
            {
                wire.Append(chunk.Length.ToString(upper == 1 ? "X" : "x", System.Globalization.CultureInfo.InvariantCulture))
                    .Append(ext == 1 ? ";name=value" : "").Append("\r\n").Append(Encoding.Latin1.GetString(chunk)).Append("\r\n");
            }

            wire.Append(ext == 2 ? "0\r\nX-Trailer: t\r\n\r\n" : "0\r\n\r\n");
            var printed = wire.ToString();
            return mutate == 0
                ? Mutations.Of([printed]).Select(m => (chunks, m != printed, m))
                : Gen.Const((chunks, false, printed));
        });

    [Fact]
    public async Task ChunkedBody_PrintedOrMutated_WholeOrHttpError()
    {
        await using var backend = RawBackend.Start(_ => new RawReply(s_reply, Close: true));
        using var pools = new LeanConnectionPools();
        using var client = new HttpMessageInvoker(new LeanHttpHandler(pools) { InnerHandler = new SocketsHttpHandler { UseProxy = false } });
        await ChunkedBodies.SampleAsync(async sample =>
        {
            var (chunks, mutated, wire) = sample;
            s_reply = Encoding.Latin1.GetBytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + wire);
            try
            {
                using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, backend.Url + "/c"), CancellationToken.None);
                var body = await response.Content.ReadAsByteArrayAsync();
                if (!mutated)
                {
                    Assert.Equal(chunks.SelectMany(c => c).ToArray(), body);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException && mutated)
            {
                // a broken body fails as the client documents it
            }
        }, iter: Math.Min(FuzzBudget.Iterations, 300), time: FuzzBudget.Seconds, threads: 1);
    }
}
