using System.Text.RegularExpressions;
using Benchmarks.Local;

namespace Gateway.Tests.NginxCompat;

/// <summary>
/// An example from nginx-compat/examples with its addresses made local: each distinct upstream server (and literal
/// proxy_pass host) becomes one test backend in order of first mention, or a held closed port (ReservedDeadPort) when
/// its name starts with "dead"; each distinct listen becomes a free 127.0.0.1 port, different for nginx and for the
/// gateway (ProxyProcess picks them, and picks again when one was taken before the program bound it).
/// </summary>
public sealed partial class ExampleConfig
{
    private ExampleConfig(string text, IReadOnlyList<string> servers, IReadOnlyList<string> listens)
    {
        Text = text;
        Servers = servers;
        Listens = listens;
    }

    public string Text { get; }

    /// <summary>Upstream addresses as the example writes them, in order of first mention.</summary>
    public IReadOnlyList<string> Servers { get; }

    /// <summary>Listen values as written, in order.</summary>
    public IReadOnlyList<string> Listens { get; }

    public static string ExamplesDir => Path.Combine(LocalProcesses.RepoRoot(), "nginx-compat", "examples");

    public static ExampleConfig Load(string name)
    {
        var text = File.ReadAllText(Path.Combine(ExamplesDir, name));
        var upstreamNames = UpstreamName().Matches(text).Select(m => m.Groups[1].Value).ToHashSet();
        var servers = new List<string>();
        foreach (Match m in ServerOrProxy().Matches(text))
        {
            var address = m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value;
            if (!upstreamNames.Contains(address) && !servers.Contains(address))
            {
                servers.Add(address);
            }
        }

        var listens = Listen().Matches(text).Select(m => m.Groups[1].Value).Distinct().ToList();
        return new ExampleConfig(text, servers, listens);
    }

    /// <summary>The same example with <paramref name="from"/> replaced (a path the test made, for <c>root</c>).</summary>
    public ExampleConfig Replace(string from, string to) => new(Text.Replace(from, to, StringComparison.Ordinal), Servers, Listens);

    /// <summary>The text with servers mapped to <paramref name="addresses"/> and listens to <paramref name="ports"/>.</summary>
    public string Localize(IReadOnlyList<string> addresses, IReadOnlyList<int> ports)
    {
        var text = ServerOrProxy().Replace(Text, m =>
        {
            var g = m.Groups[1].Success ? m.Groups[1] : m.Groups[2];
            var i = Servers.ToList().IndexOf(g.Value);
            return i < 0 ? m.Value : m.Value[..(g.Index - m.Index)] + addresses[i] + m.Value[(g.Index - m.Index + g.Length)..];
        });
        return Listen().Replace(text, m => m.Value.Replace(m.Groups[1].Value, "127.0.0.1:" + ports[Listens.ToList().IndexOf(m.Groups[1].Value)], StringComparison.Ordinal));
    }

    [GeneratedRegex(@"\bupstream\s+([^\s{]+)\s*\{")]
    private static partial Regex UpstreamName();

    [GeneratedRegex(@"(?m)(?:^|[{;])\s*server\s+([^\s;{]+)|proxy_pass\s+http://([^/\s;$]+)")]
    private static partial Regex ServerOrProxy();

    [GeneratedRegex(@"(?m)^\s*listen\s+([^\s;]+)")]
    private static partial Regex Listen();
}
