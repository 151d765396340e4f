namespace Gateway.Tls;

/// <summary>
/// One entry of <c>LbProxy.Listeners</c>: where the proxy listens and, for https, with which certificates
/// (nginx <c>listen 443 ssl</c> + <c>ssl_certificate</c>, HAProxy <c>bind :443 ssl crt</c>). Read at start-up; the
/// certificate files themselves are watched and reloaded while the gateway runs.
/// </summary>
public sealed record ListenerOptions
{
    public const string Tls12 = "Tls12";
    public const string Tls13 = "Tls13";
    public const double DefaultCertificateCheckSeconds = 2;

    /// <summary><c>http://HOST:PORT</c> or <c>https://HOST:PORT</c>; HOST is an IP address, <c>localhost</c> or <c>*</c> (every address).</summary>
    public string Url { get; init; } = "";

    /// <summary>https only: the certificates, the first one being the default when no other matches the client's SNI name.</summary>
    public IReadOnlyList<CertificateOptions> Certificates { get; init; } = [];

    /// <summary>TLS versions offered (nginx <c>ssl_protocols</c>): TLS 1.2 and 1.3 unless set.</summary>
    public IReadOnlyList<string> TlsProtocols { get; init; } = [Tls12, Tls13];

    /// <summary>HTTP versions: <c>Http1AndHttp2</c> (ALPN h2 and http/1.1, the https default), <c>Http1</c> (the http default) or <c>Http2</c>.</summary>
    public string? HttpProtocols { get; init; }

    /// <summary>How often the certificate files are checked for changes, in seconds.</summary>
    public double CertificateCheckSeconds { get; init; } = DefaultCertificateCheckSeconds;

    public bool IsHttps => Url.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
}
