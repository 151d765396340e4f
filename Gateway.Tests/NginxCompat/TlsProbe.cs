using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Gateway.Tests.NginxCompat;

/// <summary>
/// One HTTPS request to a proxy's port with a chosen SNI name (none when <c>sni</c> is null), on a fresh connection,
/// reduced to what must match between nginx and the gateway: status, the HTTP version ALPN gave, the subject of the
/// certificate the proxy presented, chosen response headers, and the body or (for the echo backend) the headers the
/// backend received.
/// </summary>
public static class TlsProbe
{
    public static async Task<string> SendAsync(string caFile, int port, string? sni, string path, Version? version = null,
        IReadOnlyList<string>? responseHeaders = null, IReadOnlyList<string>? backendHeaders = null)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(caFile);
        string? presented = null;
        using var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.Zero,
            ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                // Which certificate was presented is what is compared (a default one may not carry the SNI name); its chain
                // must still lead to the test's CA.
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    if (certificate is null)
                    {
                        return false;
                    }

                    using var leaf = new X509Certificate2(certificate);
                    presented = leaf.GetNameInfo(X509NameType.SimpleName, false);
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                    return chain.Build(leaf);
                },
            },
        };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://{sni ?? "127.0.0.1"}:{port}{path}")
        {
            Version = version ?? HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request);
        }
        catch (HttpRequestException ex)
        {
            return $"{sni} {path}: failed ({ex.InnerException?.GetType().Name ?? ex.GetType().Name})";
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            var headers = string.Join(" ", (responseHeaders ?? []).Select(h =>
                $"{h}=[{(response.Headers.TryGetValues(h, out var v) || response.Content.Headers.TryGetValues(h, out v) ? string.Join(",", v) : "")}]"));
            var text = body;
            if (response.Content.Headers.ContentType?.MediaType == "application/json" && body.StartsWith('{'))
            {
                using var json = JsonDocument.Parse(body);
                var received = json.RootElement.GetProperty("headers");
                text = $"backend {json.RootElement.GetProperty("backend").GetString()} {json.RootElement.GetProperty("target").GetString()} "
                    + string.Join(" ", (backendHeaders ?? []).Select(h => received.TryGetProperty(h.ToLowerInvariant(), out var v) ? $"{h}=[{v.GetString()}]" : $"{h}=(none)"));
            }

            return $"{sni ?? "(no SNI)"} {path}: {(int)response.StatusCode} HTTP/{response.Version} cert={presented ?? "(reused)"} {headers} | {text.Replace($":{port}", ":PORT", StringComparison.Ordinal).TrimEnd()}";
        }
    }
}
