using System.Text.RegularExpressions;

namespace Gateway.Config.Nginx;

/// <summary>One compiled <c>server</c> block: where it listens, its names, its own level and its locations.</summary>
public sealed class NginxServer
{
    public required IReadOnlyList<NginxListen> Listens { get; init; }

    /// <summary>Names as written: exact, <c>*.x</c>, <c>x.*</c>, <c>.x</c>, or <c>~regex</c> (in <see cref="Regexes"/>).</summary>
    public required IReadOnlyList<string> Names { get; init; }

    public IReadOnlyList<Regex> Regexes { get; init; } = [];

    /// <summary>realip settings of the http and server levels, or null.</summary>
    public NginxRealIp? RealIp { get; init; }

    public string FirstName => Names.Count > 0 ? Names[0] : "";

    /// <summary>The server's own level: used when no location matches; its rewrites run before location matching.</summary>
    public required NginxLocation Level { get; init; }

    public required IReadOnlyList<NginxLocation> Locations { get; init; }

    /// <summary>ssl_certificate pairs and ssl_protocols in force for this server (used where it listens with ssl).</summary>
    public NginxServerTls? Tls { get; init; }

    /// <summary><c>@name</c> locations.</summary>
    public IReadOnlyDictionary<string, NginxLocation> Named { get; init; } = new Dictionary<string, NginxLocation>();
}
