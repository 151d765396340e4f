using System.Net;
using System.Net.Sockets;
using Benchmarks.Local;

namespace Gateway.Tests.NginxCompat;

/// <summary>
/// Runs one example under real nginx and then under the launcher, against the same test backends, with the same
/// script of requests, and returns both sets of observations. Backends are b0, b1, ... in the order the example
/// first names their servers; a server whose name starts with "dead" is a closed port, one whose name starts with
/// "malformed" answers with an invalid response head.
/// </summary>
public sealed class DifferentialRun : IAsyncDisposable
{
    private readonly List<string> _addresses = [];
    private readonly List<MalformedBackend> _malformed = [];
    private readonly List<ReservedDeadPort> _dead = [];

    private ExampleConfig _example;

    private DifferentialRun(ExampleConfig example) => _example = example;

    public IReadOnlyList<EchoBackend> Backends { get; private set; } = [];

    public IReadOnlyList<string> ResponseHeaders { get; init; } = [];

    public IReadOnlyList<string> BackendHeaders { get; init; } = [];

    /// <summary>
    /// Each request on a connection of its own. For scripts where the proxy closes a connection after an answer (nginx does
    /// after a failed precondition): a pooled client could send the next request on it before the close arrives.
    /// </summary>
    public bool FreshConnections { get; init; }

    public static async Task<DifferentialRun> StartAsync(string example, IReadOnlyList<string>? responseHeaders = null,
        IReadOnlyList<string>? backendHeaders = null, bool freshConnections = false)
    {
        var run = new DifferentialRun(ExampleConfig.Load(example))
        {
            ResponseHeaders = responseHeaders ?? [],
            BackendHeaders = backendHeaders ?? [],
            FreshConnections = freshConnections,
        };
        var backends = new List<EchoBackend>();
        for (var i = 0; i < run._example.Servers.Count; i++)
        {
            if (run._example.Servers[i].StartsWith("dead", StringComparison.Ordinal))
            {
                var dead = new ReservedDeadPort(); // nothing listens there, and nothing can until the run is disposed
                run._dead.Add(dead);
                run._addresses.Add(dead.Authority);
            }
            else if (run._example.Servers[i].StartsWith("malformed", StringComparison.Ordinal))
            {
                var malformed = new MalformedBackend(); // answers with an invalid response head
                run._malformed.Add(malformed);
                run._addresses.Add(malformed.Address);
            }
            else
            {
                var backend = await EchoBackend.StartAsync("b" + i);
                backends.Add(backend);
                run._addresses.Add(backend.Address);
            }
        }

        run.Backends = backends;
        return run;
    }

    /// <summary>Replaces <paramref name="from"/> in the example's text before it runs (a folder the test made, for <c>root</c>).</summary>
    public void Replace(string from, string to) => _example = _example.Replace(from, to);

    public EchoBackend Backend(string name) => Backends.Single(b => b.Name == name);

    /// <summary>The script under nginx, then under the launcher; <paramref name="reset"/> runs before each.</summary>
    public Task<(List<string> Nginx, List<string> Gateway)> CompareAsync(Func<Func<ProbeRequest, Task<Observation>>, Task> script,
        Action? reset = null, Func<ProxyProcess, Task<IEnumerable<string>>>? after = null) =>
        CompareAsync((send, _) => script(send), reset, after);

    /// <summary>The same, with the proxy at hand in the script (to signal it part-way, as <c>nginx -s reload</c>).</summary>
    public async Task<(List<string> Nginx, List<string> Gateway)> CompareAsync(Func<Func<ProbeRequest, Task<Observation>>, ProxyProcess, Task> script,
        Action? reset = null, Func<ProxyProcess, Task<IEnumerable<string>>>? after = null)
    {
        var nginx = await UnderAsync(ProxyProcess.StartNginxAsync, script, reset, after);
        var gateway = await UnderAsync(ProxyProcess.StartLauncherAsync, script, reset, after);
        return (nginx, gateway);
    }

    /// <summary>The same requests to both; asserts every observation is equal, in order.</summary>
    public async Task AssertSameAsync(params ProbeRequest[] requests)
    {
        var (nginx, gateway) = await CompareAsync(async send =>
        {
            foreach (var r in requests)
            {
                await send(r);
            }
        });
        AssertSame(nginx, gateway);
    }

    /// <summary>Equal in order; otherwise fails listing every request whose observations differ, in full.</summary>
    public static void AssertSame(IReadOnlyList<string> nginx, IReadOnlyList<string> gateway)
    {
        var differences = Enumerable.Range(0, Math.Max(nginx.Count, gateway.Count))
            .Where(i => i >= nginx.Count || i >= gateway.Count || nginx[i] != gateway[i])
            .Select(i => $"request {i}:\n  nginx:         {(i < nginx.Count ? nginx[i] : "(none)")}\n  lbproxy-nginx: {(i < gateway.Count ? gateway[i] : "(none)")}")
            .ToList();
        Assert.True(differences.Count == 0, "lbproxy-nginx differs from nginx:\n" + string.Join("\n", differences));
    }

    private async Task<List<string>> UnderAsync(Func<ExampleConfig, IReadOnlyList<string>, Task<ProxyProcess>> start,
        Func<Func<ProbeRequest, Task<Observation>>, ProxyProcess, Task> script, Action? reset, Func<ProxyProcess, Task<IEnumerable<string>>>? after)
    {
        reset?.Invoke();
        await using var proxy = await start(_example, _addresses);
        var seen = new List<string>();
        var clients = new Dictionary<string, HttpClient>();
        try
        {
            await script(async request =>
            {
                var key = request.SourceIp ?? "";
                if (!clients.TryGetValue(key, out var client))
                {
                    clients[key] = client = Client(request.SourceIp, FreshConnections);
                }

                var observation = Normalize(await SendAsync(client, proxy, request), proxy);
                lock (seen)
                {
                    seen.Add(observation.ToString());
                }

                return observation;
            }, proxy);
            if (after is not null)
            {
                seen.AddRange(await after(proxy));
            }
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"{proxy.Kind} run failed; its output:\n{proxy.Output}", ex);
        }
        finally
        {
            foreach (var c in clients.Values)
            {
                c.Dispose();
            }
        }

        return seen;
    }

    /// <summary>The two proxies listen on different ports: where one shows up (Location, Host), name it by listen.</summary>
    private static Observation Normalize(Observation observation, ProxyProcess proxy)
    {
        var text = observation.Text;
        for (var i = 0; i < proxy.Ports.Count; i++)
        {
            text = text.Replace($":{proxy.Ports[i]}", $":LISTEN{i}", StringComparison.Ordinal);
        }

        return observation with { Text = text };
    }

    private async Task<Observation> SendAsync(HttpClient client, ProxyProcess proxy, ProbeRequest r)
    {
        using var message = new HttpRequestMessage(new HttpMethod(r.Method), $"http://127.0.0.1:{proxy.Ports[r.Listen]}{r.Target}");
        if (r.Host is not null)
        {
            message.Headers.Host = r.Host;
        }

        foreach (var (name, value) in r.Headers ?? [])
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        if (r.Body is not null)
        {
            message.Content = new StringContent(r.Body);
        }

        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(message);
        }
        catch (HttpRequestException)
        {
            return Observation.Closed;
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            var headers = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var name in ResponseHeaders)
            {
                if (response.Headers.TryGetValues(name, out var v) || response.Content.Headers.TryGetValues(name, out v))
                {
                    headers[name] = string.Join(",", v);
                }
            }

            return Observation.From((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? "", body, headers, BackendHeaders,
                response.ReasonPhrase, response.Content.Headers.ContentLength is not null);
        }
    }

    /// <summary>A client whose connections leave from <paramref name="sourceIp"/> (any 127.x.y.z is local on Linux).</summary>
    private static HttpClient Client(string? sourceIp, bool fresh) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        // Header values beyond ASCII go out as UTF-8 and come back one char a byte, where .NET's default refuses them.
        RequestHeaderEncodingSelector = static (_, _) => System.Text.Encoding.UTF8,
        ResponseHeaderEncodingSelector = static (_, _) => System.Text.Encoding.Latin1,
        PooledConnectionLifetime = fresh ? TimeSpan.Zero : Timeout.InfiniteTimeSpan,
        ConnectCallback = async (context, token) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                if (sourceIp is not null)
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(sourceIp), 0));
                }

                await socket.ConnectAsync(context.DnsEndPoint, token);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { Timeout = TimeSpan.FromSeconds(30) };

    public async ValueTask DisposeAsync()
    {
        foreach (var b in Backends)
        {
            await b.DisposeAsync();
        }

        foreach (var m in _malformed)
        {
            await m.DisposeAsync();
        }

        foreach (var d in _dead)
        {
            d.Dispose();
        }
    }
}
