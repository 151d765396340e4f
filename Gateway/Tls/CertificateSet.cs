namespace Gateway.Tls;

/// <summary>
/// The certificates of one listener at one moment, and the SNI choice among them: an exact name first, then the
/// nearest wildcard up (<c>*.example.com</c> for <c>a.example.com</c> and <c>a.b.example.com</c>), else the first certificate (nginx's default
/// server; a client that sends no SNI gets it too). Immutable: a reload publishes a new set.
/// </summary>
internal sealed class CertificateSet
{
    private readonly Dictionary<string, LoadedCertificate> _exact = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, LoadedCertificate> _wildcard = new(StringComparer.OrdinalIgnoreCase);

    public CertificateSet(IReadOnlyList<LoadedCertificate> certificates)
    {
        Certificates = certificates;
        Default = certificates[0];
        foreach (var certificate in certificates)
        {
            foreach (var host in certificate.Hosts)
            {
                if (host.StartsWith("*.", StringComparison.Ordinal))
                {
                    _wildcard.TryAdd(host[2..], certificate);
                }
                else
                {
                    _exact.TryAdd(host, certificate);
                }
            }
        }
    }

    public IReadOnlyList<LoadedCertificate> Certificates { get; }

    public LoadedCertificate Default { get; }

    public LoadedCertificate Select(string? serverName)
    {
        if (string.IsNullOrEmpty(serverName))
        {
            return Default;
        }

        if (_exact.TryGetValue(serverName, out var exact))
        {
            return exact;
        }

        // The nearest wildcard first, then further up: nginx's "*.example.com" server_name also takes a.b.example.com.
        for (var dot = serverName.IndexOf('.', StringComparison.Ordinal); dot > 0; dot = serverName.IndexOf('.', dot + 1))
        {
            if (_wildcard.TryGetValue(serverName[(dot + 1)..], out var wildcard))
            {
                return wildcard;
            }
        }

        return Default;
    }
}
