using System.Globalization;

namespace Gateway.Config.Nginx;

/// <summary>
/// The <c>proxy_ssl_*</c> directives in force at a level (each inherited from the outer level unless set here), for a
/// <c>proxy_pass https://</c>. nginx's defaults: the upstream's certificate is not verified, no SNI, name
/// <c>$proxy_host</c>, depth 1.
/// </summary>
public sealed record NginxProxySsl
{
    public static readonly NginxProxySsl Default = new();

    /// <summary>Set by the translator for a proxy_pass https:// (the clusters of http and https use of an upstream differ).</summary>
    public bool Https { get; init; }

    public bool Verify { get; init; }

    public string? TrustedCertificate { get; init; }

    public string? Certificate { get; init; }

    public string? CertificateKey { get; init; }

    public bool ServerName { get; init; }

    /// <summary>proxy_ssl_name; null = $proxy_host.</summary>
    public string? Name { get; init; }

    public int VerifyDepth { get; init; } = 1;

    /// <summary>Where proxy_ssl_verify was turned on (nginx's error for a missing trusted certificate names no line).</summary>
    public NginxDirective? VerifyDirective { get; init; }

    public NginxDirective? CertificateDirective { get; init; }

    /// <summary>The settings that make a cluster's TLS client differ, as one comparable string.</summary>
    public string Key => string.Join('|', Https, Verify, TrustedCertificate, Certificate, CertificateKey, ServerName, Name, VerifyDepth);

    public NginxProxySsl With(IEnumerable<NginxDirective> block)
    {
        var ssl = this;
        foreach (var d in block)
        {
            ssl = d.Name switch
            {
                "proxy_ssl_verify" => ssl with { Verify = NginxServerTls.OnOff(d), VerifyDirective = d },
                "proxy_ssl_trusted_certificate" => ssl with { TrustedCertificate = NoVariables(d) },
                "proxy_ssl_certificate" => ssl with { Certificate = NoVariables(d), CertificateDirective = d },
                "proxy_ssl_certificate_key" => ssl with { CertificateKey = NoVariables(d) },
                "proxy_ssl_server_name" => ssl with { ServerName = NginxServerTls.OnOff(d) },
                "proxy_ssl_name" => ssl with { Name = d.Args[0] },
                "proxy_ssl_verify_depth" => ssl with
                {
                    VerifyDepth = int.TryParse(d.Args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var depth) ? depth
                        : throw NginxConfigException.At(d, $"\"{d.Name}\" directive invalid number"),
                },
                _ => ssl,
            };
        }

        return ssl;
    }

    /// <summary>A file argument: no variables, and a name a file can have (checked here, at its line; it is made absolute later).</summary>
    private static string NoVariables(NginxDirective d) => d.Args[0].Contains('$', StringComparison.Ordinal)
        ? throw NginxConfigException.At(d, $"variables in \"{d.Name}\" are not supported by lbproxy-nginx")
        : NginxPath.Checked(d, d.Args[0]);
}
