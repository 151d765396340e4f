namespace Gateway.Tls;

/// <summary>A certificate of an https listener: PEM files, and the SNI names it answers for.</summary>
public sealed record CertificateOptions
{
    /// <summary>PEM file with the certificate, then any intermediates (nginx's <c>ssl_certificate</c>). Relative to the config file.</summary>
    public string Certificate { get; init; } = "";

    /// <summary>PEM file with its private key (nginx's <c>ssl_certificate_key</c>). Relative to the config file.</summary>
    public string Key { get; init; } = "";

    /// <summary>
    /// SNI names this certificate is chosen for: exact names or <c>*.example.com</c>. When empty, the DNS names of the
    /// certificate's subject alternative names (as HAProxy's <c>crt</c> does).
    /// </summary>
    public IReadOnlyList<string> Hosts { get; init; } = [];
}
