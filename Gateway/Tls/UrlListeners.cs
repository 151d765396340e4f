namespace Gateway.Tls;

/// <summary>
/// <c>--urls</c> and <c>--h2c-urls</c> as <c>LbProxy.Listeners</c> entries, so every listener the proxy binds in code goes
/// through one binder (<see cref="ListenerHostingExtensions"/>) that also reports its resolved port. Kestrel speaks
/// cleartext HTTP/2 (h2c with prior knowledge, what gRPC clients send to http:// addresses) only on an endpoint limited
/// to HTTP/2: without TLS there is no ALPN to choose with, so an Http1AndHttp2 endpoint falls back to HTTP/1.1. The h2c
/// URLs therefore get HTTP/2-only listeners of their own; and as endpoints bound in code replace UseUrls, the ordinary
/// URLs become (HTTP/1.1) listeners too.
/// </summary>
internal static class UrlListeners
{
    /// <summary>The h2c URLs as HTTP/2-only listeners, beside LbProxy.Listeners or the <paramref name="urls"/> (null: only h2c).</summary>
    public static IReadOnlyList<ListenerOptions> Create(IEnumerable<string>? urls, IEnumerable<string> h2cUrls)
    {
        var problems = Problems(urls ?? [], h2cUrls);
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems));
        }

        return [.. (urls ?? []).Select(url => new ListenerOptions { Url = url }),
            .. h2cUrls.Select(url => new ListenerOptions { Url = url, HttpProtocols = "Http2" })];
    }

    /// <summary>One sentence per URL that cannot be bound this way (the command line reports them before anything starts).</summary>
    public static IReadOnlyList<string> Problems(IEnumerable<string> urls, IEnumerable<string> h2cUrls)
    {
        var problems = new List<string>();
        foreach (var (option, url) in h2cUrls.Select(u => ("--h2c-urls", u)).Concat(urls.Select(u => ("--urls", u))))
        {
            if (!ListenerAddress.TryParse(url, out var address, out var problem))
            {
                problems.Add($"{option} {url}: {problem}.");
            }
            else if (address.Https)
            {
                problems.Add(option == "--h2c-urls"
                    ? $"--h2c-urls {url}: h2c is cleartext HTTP/2; for gRPC over TLS use an https listener in LbProxy.Listeners (HTTP/2 by ALPN)."
                    : $"--urls {url}: beside --h2c-urls an https URL needs its certificate; give it as an LbProxy.Listeners entry with Certificates.");
            }
        }

        return problems;
    }
}
