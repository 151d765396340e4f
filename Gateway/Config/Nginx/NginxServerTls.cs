using Gateway.Tls;

namespace Gateway.Config.Nginx;

/// <summary>
/// A server's TLS settings as nginx merges them (server level, else http level): its <c>ssl_certificate</c> /
/// <c>ssl_certificate_key</c> pairs (paths made absolute against the config file's folder, as nginx's conf prefix)
/// and <c>ssl_protocols</c> mapped onto the versions the gateway offers.
/// </summary>
public sealed record NginxServerTls
{
    /// <summary>The server's pairs in order (nginx allows several, e.g. RSA and ECDSA); Hosts are filled per listener.</summary>
    public IReadOnlyList<CertificateOptions> Certificates { get; init; } = [];

    /// <summary>
    /// ListenerOptions.TlsProtocols values. nginx 1.22's default is "TLSv1 TLSv1.1 TLSv1.2" (TLSv1.3 joined the default in
    /// 1.23.4), and Debian's OpenSSL 3 refuses 1.0 and 1.1: without ssl_protocols, TLS 1.2 only, as the reference nginx.
    /// </summary>
    public IReadOnlyList<string> Protocols { get; init; } = [ListenerOptions.Tls12];

    /// <summary><c>http2 on</c> (nginx 1.25.1's directive; 1.22 has only <c>listen ... http2</c>).</summary>
    public bool Http2 { get; init; }

    /// <summary>The server block, for nginx's "no ssl_certificate is defined ... in FILE:LINE".</summary>
    public required NginxDirective Server { get; init; }

    public static NginxServerTls Read(NginxDirective http, NginxDirective server, string configFolder)
    {
        var certificates = Level(server, "ssl_certificate") ?? Level(http, "ssl_certificate") ?? [];
        var keys = Level(server, "ssl_certificate_key") ?? Level(http, "ssl_certificate_key") ?? [];
        var pairs = new List<CertificateOptions>();
        for (var i = 0; i < certificates.Count; i++)
        {
            if (i >= keys.Count)
            {
                throw new NginxConfigException($"no \"ssl_certificate_key\" is defined for certificate \"{certificates[i].Args[0]}\"");
            }

            var pair = new CertificateOptions
            {
                Certificate = NginxPath.Full(certificates[i], certificates[i].Args[0], configFolder),
                Key = NginxPath.Full(keys[i], keys[i].Args[0], configFolder),
            };
            Check(pair, certificates[i]);
            pairs.Add(pair);
        }

        var protocols = server.Child("ssl_protocols") ?? http.Child("ssl_protocols");
        return new NginxServerTls
        {
            Certificates = pairs,
            Protocols = protocols is null ? [ListenerOptions.Tls12] : MapProtocols(protocols),
            Http2 = (server.Child("http2") ?? http.Child("http2")) is { } h2 && OnOff(h2),
            Server = server,
        };
    }

    internal static bool OnOff(NginxDirective d) => d.Args[0] switch
    {
        "on" => true,
        "off" => false,
        _ => throw NginxConfigException.At(d, $"invalid value \"{d.Args[0]}\" in \"{d.Name}\" directive, it must be \"on\" or \"off\""),
    };

    /// <summary>The directives named <paramref name="name"/> at one level, or null when it has none (then the outer level's apply).</summary>
    private static List<NginxDirective>? Level(NginxDirective level, string name) =>
        level.Children(name).ToList() is { Count: > 0 } list ? list : null;

    private static List<string> MapProtocols(NginxDirective d)
    {
        var offered = new List<string>();
        foreach (var p in d.Args)
        {
            switch (p)
            {
                case "TLSv1.2":
                    offered.Add(ListenerOptions.Tls12);
                    break;
                case "TLSv1.3":
                    offered.Add(ListenerOptions.Tls13);
                    break;
                case "SSLv2" or "SSLv3" or "TLSv1" or "TLSv1.1":
                    break; // Debian's OpenSSL 3 refuses them too (MinProtocol TLSv1.2), so nginx never completes them either
                default:
                    throw NginxConfigException.At(d, $"invalid value \"{p}\"");
            }
        }

        return offered.Count > 0 ? offered
            : throw NginxConfigException.At(d, $"\"ssl_protocols {string.Join(' ', d.Args)}\" offers no version lbproxy-nginx speaks: "
                + "it offers TLSv1.2 and TLSv1.3 only (1.0 and 1.1 are broken); add TLSv1.2 or TLSv1.3");
    }

    /// <summary>Loads the pair now, so a bad file is nginx's [emerg] at -t rather than a failed start.</summary>
    private static void Check(CertificateOptions pair, NginxDirective d)
    {
        if (!File.Exists(pair.Certificate))
        {
            throw new NginxConfigException($"cannot load certificate \"{pair.Certificate}\": BIO_new_file() failed (No such file or directory)");
        }

        if (!File.Exists(pair.Key))
        {
            throw new NginxConfigException($"cannot load certificate key \"{pair.Key}\": BIO_new_file() failed (No such file or directory)");
        }

        try
        {
            using var loaded = LoadedCertificate.Load(pair).Leaf;
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException
            or InvalidOperationException or ArgumentException)
        {
            throw NginxConfigException.At(d, $"cannot load certificate \"{pair.Certificate}\" with key \"{pair.Key}\": {ex.Message.TrimEnd('.')}");
        }
    }
}
