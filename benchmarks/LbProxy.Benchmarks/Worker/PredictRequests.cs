using System.Globalization;
using System.Text;
using Benchmarks.Load;

namespace Benchmarks.Worker;

/// <summary>
/// /predict requests from a few pre-serialized bodies (fixed seed: the same rows every run). Building one costs
/// a message and a content wrapper over bytes that already exist: no JSON, no strings, no header parsing.
/// </summary>
public sealed class PredictRequests
{
    private static readonly Uri Predict = new("/predict", UriKind.Relative);
    private readonly ReadOnlyMemory<byte>[] _bodies;

    public PredictRequests(int count, int features)
    {
        var random = new Random(42);
        _bodies = Enumerable.Range(0, count).Select(_ => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(
            "{\"features\":[" + string.Join(",", Enumerable.Range(0, features)
                .Select(_ => (random.NextDouble() * 2 - 1).ToString("0.####", CultureInfo.InvariantCulture))) + "]}")).ToArray();
    }

    /// <summary>Sends request i through the raw client (its bytes, head included, are built once per body).</summary>
    public Func<long, CancellationToken, Task<bool>> Sender(RawHttpClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        var requests = _bodies.Select(b => (ReadOnlyMemory<byte>)client.Post(Predict.OriginalString, "application/json", b.Span)).ToArray();
        return (i, ct) => client.SendAsync(requests[i % requests.Length], ct);
    }

    /// <summary>Sends request i through the HttpClient.</summary>
    public Func<long, CancellationToken, Task<bool>> Sender(HttpClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return async (i, ct) =>
        {
            using var message = Create(i);
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead, ct);
            return response.IsSuccessStatusCode;
        };
    }

    public HttpRequestMessage Create(long i)
    {
        var content = new ReadOnlyMemoryContent(_bodies[i % _bodies.Length]);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        return new HttpRequestMessage(HttpMethod.Post, Predict) { Content = content };
    }
}
