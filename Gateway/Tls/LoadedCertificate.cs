using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Tls;

/// <summary>A certificate read from its PEM files: the leaf with its key, the chain context SslStream sends, and its SNI names.</summary>
internal sealed record LoadedCertificate(X509Certificate2 Leaf, SslStreamCertificateContext Context, IReadOnlyList<string> Hosts)
{
    /// <summary>Reads the pair; throws <see cref="System.Security.Cryptography.CryptographicException"/> or IO errors with the reason.</summary>
    public static LoadedCertificate Load(CertificateOptions options)
    {
        var leaf = X509Certificate2.CreateFromPemFile(options.Certificate, options.Key);
        if (!leaf.HasPrivateKey)
        {
            throw new InvalidOperationException("the key file holds no private key for the certificate");
        }

        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(options.Certificate);
        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < all.Count; i++)
        {
            intermediates.Add(all[i]);
        }

        // offline: the chain is what the file holds; no AIA downloads during a handshake.
        var context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
        var hosts = options.Hosts.Count > 0 ? options.Hosts : DnsNames(leaf);
        return new LoadedCertificate(leaf, context, hosts);
    }

    private static List<string> DnsNames(X509Certificate2 certificate)
    {
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()).ToList();
        if (names.Count == 0 && certificate.GetNameInfo(X509NameType.DnsName, forIssuer: false) is { Length: > 0 } cn)
        {
            names.Add(cn);
        }

        return names;
    }
}
