using System.Text;
using Gateway.Upstream;

namespace Gateway.Tests.Upstream;

/// <summary>
/// The lean handler and SocketsHttpHandler side by side, so a test states what SocketsHttpHandler does and checks that
/// the lean one does the same: status, headers, body and trailers, or the exception's type and HttpRequestError.
/// </summary>
public sealed class HandlerPair : IDisposable
{
    private readonly LeanConnectionPools _pools = new();

    public HandlerPair()
    {
        Lean = new HttpMessageInvoker(new LeanHttpHandler(_pools) { InnerHandler = new SocketsHttpHandler { UseProxy = false } });
        Sockets = new HttpMessageInvoker(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false });
    }

    public HttpMessageInvoker Lean { get; }

    public HttpMessageInvoker Sockets { get; }

    internal LeanConnectionPools Pools => _pools;

    /// <summary>What a request came to, as text: "200 OK | headers | body | trailers" or the exception chain.</summary>
    public static async Task<string> OutcomeAsync(HttpMessageInvoker client, HttpRequestMessage request)
    {
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, CancellationToken.None);
        }
        catch (Exception e)
        {
            return "send: " + Describe(e);
        }

        using (response)
        {
            var head = $"{(int)response.StatusCode} {response.ReasonPhrase} HTTP/{response.Version} | {Headers(response.Headers)} | {Headers(response.Content.Headers)}";
            try
            {
                using var body = new MemoryStream();
                await (await response.Content.ReadAsStreamAsync()).CopyToAsync(body);
                return $"{head} | body '{Encoding.Latin1.GetString(body.ToArray())}' | trailers {Headers(response.TrailingHeaders)}";
            }
            catch (Exception e)
            {
                return $"{head} | body: {Describe(e)}";
            }
        }
    }

    private static string Headers(System.Net.Http.Headers.HttpHeaders headers) =>
        string.Join("; ", headers.NonValidated.OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase).Select(h => $"{h.Key}={string.Join(",", h.Value)}"));

    private static string Describe(Exception e)
    {
        var parts = new List<string>();
        for (var x = e; x is not null; x = x.InnerException)
        {
            var error = x switch
            {
                HttpRequestException r => $"[{r.HttpRequestError}]",
                HttpIOException io => $"[{io.HttpRequestError}]",
                _ => "",
            };
            parts.Add(x.GetType().Name + error);
        }

        return string.Join(" <- ", parts);
    }

    public void Dispose()
    {
        Lean.Dispose();
        Sockets.Dispose();
        _pools.Dispose();
    }
}
